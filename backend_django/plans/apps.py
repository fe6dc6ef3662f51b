from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlansConfig(AppConfig):
    name = "backend_django.plans"
    label = "plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        from .tasks import sync_beat_schedules

        # After django_celery_beat's tables exist: its migrations run first.
        post_migrate.connect(sync_beat_schedules, sender=self, dispatch_uid="plans.sync_beat_schedules")
