"""Settings for bench/faults.py: production's budgets, breaker and waits (from the
environment like production), no debug, and no per-client limits in the way."""

from backend_django.config.settings.base import *  # noqa: F403
from backend_django.config.settings.base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# One client asks for every place of the matrix: the per-client limits are not what is measured.
PROXY_READ_RATE = "100000000/min"
PROXY_FETCH_RATE = "100000000/min"
PROXY_CLIMATE_FETCHES_PER_DAY = "100000000/day"
PROXY_PLACE_SEARCHES_PER_DAY = "100000000/day"
GEOCODER_CONTACT = "bench@solar-sim.invalid"
