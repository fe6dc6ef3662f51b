"""Valkey: the one instance behind Django's cache, the Celery broker and results, and job records.
From the environment: VALKEY_URL, and VALKEY_SOCKET_TIMEOUT for a remote or slow Valkey."""

from .environment import env

# The development script starts a private valkey-server on this port when
# VALKEY_URL is unset; the test suite starts its own and sets VALKEY_URL.
VALKEY_URL = env("VALKEY_URL", default="redis://127.0.0.1:6390/0")
# Every Valkey call (the shared client, the Django cache, task sends) waits at
# most this long for an answer; after a timeout, this process skips that Valkey
# for VALKEY_CIRCUIT_SECONDS (core/valkey.py, decisions/0018).
VALKEY_SOCKET_TIMEOUT = env.float("VALKEY_SOCKET_TIMEOUT", default=0.25)
VALKEY_CIRCUIT_SECONDS = 5.0
CACHES = {
    "default": {
        "BACKEND": "backend_django.core.cache.FailOpenRedisCache",
        "LOCATION": VALKEY_URL,
        "KEY_PREFIX": "dj",
        "TIMEOUT": 300,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "REDIS_CLIENT_CLASS": "backend_django.core.valkey.CircuitRedis",
            "SOCKET_CONNECT_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            # Throttles and login limits fail open while Valkey is down rather
            # than taking sign-in down with it (health/ reports the outage).
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
