"""The process-wide Valkey client (redis-py with the hiredis parser).

Django's cache framework is used for the login limits; code that needs
Valkey itself (the upstream cache store, job records, budgets, the data
endpoints' per-client limits, health) uses this client, one connection pool
per process.
"""

from functools import cache

import redis
from django.conf import settings


@cache
def get_valkey() -> redis.Redis:
    return redis.Redis.from_url(
        settings.VALKEY_URL,
        socket_connect_timeout=0.5,
        socket_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        health_check_interval=30,
    )


def ping(url: str, timeout: float = 1.0) -> None:
    """Raise if the Valkey (or Redis) server at ``url`` does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
