"""Valkey: the one instance behind Django's cache, the Celery broker and results, and job records.
From the environment: VALKEY_URL, and VALKEY_SOCKET_TIMEOUT for a remote or slow Valkey;
VALKEY_CLUSTER (or a ``valkey+cluster://host:port,host:port/`` URL) for a Valkey Cluster
(docs/operations.md, "Beyond one machine")."""

from .environment import env

# The development script starts a private valkey-server on this port when
# VALKEY_URL is unset; the test suite starts its own and sets VALKEY_URL.
VALKEY_URL = env("VALKEY_URL", default="redis://127.0.0.1:6390/0")
# Every Valkey call (the shared client, the Django cache, task sends) waits at
# most this long for an answer; after a timeout, this process skips that Valkey
# for VALKEY_CIRCUIT_SECONDS (core/valkey.py, decisions/0018).
VALKEY_SOCKET_TIMEOUT = env.float("VALKEY_SOCKET_TIMEOUT", default=0.25)
VALKEY_CIRCUIT_SECONDS = 5.0
# A Valkey Cluster: VALKEY_URL lists seed nodes (any of them will do). Keys that
# a command or script uses together share a hash tag (decisions/0027).
VALKEY_CLUSTER = env.bool("VALKEY_CLUSTER", default=VALKEY_URL.split("://", 1)[0].endswith("+cluster"))
# How long a call to a cluster keeps trying (backing off up to 0.5 s) while a
# primary that stopped is replaced by its replica: longer than a failover
# (the cluster's node timeout plus an election; 2-3 s in make test-cluster).
VALKEY_CLUSTER_FAILOVER_SECONDS = 10.0
CACHES = {
    "default": {
        "BACKEND": "backend_django.core.cache.FailOpenRedisCache",
        "LOCATION": VALKEY_URL,
        "KEY_PREFIX": "dj",
        "TIMEOUT": 300,
        "OPTIONS": {
            # On a cluster, the shared client of core/valkey.py (one connection per node).
            "CLIENT_CLASS": (
                "backend_django.core.cache.SharedClusterClient"
                if VALKEY_CLUSTER
                else "django_redis.client.DefaultClient"
            ),
            "REDIS_CLIENT_CLASS": "backend_django.core.valkey.CircuitRedis",
            "SOCKET_CONNECT_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            # Throttles and login limits fail open while Valkey is down rather
            # than taking sign-in down with it (health/ reports the outage).
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
