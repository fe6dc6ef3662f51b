from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "backend_django.sync"
    label = "sync"
    verbose_name = "Offline sync (PowerSync)"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
