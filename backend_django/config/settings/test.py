"""Test settings: only what the test suite needs to differ.

The database and Valkey come from DATABASE_URL / VALKEY_URL like everywhere
else; when VALKEY_URL is unset the test suite starts a private valkey-server
(see backend_django/testing/valkey_plugin.py) before these settings load.
"""

import json

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_MASTER_NAME,
    CELERY_BROKER_URL,
    DATABASES,
    INSTALLED_APPS,
    VALKEY_CLUSTER,
    VALKEY_URL,
    VAR_DIR,
    env,
)

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The Celery worker the tests start writes its emails to files there, which the
# `worker_outbox` fixture reads.
if env("TEST_EMAIL_FILE_PATH", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("TEST_EMAIL_FILE_PATH")
ALLOWED_HOSTS = ["*"]

# Worker processes started by the tests must see the test database, so a
# SQLite test database is a file rather than an in-memory one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

# Upstream retries and timeouts short enough for the failure tests.
UPSTREAM_RETRY_BASE_DELAY = 0.02
UPSTREAM_RETRY_MAX_DELAY = 0.1
# Breakers that open after two failures and cool off in a second or two, and a
# person's job that gives up after 25 s (twenty place searches a second apart
# still fit): outages in tests stay short. A test's worker may be given a
# longer wait through the environment.
UPSTREAM_BREAKER_FAILURES = 2
UPSTREAM_BREAKER_COOL_OFF = 1.0
UPSTREAM_BREAKER_MAX_COOL_OFF = 2.0
UPSTREAM_BREAKER_PROBE_SECONDS = 6.0
UPSTREAM_PERSON_MAX_WAIT = env.float("UPSTREAM_PERSON_MAX_WAIT", default=25.0)
UPSTREAM_WARM_MAX_WAIT = 60.0
# Short enough that the tests see jobs go back to the queue.
UPSTREAM_MAX_INLINE_WAIT = 1.0
OPEN_METEO_READ_TIMEOUT = 3.0
# Dead workers are noticed within seconds.
UPSTREAM_HEARTBEAT_SECONDS = 0.5
UPSTREAM_HEARTBEAT_STALE_SECONDS = 3.0
OVERPASS_READ_TIMEOUT = 3.0
CANOPY_READ_TIMEOUT = 2.0
GEOCODER_READ_TIMEOUT = 3.0
UPSTREAM_CONTACT = "tests@solar-sim.invalid"
# Budgets large enough for the suite's many full fetches; the limiter itself
# is tested with its own small limits (upstream/tests/test_limits.py).
OPEN_METEO_CALLS_PER_MINUTE = 1_000_000
OPEN_METEO_CALLS_PER_HOUR = 1_000_000
OPEN_METEO_CALLS_PER_DAY = 1_000_000
# The suite asks for many climate points from one client address.
PROXY_CLIMATE_FETCHES_PER_DAY = "100000/day"
PROXY_PLACE_SEARCHES_PER_DAY = "100000/day"
# The upstream simulator and its `upstream_simulator` command (never in production).
INSTALLED_APPS = [*INSTALLED_APPS, "backend_django.devtools"]

# A process a test starts (gunicorn, a worker) takes that test's values of
# settings from TEST_SETTINGS_OVERRIDES, a JSON object such as
# {"PROXY_READ_RATE": "5/min"}; an object changes only the entries it names
# of a dict setting ({"ACCOUNT_RATE_LIMITS": {"signup": "1000/1h/ip"}}). Only
# plain settings: one that others are computed from here (VALKEY_URL,
# TRUSTED_PROXY_COUNT) comes from its environment variable instead.
# A setting of that name in a process's environment would be silently
# ignored (it is a constant in code, not read from the environment): refused.
_unread = env.set_but_unread([name for name in globals() if name.isupper()])
if _unread:
    raise ImproperlyConfigured(
        f"{_unread} are set in the environment but not read from it: set them in TEST_SETTINGS_OVERRIDES"
    )
_overrides = json.loads(env("TEST_SETTINGS_OVERRIDES", default="{}"))
if not all(name.isupper() for name in _overrides):
    raise ImproperlyConfigured(f"TEST_SETTINGS_OVERRIDES names settings (upper case): {sorted(_overrides)}")
for _name, _value in _overrides.items():
    _current = globals().get(_name)
    if isinstance(_current, dict) and isinstance(_value, dict):
        _value = {**_current, **_value}
    globals()[_name] = _value
# Tests wait for a task's return value (a ping through each queue, a late
# delivery that must change nothing): they keep results, in the test Valkey
# (on a cluster, which Celery cannot use, in the broker: make test-cluster).
CELERY_RESULT_BACKEND = VALKEY_URL
if VALKEY_CLUSTER:
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"master_name": CELERY_BROKER_MASTER_NAME}
CELERY_TASK_IGNORE_RESULT = False
