from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backend_django.plans"
    label = "plans"
    verbose_name = "Plans"
