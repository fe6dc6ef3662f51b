"""Guards: what stands between a fetch and an upstream, so the upstreams see
only what they allow.

- ``breaker.py``: each upstream's health (a circuit breaker shared by every
  worker): a down upstream is not asked until its cool-off ends;
- ``budgets.py``: weighted calls per minute/hour/day, and concurrent slots;
- ``pacing.py``: one request at a time, spaced out (the geocoder);
- ``shares.py``: one client spends at most a share of each budget.

``request(upstream, pool=...)`` wraps one request to an upstream in all of
them, in that order: the breaker first (no budget is reserved for an
upstream that is down), then the client's share and the upstream's own
limit, built from its ``limit`` in upstreams.py.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from ..upstreams import Slots, Turn, WeightedBudget, get
from . import breaker
from .breaker import UpstreamDown
from .budgets import BudgetWait, LeaseSlots, WeightedCalls
from .pacing import Turns

__all__ = ["BudgetWait", "UpstreamDown", "lease_slots", "limiter", "request", "weighted_calls"]

Limiter = WeightedCalls | LeaseSlots | Turns


@cache
def limiter(upstream: str) -> Limiter:
    """The limiter of ``upstream``, built once from its declared ``limit``."""
    spec = get(upstream)
    if isinstance(spec.limit, WeightedBudget):
        return WeightedCalls(spec)
    if isinstance(spec.limit, Slots):
        return LeaseSlots(spec)
    if isinstance(spec.limit, Turn):
        return Turns(spec)
    raise TypeError(f"{upstream}: no limiter for {spec.limit!r}")


def weighted_calls(upstream: str) -> WeightedCalls:
    """The limiter of an upstream declared with a ``WeightedBudget`` (its calls used)."""
    found = limiter(upstream)
    if not isinstance(found, WeightedCalls):
        raise TypeError(f"{upstream}: its limit is not a weighted budget")
    return found


def lease_slots(upstream: str) -> LeaseSlots:
    """The limiter of an upstream declared with ``Slots`` (its slots in use)."""
    found = limiter(upstream)
    if not isinstance(found, LeaseSlots):
        raise TypeError(f"{upstream}: its limit is not slots")
    return found


@contextmanager
def request(upstream: str, *, pool: str, weight: float = 1.0, max_wait: float = 0.0) -> Iterator[None]:
    """One request (or the few requests of one fetch) to ``upstream`` in the block.

    Raises ``UpstreamDown`` while its breaker is open and ``BudgetWait`` when
    its budget, the client's share or a slot is not available within
    ``max_wait`` seconds; an ``UpstreamError`` raised in the block counts
    against the breaker (and, for a weighted budget, is charged only the
    failed-call charge)."""
    with breaker.guarded(upstream), limiter(upstream).hold(pool, weight, max_wait):
        yield
