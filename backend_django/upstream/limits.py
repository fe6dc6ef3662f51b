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
budget, so that people's own requests ("interactive") always find room. And
one client may use only UPSTREAM_CLIENT_BUDGET_SHARE of the hourly and daily
budgets (shares.py), charged before the budget itself.
Counters use Valkey's clock (TIME), so workers on several hosts agree
(lua/budget_reserve.lua, lua/slot_acquire.lua).

Nothing here waits: a spent budget raises ``BudgetWait`` with the seconds to
wait, and the caller decides (a worker through retry_policy.py; the Range
proxy waits up to a second in the request).
"""

import math
import secrets
import time
from contextlib import ExitStack, contextmanager

from django.conf import settings

from backend_django.core.valkey import get_valkey

from . import shares
from .clients.http import UpstreamError
from .lua import script

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
        wait = script("budget_reserve")(
            args=[
                weight,
                OPEN_METEO_PREFIX,
                settings.OPEN_METEO_CALLS_PER_MINUTE,
                settings.OPEN_METEO_CALLS_PER_HOUR,
                settings.OPEN_METEO_CALLS_PER_DAY,
                pool,
                pool_share(pool),
            ],
            client=get_valkey(),
        )
        return float(wait)

    @staticmethod
    def refund(amount: float, pool: str = "interactive") -> None:
        """Give back ``amount`` of a reservation (a failed call cost less than its weight)."""
        if amount > 0:
            script("budget_refund")(args=[round(amount, 2), OPEN_METEO_PREFIX, pool], client=get_valkey())

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
    tests can change them. A daily cap of 0 means none. With
    ``cool_down_on_429``, an upstream 429 inside ``lease_slot`` stops everyone
    asking for its Retry-After.
    """

    def __init__(
        self,
        *,
        prefix: str,
        limit_setting: str,
        lease_seconds,
        day_limit_setting: str | None = None,
        cool_down_on_429: bool = False,
    ):
        self.prefix = prefix
        self.cool_down_on_429 = cool_down_on_429
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
        wait_ms = script("slot_acquire")(
            keys=[self.slots_key, self.cooldown_key, f"{self.day_prefix}{day}"],
            args=[
                token,
                getattr(settings, self.limit_setting),
                int(self.lease_seconds() * 1000),
                getattr(settings, self.day_limit_setting) if self.day_limit_setting else 0,
                pool,
                pool_share(pool),
            ],
            client=client,
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
    cool_down_on_429=True,
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
def lease_slot(slots: LeaseSlots, upstream: str, pool: str, max_wait: float = 0.0):
    """Hold one of ``slots`` for the duration of the block.

    Waits up to ``max_wait`` seconds for one (0: not at all); raises
    BudgetWait beyond that.
    """
    deadline = time.monotonic() + max_wait
    while True:
        token, wait = slots.try_acquire(pool)
        if token is not None:
            break
        if time.monotonic() + min(wait, 0.2) > deadline:
            raise BudgetWait(upstream, wait)
        time.sleep(min(wait, 0.2))
    try:
        yield
    except UpstreamError as error:
        if slots.cool_down_on_429 and error.status == 429:
            slots.cool_down(error.retry_after or settings.UPSTREAM_RETRY_BASE_DELAY * 4)
        raise
    finally:
        slots.release(token)


@contextmanager
def overpass_slot(pool: str, max_wait: float = 0.0):
    """An Overpass slot, one request charged to the client's share first (shares.py)."""
    wait = shares.reserve("overpass", 1)
    if wait:
        raise BudgetWait("overpass", wait)
    with ExitStack() as stack:
        try:
            stack.enter_context(lease_slot(OverpassSlots, "overpass", pool, max_wait))
        except BudgetWait:
            shares.refund("overpass", 1)
            raise
        yield


def canopy_slot(pool: str, max_wait: float = 0.0):
    return lease_slot(CanopySlots, "canopy", pool, max_wait)


def open_meteo_reserve(weight: float, pool: str) -> None:
    """Reserve Open-Meteo budget now (the client's share of it first, shares.py),
    or raise BudgetWait with the seconds to wait."""
    wait = shares.reserve("open_meteo", weight)
    if wait:
        raise BudgetWait("open_meteo", wait)
    wait = OpenMeteoBudget.reserve(weight, pool)
    if wait:
        shares.refund("open_meteo", weight)
        raise BudgetWait("open_meteo", wait)


@contextmanager
def open_meteo_call(weight: float, pool: str):
    """Reserve ``weight`` for the call in the block; when it fails, keep only
    OPEN_METEO_FAILED_CALL_CHARGE of it (what Open-Meteo counts for a call
    that gave no data, by our assumption; docs/decisions/0016) and give the
    rest back, of the budget and of the client's share alike, so that a
    failing upstream does not drain the day's budget."""
    reserved = math.ceil(weight * 100) / 100  # as reserve() counts it
    open_meteo_reserve(reserved, pool)
    try:
        yield
    except UpstreamError:
        returned = reserved - min(reserved, settings.OPEN_METEO_FAILED_CALL_CHARGE)
        OpenMeteoBudget.refund(returned, pool)
        shares.refund("open_meteo", returned)
        raise
