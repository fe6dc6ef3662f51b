"""Per-client rate limits of the public data endpoints.

Fixed-window counters in Valkey, per client (``client_of(request)``: its
address, as core/client_ip.py decides it). The read limit is counted in the same command that reads the cache
entry, or, for a hit served from the process's tracked copy, in process
memory and added to Valkey within a tenth of a second
(upstream/cache/client_counts.py), so a hit makes at most one round trip. The
stricter fetch limit applies only to requests that would start a job, and a
kind may add a daily limit on its misses (``Kind.daily_miss_limit``).
"""

import time
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from redis.client import Pipeline
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from backend_django.core.client_ip import client_ip
from backend_django.core.valkey import get_valkey

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/min" → (60, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def now() -> float:
    """The clock the windows are counted on (epoch seconds); tests move it."""
    return time.time()


def client_of(request: HttpRequest) -> str:
    """The client a request counts against: its address (core/client_ip.py,
    TRUSTED_PROXY_COUNT; a forged X-Forwarded-For never changes it), read
    from META: ``request.headers`` would parse every header on a cache hit."""
    return client_ip(request.META)


class ProxyThrottle(BaseThrottle):
    """A fixed-window limit per client IP for one scope ("read" or "fetch").

    The client IP is ``core.client_ip``'s: a forged X-Forwarded-For never
    changes it.

    Holds no per-request state, so one instance per (scope, rate) serves all
    threads.
    """

    def __init__(self, scope: str, rate: str):
        self.scope = scope
        self.limit, self.period = parse_rate(rate)

    def get_ident(self, request: HttpRequest) -> str:
        return client_of(request)

    def key(self, client: str) -> str:
        window = int(now() // self.period)
        return f"ss:rl:{self.scope}:{client}:{window}"

    def queue(self, pipe: Pipeline, client: str) -> None:
        """Add the counting commands to a pipeline (two results)."""
        key = self.key(client)
        pipe.incr(key)
        pipe.expire(key, self.period + 1)

    def check(self, count: int) -> None:
        if count > self.limit:
            window_left = self.period - now() % self.period
            raise Throttled(wait=max(1, round(window_left)))

    def consume(self, client: str) -> None:
        pipe = get_valkey().pipeline(transaction=False)
        self.queue(pipe, client)
        count, _ = pipe.execute()
        self.check(count)


@lru_cache(maxsize=32)
def _throttle(scope: str, rate: str) -> ProxyThrottle:
    return ProxyThrottle(scope, rate)


def read_throttle() -> ProxyThrottle:
    return _throttle("read", settings.PROXY_READ_RATE)


def fetch_throttle() -> ProxyThrottle:
    return _throttle("fetch", settings.PROXY_FETCH_RATE)


def daily_miss_throttle(kind_name: str, rate_setting: str) -> ProxyThrottle:
    """Misses of one kind per client per day (``Kind.daily_miss_limit``): a new
    climate point costs ~240 of the deployment's ~9,000 daily Open-Meteo calls,
    so one client must not spend them all."""
    return _throttle(f"{kind_name}-day", getattr(settings, rate_setting))
