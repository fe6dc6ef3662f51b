from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "backend_django.upstream"
    label = "upstream"
    verbose_name = "Upstream data"

    def ready(self) -> None:
        from backend_django.core import health

        from . import checks  # noqa: F401  (registers the system checks)
        from .guards import breaker
        from .jobs import liveness, tasks  # noqa: F401  (registers the Celery tasks and worker signals)
        from .upstreams import NAMES

        health.report_add(
            "upstreams",
            lambda: {state["upstream"]: state["state"] for state in breaker.states()},
            lambda: dict.fromkeys(NAMES, "unknown"),
        )
