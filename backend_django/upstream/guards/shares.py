"""Fair shares: one client spends at most a share of each upstream's budget.

Every job that can spend upstream budget is charged to a client (the job
record's ``client``): ``ip:<address>`` for a miss on a data endpoint (they
are anonymous reads, core/client_ip.py), ``user:<id>`` for a plan's prefetch.
The deployment's own scheduled warming is charged to nobody ("") and is held
to WARM_BUDGET_SHARE instead (budgets.py).

A client may spend at most UPSTREAM_CLIENT_BUDGET_SHARE of each upstream's
hourly and daily budget, its misses and its plans' prefetches together:

- Open-Meteo: weighted calls, of OPEN_METEO_CALLS_PER_HOUR and _PER_DAY;
- Overpass: requests, of OVERPASS_REQUESTS_PER_DAY (it has no hourly budget).

The canopy bucket and the geocoder have no hourly or daily budget (only
concurrency, and one request a second; place searches have their own daily
limit per client), so they are not shared out.

A spent share raises ``BudgetWait`` exactly like a spent budget, so the one
retry policy decides (a person's job fails when the wait is long, a warm job
waits in the queue). budgets.py charges the share before the budget and
gives it back when the budget itself is spent. Which upstreams have hourly
or daily budgets comes from their ``limit`` (upstreams.py).

    ss:share:<upstream>:<client>:<3600|86400>:<window>   what the client spent
"""

import math
import threading
from typing import Any

from celery.signals import task_postrun
from django.conf import settings

from backend_django.core.lua import lua_script
from backend_django.core.valkey import get_valkey

from ..upstreams import Slots, WeightedBudget, get

SHARE_PREFIX = "ss:share:"

_current = threading.local()


def for_user(user_id: object) -> str:
    return f"user:{user_id}"


def for_address(address: str) -> str:
    return f"ip:{address}"


def set_client(client: str) -> None:
    """The client the fetches of this thread are charged to (a job's run)."""
    _current.client = client


def current_client() -> str:
    return getattr(_current, "client", "") or ""


@task_postrun.connect(dispatch_uid="upstream.shares.clear")
def _clear_after_task(**kwargs: Any) -> None:
    _current.client = ""


def _limits(upstream: str) -> tuple[float, float]:
    """(per hour, per day) a client may spend of ``upstream``; 0 for no such window."""
    share = settings.UPSTREAM_CLIENT_BUDGET_SHARE
    limit = get(upstream).limit
    if isinstance(limit, WeightedBudget):
        return share * getattr(settings, limit.per_hour), share * getattr(settings, limit.per_day)
    if isinstance(limit, Slots) and limit.per_day:
        return 0.0, share * getattr(settings, limit.per_day)
    return 0.0, 0.0


def _prefix(upstream: str, client: str) -> str:
    """``ss:share:{<upstream>:<client>}:``: a client's windows of an upstream share
    a hash tag (one slot per upstream and client on a cluster)."""
    return f"{SHARE_PREFIX}{{{upstream}:{client}}}:"


def window_key(upstream: str, client: str, window_seconds: int, now: float) -> str:
    """What ``client`` spent of ``upstream`` in the window holding ``now`` (Valkey's clock)."""
    return f"{_prefix(upstream, client)}{window_seconds}:{int(now) // window_seconds}"


def _weight(weight: float) -> float:
    return math.ceil(weight * 100) / 100


def reserve(upstream: str, weight: float) -> float:
    """Charge ``weight`` to the current client's share; 0 when charged (or
    nothing to charge), else the seconds until its share has room again."""
    client = current_client()
    if not client or settings.UPSTREAM_CLIENT_BUDGET_SHARE >= 1:
        return 0.0
    hour, day = _limits(upstream)
    if not hour and not day:
        return 0.0
    valkey = get_valkey()
    now = int(valkey.time()[0])
    windows = [(size, limit) for size, limit in ((3600, hour), (86400, day)) if limit > 0]
    return float(
        lua_script(__file__, "share_reserve")(
            keys=[window_key(upstream, client, size, now) for size, _ in windows],
            args=[_weight(weight), now, *(item for window in windows for item in window)],
            client=valkey,
        )
    )


def refund(upstream: str, weight: float) -> None:
    """Give back a charge whose call was not made (the budget itself was spent)."""
    client = current_client()
    if not client or settings.UPSTREAM_CLIENT_BUDGET_SHARE >= 1:
        return
    valkey = get_valkey()
    now = int(valkey.time()[0])
    pipe = valkey.pipeline(transaction=False)
    for size in (3600, 86400):
        key = window_key(upstream, client, size, now)
        pipe.incrbyfloat(key, -_weight(weight))
        pipe.expire(key, size * 2)
    pipe.execute()


def used(upstream: str, client: str, window_seconds: int) -> float:
    """What ``client`` spent of ``upstream`` in the current window (for the admin and tests)."""
    valkey = get_valkey()
    now = int(valkey.time()[0])
    value = valkey.get(window_key(upstream, client, window_seconds, now))
    return float(value or 0)
