"""Warming the cache ahead of need ("Celery-prefetched").

- A saved plan gets its data prefetched: one job on the ``warm`` queue with
  every unit its page needs (each kind's ``units_for_place``: climate,
  buildings cells, canopy window), filled through the same per-unit locks as
  people's own requests.
- Beat schedules (plans/tasks.py) find the units active plans need that are
  missing or about to stop being fresh, and queue warm jobs for them.
- Warming runs within WARM_BUDGET_SHARE of each upstream budget (see
  guards/budgets.py); a warm job stops when that share is spent, and the next run
  resumes where it stopped, because units already fresh are skipped.
"""

import logging
import time
from collections.abc import Iterable

from django.conf import settings

from backend_django.core.valkey import get_valkey

from .. import kinds
from ..cache import store
from . import StartedJob, job_start

logger = logging.getLogger(__name__)

WARM_QUEUE = "warm"


def prefetch_location(*, lat: float, lng: float, result_url: str, client: str = "") -> StartedJob:
    """Queue (or join) the warm job that fills everything a place needs,
    charged to ``client``'s share of the upstream budgets (guards/shares.py)."""
    return job_start(
        kind="prefetch",
        units=kinds.all_units(lat, lng),
        result_url=result_url,
        queue=WARM_QUEUE,
        client=client,
    )


def _chunks(units: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(units), size):
        yield units[start : start + size]


def units_to_warm(places: Iterable[tuple[float, float]], *, within_seconds: float | None) -> list[str]:
    """Units the places need that are missing, or stop being fresh within
    ``within_seconds`` (None: only missing ones). One Valkey round trip."""
    units = sorted({unit for lat, lng in places for unit in kinds.all_units(lat, lng)})
    if not units:
        return []
    pipe = get_valkey().pipeline(transaction=False)
    for unit in units:
        pipe.hget(store.entry_key(unit), "fu")
    horizon = time.time() + (within_seconds or 0)
    return [
        unit
        for unit, fresh_until in zip(units, pipe.execute(), strict=True)
        if fresh_until is None or (within_seconds is not None and float(fresh_until) < horizon)
    ]


def warm_units(units: list[str], *, reason: str, refresh_within: float = 0) -> list[str]:
    """Queue warm jobs for ``units`` in batches; returns the job ids.

    ``refresh_within``: re-fetch units that stop being fresh within that many
    seconds, not only those already stale or missing (refresh-ahead).
    """
    job_ids = []
    for index, batch in enumerate(_chunks(units, settings.WARM_JOB_UNITS)):
        started = job_start(
            kind=f"warm:{reason}",
            units=batch,
            result_url=f"warm:{reason}:{index}",
            queue=WARM_QUEUE,
            refresh_within=refresh_within,
        )
        job_ids.append(started.job.id)
    logger.info("warming (%s): %d units in %d jobs", reason, len(units), len(job_ids))
    return job_ids
