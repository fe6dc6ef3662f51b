"""Development settings: `make dev` and manage.py on a developer's machine."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=["http://localhost:5173", "http://127.0.0.1:5173"]
)
# A developer tries many places in a day (against the simulator, usually).
PROXY_CLIMATE_FETCHES_PER_DAY = env("PROXY_CLIMATE_FETCHES_PER_DAY", default="1000/day")
# The upstream simulator and its `upstream_simulator` command (never in production).
INSTALLED_APPS = [*INSTALLED_APPS, "backend_django.devtools"]
