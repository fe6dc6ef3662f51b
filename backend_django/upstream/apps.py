from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "backend_django.upstream"
    label = "upstream"
    verbose_name = "Upstream data"
