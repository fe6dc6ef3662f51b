from django.apps import AppConfig


class PlantsConfig(AppConfig):
    name = "backend_django.plants"
    label = "plants"
    verbose_name = "Plant catalogue"
