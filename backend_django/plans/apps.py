from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate


def _forget_reports(sender: object, instance: object, **kwargs: object) -> None:
    """At once, not after the commit: a delete rolled back only costs a rebuild of its report."""
    from .report.kind import reports_forget

    reports_forget(str(getattr(instance, "pk", "")))


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
        # A deleted plan (its own delete, a batch's, a sync upload's, its account's) leaves
        # no report in the cache.
        post_delete.connect(_forget_reports, sender="plans.Plan", dispatch_uid="plans.forget_reports")

        # After django_celery_beat's tables exist: its migrations run first.
        post_migrate.connect(sync_beat_schedules, sender=self, dispatch_uid="plans.sync_beat_schedules")
