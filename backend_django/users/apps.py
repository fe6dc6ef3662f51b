from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "backend_django.users"
    label = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the Celery tasks, sent by name from services.py)
