"""Settings for benchmark runs: production-like (no debug), plus bench views."""

from backend_django.config.settings.base import *  # noqa: F403
from backend_django.config.settings.base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The benchmark measures the cache, not the throttle: lift the per-IP limits.
PROXY_READ_RATE = "100000000/min"
PROXY_FETCH_RATE = "100000000/min"
PROXY_CLIMATE_FETCHES_PER_DAY = "100000000/day"
# ...and the upstream budget: misses measure the pipeline, not the limiter.
OPEN_METEO_CALLS_PER_MINUTE = 1e9
OPEN_METEO_CALLS_PER_HOUR = 1e9
OPEN_METEO_CALLS_PER_DAY = 1e9
