from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlansConfig(AppConfig):
    name = "backend_django.plans"
    label = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from backend_django.upstream import kinds

        from .report.kind import KIND as REPORT_KIND
        from .tasks import sync_beat_schedules

        # The plan report is a derived kind of the data proxy, which knows nothing of plans.
        kinds.register(REPORT_KIND)

        # After django_celery_beat's tables exist: its migrations run first.
        post_migrate.connect(sync_beat_schedules, sender=self, dispatch_uid="plans.sync_beat_schedules")
