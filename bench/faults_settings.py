"""Settings for bench/faults.py: production's budgets, breaker and waits, no debug,
no per-client limits in the way, and read timeouts of BENCH_FAULTS_READ_TIMEOUT."""

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
UPSTREAM_CONTACT = "bench@solar-sim.invalid"
# Short read timeouts (bench/faults.py sets them), so that a hang does not take minutes.
OPEN_METEO_READ_TIMEOUT = OVERPASS_READ_TIMEOUT = CANOPY_READ_TIMEOUT = GEOCODER_READ_TIMEOUT = env.float(
    "BENCH_FAULTS_READ_TIMEOUT", default=10.0
)
