from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "backend_django.core"
    label = "core"
    verbose_name = "Core"
