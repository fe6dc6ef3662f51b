"""Per-client rate limits of the public data endpoints.

Fixed-window counters in Valkey. The read limit is counted in the same
pipeline that reads the cache entry, so a hit stays one Valkey round trip;
the stricter fetch limit applies only to requests that would start a job.
"""

import time

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

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
    """A fixed-window limit per client IP for one scope ("read" or "fetch")."""

    def __init__(self, scope: str, rate: str):
        self.scope = scope
        self.limit, self.period = parse_rate(rate)
        self.window_end = 0.0

    def key(self, request) -> str:
        now = time.time()
        window = int(now // self.period)
        self.window_end = (window + 1) * self.period
        return f"ss:rl:{self.scope}:{self.get_ident(request)}:{window}"

    def queue(self, pipe, request) -> None:
        """Add the counting commands to a pipeline (two results)."""
        key = self.key(request)
        pipe.incr(key)
        pipe.expire(key, self.period + 1)

    def check(self, count: int) -> None:
        if count > self.limit:
            raise Throttled(wait=max(1, round(self.window_end - time.time())))

    def consume(self, request) -> None:
        pipe = get_valkey().pipeline(transaction=False)
        self.queue(pipe, request)
        count, _ = pipe.execute()
        self.check(count)


def read_throttle() -> ProxyThrottle:
    return ProxyThrottle("read", settings.PROXY_READ_RATE)


def fetch_throttle() -> ProxyThrottle:
    return ProxyThrottle("fetch", settings.PROXY_FETCH_RATE)


def climate_daily_throttle() -> ProxyThrottle:
    """New climate points per client per day: each full fetch costs ~160 of the
    deployment's ~9,000 daily Open-Meteo calls, so one client must not spend them all."""
    return ProxyThrottle("climate-day", settings.PROXY_CLIMATE_FETCHES_PER_DAY)
