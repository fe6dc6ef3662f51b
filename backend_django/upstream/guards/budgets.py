"""Upstream budgets shared by every worker through Valkey: weighted calls and slots.

Built from each upstream's ``limit`` (upstreams.py) by ``guards.limiter()``:

- ``WeightedCalls`` (Open-Meteo): weighted calls per minute, hour and day;
  a request's weight is reserved in all three windows at once, or the
  reservation says how long to wait until it fits.
- ``LeaseSlots`` (Overpass, the canopy bucket): a semaphore of expiring
  leases (a crashed worker's lease frees itself), optionally a daily cap,
  and for Overpass a cool-down after a 429.

Both take a ``pool``: warming ("warm") may use only WARM_BUDGET_SHARE of each
budget, so that people's own requests ("interactive") always find room. One
client may use only UPSTREAM_CLIENT_BUDGET_SHARE of the hourly and daily
budgets (shares.py), charged before the budget itself. Counters use
Valkey's clock (TIME), so workers on several hosts agree
(lua/budget_reserve.lua, lua/slot_acquire.lua).

Nothing here waits longer than asked: a spent budget raises ``BudgetWait``
with the seconds to wait, and the caller decides (a worker through
jobs/retry.py; an answer given in the request waits up to a second).

    ss:lim:<upstream>:<pool|all>:<60|3600|86400>:<window>   weighted calls spent
    ss:lim:<upstream>:slots / :cooldown / :day:<n>            slot leases
"""

import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from backend_django.core.lua import lua_script
from backend_django.core.valkey import get_valkey

from ..clients.http import UpstreamError
from ..upstreams import Slots, Upstream, WeightedBudget
from . import shares

LIMIT_PREFIX = "ss:lim:"
WINDOWS = (60, 3600, 86400)


def limit_prefix(upstream: str) -> str:
    """``ss:lim:{<upstream>}:``: an upstream's limiter keys share its hash tag, so
    one script reserves its minute, hour and day windows at once on a cluster
    (each upstream's on its own slot)."""
    return f"{LIMIT_PREFIX}{{{upstream}}}:"


def window_key(upstream: str, pool: str, window_seconds: int, now: float) -> str:
    """The counter of ``pool`` ("all", "interactive", "warm") of ``upstream`` in the
    window of ``window_seconds`` that holds ``now`` (Valkey's clock)."""
    return f"{limit_prefix(upstream)}{pool}:{window_seconds}:{int(now) // window_seconds}"


def valkey_now() -> int:
    """Valkey's clock (whole seconds): every worker's windows turn together."""
    return int(get_valkey().time()[0])


class BudgetWait(Exception):
    """An upstream budget (or the client's share of it, or its turn) is spent: retry after ``seconds``."""

    def __init__(self, upstream: str, seconds: float):
        super().__init__(f"{upstream} budget spent; retry in {seconds:.0f} s")
        self.upstream = upstream
        self.seconds = seconds


def pool_share(pool: str) -> float:
    return 1.0 if pool == "interactive" else settings.WARM_BUDGET_SHARE


def lease_seconds(upstream: Upstream) -> float:
    """How long a slot or turn is held at most: longer than any request to ``upstream`` takes."""
    return settings.UPSTREAM_CONNECT_TIMEOUT + 2 * getattr(settings, upstream.read_timeout_setting) + 5


def _rounded(weight: float) -> float:
    return math.ceil(weight * 100) / 100


class WeightedCalls:
    """Weighted calls per minute, hour and day (``WeightedBudget``)."""

    def __init__(self, upstream: Upstream):
        assert isinstance(upstream.limit, WeightedBudget)
        self.upstream = upstream.name
        self.spec = upstream.limit

    def _keys(self, pool: str, now: int) -> list[str]:
        """Per window (minute, hour, day): its total's counter, then the pool's."""
        return [
            key
            for size in WINDOWS
            for key in (
                window_key(self.upstream, "all", size, now),
                window_key(self.upstream, pool, size, now),
            )
        ]

    def reserve(self, weight: float, pool: str = "interactive") -> float:
        """Reserve ``weight`` calls; 0 when done, else seconds to wait first."""
        now = valkey_now()
        wait = lua_script(__file__, "budget_reserve")(
            keys=self._keys(pool, now),
            args=[
                _rounded(weight),
                now,
                getattr(settings, self.spec.per_minute),
                getattr(settings, self.spec.per_hour),
                getattr(settings, self.spec.per_day),
                pool_share(pool),
            ],
            client=get_valkey(),
        )
        return float(wait)

    def refund(self, amount: float, pool: str = "interactive") -> None:
        """Give back ``amount`` of a reservation (a failed call cost less than its weight)."""
        if amount > 0:
            lua_script(__file__, "budget_refund")(
                keys=self._keys(pool, valkey_now()), args=[round(amount, 2)], client=get_valkey()
            )

    def used(self, window_seconds: int, pool: str = "all") -> float:
        value = get_valkey().get(window_key(self.upstream, pool, window_seconds, valkey_now()))
        return float(value or 0)

    @contextmanager
    def hold(self, pool: str, weight: float = 1.0, max_wait: float = 0.0) -> Iterator[None]:
        """Reserve ``weight`` for the request in the block (the client's share first);
        when it fails, keep only the failed-call charge of it and give the rest back,
        of the budget and of the share alike, so that a failing upstream does not
        drain the day's budget (decision 0016). A spent budget never waits."""
        reserved = _rounded(weight)
        wait = shares.reserve(self.upstream, reserved)
        if wait:
            raise BudgetWait(self.upstream, wait)
        wait = self.reserve(reserved, pool)
        if wait:
            shares.refund(self.upstream, reserved)
            raise BudgetWait(self.upstream, wait)
        try:
            yield
        except UpstreamError:
            returned = reserved - min(reserved, getattr(settings, self.spec.failed_call_charge))
            self.refund(returned, pool)
            shares.refund(self.upstream, returned)
            raise


class LeaseSlots:
    """A semaphore of expiring leases in Valkey, shared by every process (``Slots``).

    The limits are read from settings on each call so tests can change them.
    """

    def __init__(self, upstream: Upstream):
        assert isinstance(upstream.limit, Slots)
        self.upstream_spec = upstream
        self.upstream = upstream.name
        self.spec = upstream.limit
        prefix = limit_prefix(upstream.name)
        self.slots_key = f"{prefix}slots"
        self.cooldown_key = f"{prefix}cooldown"
        self.day_prefix = f"{prefix}day:"

    def try_acquire(self, pool: str = "interactive") -> tuple[str | None, float]:
        """(lease token, 0) when a slot was taken, else (None, seconds to wait)."""
        client = get_valkey()
        token = f"{pool}:{secrets.token_hex(8)}"
        day = int(client.time()[0]) // 86400
        wait_ms = lua_script(__file__, "slot_acquire")(
            keys=[self.slots_key, self.cooldown_key, f"{self.day_prefix}{day}"],
            args=[
                token,
                getattr(settings, self.spec.concurrent),
                int(lease_seconds(self.upstream_spec) * 1000),
                getattr(settings, self.spec.per_day) if self.spec.per_day else 0,
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

    @contextmanager
    def hold(self, pool: str, weight: float = 1.0, max_wait: float = 0.0) -> Iterator[None]:
        """One slot for the block, waiting up to ``max_wait`` seconds for it (0: not at all).

        With a daily cap, one request is charged to the client's share first
        (and given back when no slot is free)."""
        shared = self.spec.per_day is not None
        if shared:
            wait = shares.reserve(self.upstream, 1)
            if wait:
                raise BudgetWait(self.upstream, wait)
        deadline = time.monotonic() + max_wait
        while True:
            token, wait = self.try_acquire(pool)
            if token is not None:
                break
            if time.monotonic() + min(wait, 0.2) > deadline:
                if shared:
                    shares.refund(self.upstream, 1)
                raise BudgetWait(self.upstream, wait)
            time.sleep(min(wait, 0.2))
        try:
            yield
        except UpstreamError as error:
            if self.spec.cool_down_on_429 and error.status == 429:
                self.cool_down(error.retry_after or settings.UPSTREAM_RETRY_BASE_DELAY * 4)
            raise
        finally:
            self.release(token)
