from django.apps import AppConfig
from django.db.models.signals import post_migrate


def site_ensure(using: str = "default", **kwargs) -> None:
    """post_migrate: the Site that emails and the admin name comes from settings.

    Django creates it as "example.com"; this keeps it at SITE_DOMAIN /
    SITE_NAME on every `migrate` (each deployment runs one on start).
    """
    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()


class CoreConfig(AppConfig):
    name = "backend_django.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.apps import apps

        # Once per `migrate`, after the sites app's own (which creates example.com).
        post_migrate.connect(
            site_ensure, sender=apps.get_app_config("sites"), dispatch_uid="core.site_ensure"
        )
