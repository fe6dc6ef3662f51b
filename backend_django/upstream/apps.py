from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "backend_django.upstream"
    label = "upstream"
    verbose_name = "Upstream data"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
