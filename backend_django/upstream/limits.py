"""Upstream budgets shared by every worker through Valkey.

- Open-Meteo counts *weighted* calls per minute, hour and day: ``OpenMeteoBudget``
  reserves a request's weight in all three windows at once, or says how long to
  wait until it fits.
- Overpass allows a few concurrent requests per client IP: ``OverpassSlots``
  is a semaphore of leases (a crashed worker's lease expires), plus a cool-down
  set after a 429 and a daily request cap.
- The canopy bucket on S3 gets at most CANOPY_MAX_CONCURRENT requests at once
  from the whole deployment (window tasks and the Range proxy): ``CanopySlots``,
  the same lease semaphore without a daily cap.

Both take a ``pool``: warming ("warm") may use only WARM_BUDGET_SHARE of each
budget, so that people's own requests ("interactive") always find room.
Counters use Valkey's clock (TIME), so workers on several hosts agree.
"""

import math
import secrets
import time
from contextlib import contextmanager

from django.conf import settings

from backend_django.core.valkey import get_valkey

# Reserve ARGV[1] (weight) in each window unless it would exceed its limit.
# ARGV[2] key prefix, ARGV[3..5] limits per minute/hour/day, ARGV[6] pool,
# ARGV[7] share of each limit the pool may use. Returns 0 when reserved, or
# the seconds until the fullest window rolls over.
_WEIGHTED_SCRIPT = """
local now = tonumber(redis.call('TIME')[1])
local weight = tonumber(ARGV[1])
local prefix = ARGV[2]
local pool = ARGV[6]
local share = tonumber(ARGV[7])
local sizes = {60, 3600, 86400}
local wait = 0
local keys = {}
for i, size in ipairs(sizes) do
    local limit = tonumber(ARGV[2 + i])
    local window = math.floor(now / size)
    local total_key = prefix .. 'all:' .. size .. ':' .. window
    local pool_key = prefix .. pool .. ':' .. size .. ':' .. window
    local used = tonumber(redis.call('GET', total_key) or '0')
    local pool_used = tonumber(redis.call('GET', pool_key) or '0')
    if used + weight > limit or pool_used + weight > limit * share then
        wait = math.max(wait, size - (now % size))
    end
    keys[#keys + 1] = {total_key, size}
    keys[#keys + 1] = {pool_key, size}
end
if wait > 0 then
    return wait
end
for _, item in ipairs(keys) do
    redis.call('INCRBYFLOAT', item[1], weight)
    redis.call('EXPIRE', item[1], item[2] * 2)
end
return 0
"""

# Take a lease in a sorted set of (token, expiry) unless the set is full or a
# cool-down is running. Returns 0 when taken, else milliseconds to wait.
_SLOT_SCRIPT = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local cooldown = redis.call('PTTL', KEYS[2])
if cooldown > 0 then
    return cooldown
end
local day_used = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[4]) > 0 and day_used >= tonumber(ARGV[4]) then
    return 86400000 - (now_ms % 86400000)
end
local limit = tonumber(ARGV[2])
local pool_count = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(member, 1, string.len(ARGV[5]) + 1) == ARGV[5] .. ':' then
        pool_count = pool_count + 1
    end
end
local pool_limit = math.max(1, math.floor(limit * tonumber(ARGV[6])))
if redis.call('ZCARD', KEYS[1]) >= limit or pool_count >= pool_limit then
    return 200
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 2 * 86400)
return 0
"""

OPEN_METEO_PREFIX = "ss:lim:om:"
OVERPASS_PREFIX = "ss:lim:op:"
CANOPY_PREFIX = "ss:lim:s3:"


def pool_share(pool: str) -> float:
    return 1.0 if pool == "interactive" else settings.WARM_BUDGET_SHARE


class OpenMeteoBudget:
    @staticmethod
    def reserve(weight: float, pool: str = "interactive") -> float:
        """Reserve ``weight`` calls; 0 when done, else seconds to wait first."""
        weight = math.ceil(weight * 100) / 100
        wait = get_valkey().eval(
            _WEIGHTED_SCRIPT,
            0,
            weight,
            OPEN_METEO_PREFIX,
            settings.OPEN_METEO_CALLS_PER_MINUTE,
            settings.OPEN_METEO_CALLS_PER_HOUR,
            settings.OPEN_METEO_CALLS_PER_DAY,
            pool,
            pool_share(pool),
        )
        return float(wait)

    @staticmethod
    def used(window_seconds: int, pool: str = "all") -> float:
        client = get_valkey()
        now = int(client.time()[0])
        value = client.get(f"{OPEN_METEO_PREFIX}{pool}:{window_seconds}:{now // window_seconds}")
        return float(value or 0)


class LeaseSlots:
    """A semaphore of expiring leases in Valkey, shared by every process.

    ``prefix`` names the keys (``<prefix>slots``, ``<prefix>cooldown``,
    ``<prefix>day:<n>``); the limits are read from settings on each call so
    tests can change them. A daily cap of 0 means none.
    """

    def __init__(
        self, *, prefix: str, limit_setting: str, lease_seconds, day_limit_setting: str | None = None
    ):
        self.prefix = prefix
        self.slots_key = f"{prefix}slots"
        self.cooldown_key = f"{prefix}cooldown"
        self.day_prefix = f"{prefix}day:"
        self.limit_setting = limit_setting
        self.day_limit_setting = day_limit_setting
        self.lease_seconds = lease_seconds

    def try_acquire(self, pool: str = "interactive") -> tuple[str | None, float]:
        """(lease token, 0) when a slot was taken, else (None, seconds to wait)."""
        client = get_valkey()
        token = f"{pool}:{secrets.token_hex(8)}"
        day = int(client.time()[0]) // 86400
        wait_ms = client.eval(
            _SLOT_SCRIPT,
            3,
            self.slots_key,
            self.cooldown_key,
            f"{self.day_prefix}{day}",
            token,
            getattr(settings, self.limit_setting),
            int(self.lease_seconds() * 1000),
            getattr(settings, self.day_limit_setting) if self.day_limit_setting else 0,
            pool,
            pool_share(pool),
        )
        if wait_ms == 0:
            return token, 0.0
        return None, wait_ms / 1000

    def release(self, token: str) -> None:
        get_valkey().zrem(self.slots_key, token)

    def cool_down(self, seconds: float) -> None:
        """After a 429: nobody asks this upstream again for ``seconds``."""
        get_valkey().set(self.cooldown_key, "1", px=max(1, int(seconds * 1000)))

    def in_use(self) -> int:
        client = get_valkey()
        now_ms = int(client.time()[0]) * 1000
        return client.zcount(self.slots_key, now_ms, "+inf")


OverpassSlots = LeaseSlots(
    prefix=OVERPASS_PREFIX,
    limit_setting="OVERPASS_MAX_CONCURRENT",
    day_limit_setting="OVERPASS_REQUESTS_PER_DAY",
    lease_seconds=lambda: settings.OVERPASS_SLOT_LEASE_SECONDS,
)
CanopySlots = LeaseSlots(
    prefix=CANOPY_PREFIX,
    limit_setting="CANOPY_MAX_CONCURRENT",
    lease_seconds=lambda: settings.CANOPY_READ_TIMEOUT * 2 + settings.UPSTREAM_CONNECT_TIMEOUT + 5,
)


class BudgetWait(Exception):
    """Raised when an upstream budget is spent: retry after ``seconds``."""

    def __init__(self, upstream: str, seconds: float):
        super().__init__(f"{upstream} budget spent; retry in {seconds:.0f} s")
        self.upstream = upstream
        self.seconds = seconds


@contextmanager
def lease_slot(slots: LeaseSlots, upstream: str, pool: str, max_wait: float):
    """Hold one of ``slots`` for the duration of the block.

    Waits up to ``max_wait`` seconds for one; raises BudgetWait beyond that.
    """
    deadline = time.monotonic() + max_wait
    while True:
        token, wait = slots.try_acquire(pool)
        if token is not None:
            break
        if time.monotonic() + min(wait, 0.2) > deadline:
            raise BudgetWait(upstream, max(wait, 1.0))
        time.sleep(min(wait, 0.2))
    try:
        yield
    finally:
        slots.release(token)


def overpass_slot(pool: str, max_wait: float):
    return lease_slot(OverpassSlots, "overpass", pool, max_wait)


def canopy_slot(pool: str, max_wait: float):
    return lease_slot(CanopySlots, "canopy", pool, max_wait)


def open_meteo_reserve(weight: float, pool: str, max_wait: float) -> None:
    """Reserve Open-Meteo budget, sleeping up to ``max_wait`` s; else BudgetWait."""
    deadline = time.monotonic() + max_wait
    while True:
        wait = OpenMeteoBudget.reserve(weight, pool)
        if wait == 0:
            return
        if time.monotonic() + wait > deadline:
            raise BudgetWait("open_meteo", wait)
        time.sleep(wait)
