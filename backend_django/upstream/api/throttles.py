"""Per-client rate limits of the public data endpoints.

Fixed-window counters in Valkey. The read limit is counted in the same
command that reads the cache entry, or, for a hit served from the process's
tracked copy, in process memory and added to Valkey within a tenth of a
second (upstream/copies.py), so a hit makes at most one round trip. The
stricter fetch limit applies only to requests that would start a job.
"""

import time
from functools import lru_cache

from django.conf import settings
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

    def get_ident(self, request) -> str:
        # The one client identity (TRUSTED_PROXY_COUNT), read from META:
        # ``request.headers`` would parse every header of the request on a hit.
        return client_ip(request.META)

    def key(self, request) -> str:
        window = int(time.time() // self.period)
        return f"ss:rl:{self.scope}:{self.get_ident(request)}:{window}"

    def queue(self, pipe, request) -> None:
        """Add the counting commands to a pipeline (two results)."""
        key = self.key(request)
        pipe.incr(key)
        pipe.expire(key, self.period + 1)

    def check(self, count: int) -> None:
        if count > self.limit:
            window_left = self.period - time.time() % self.period
            raise Throttled(wait=max(1, round(window_left)))

    def consume(self, request) -> None:
        pipe = get_valkey().pipeline(transaction=False)
        self.queue(pipe, request)
        count, _ = pipe.execute()
        self.check(count)


@lru_cache(maxsize=32)
def _throttle(scope: str, rate: str) -> ProxyThrottle:
    return ProxyThrottle(scope, rate)


def read_throttle() -> ProxyThrottle:
    return _throttle("read", settings.PROXY_READ_RATE)


def fetch_throttle() -> ProxyThrottle:
    return _throttle("fetch", settings.PROXY_FETCH_RATE)


def climate_daily_throttle() -> ProxyThrottle:
    """New climate points per client per day: each full fetch costs ~160 of the
    deployment's ~9,000 daily Open-Meteo calls, so one client must not spend them all."""
    return _throttle("climate-day", settings.PROXY_CLIMATE_FETCHES_PER_DAY)
