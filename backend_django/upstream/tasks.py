"""The Celery task that fills the cache for a job, and the unit fillers.

Tasks are acknowledged late and may run twice (a worker that died mid-fetch
gets its task redelivered), so filling a unit is idempotent: a unit that is
already fresh is skipped, and each unit is fetched under its own lock.
"""

import logging
import random
import secrets
import time
from datetime import date
from functools import cache

import redis
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from backend_django.core.valkey import get_valkey

from . import buildings, canopy, climate, jobs, store
from .clients.http import UpstreamError
from .limits import BudgetWait, OverpassSlots, canopy_slot, open_meteo_reserve, overpass_slot

logger = logging.getLogger(__name__)

# How long a task sleeps in place for budget before handing the wait to a
# Celery retry (which frees the worker for other jobs).
MAX_INLINE_WAIT = 10.0
MAX_BUDGET_RETRIES = 50
WARM_YIELD_SECONDS = 1
# Longer waits fail the job (budget_exhausted) instead: a retry countdown must
# stay well under the broker's visibility timeout (1 h) or it is redelivered.
MAX_RETRY_COUNTDOWN = 600


def _with_retries(upstream: str, call):
    """Run ``call`` again after transient failures, with exponential back-off
    and full jitter, honouring Retry-After. A wait longer than the back-off
    cap becomes a BudgetWait, so the task is re-queued instead of sleeping."""
    attempts = settings.UPSTREAM_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except UpstreamError as error:
            if not error.transient or attempt == attempts:
                raise
            backoff = min(settings.UPSTREAM_RETRY_MAX_DELAY, settings.UPSTREAM_RETRY_BASE_DELAY * 2**attempt)
            delay = random.uniform(backoff / 2, backoff)
            if error.retry_after is not None:
                if error.retry_after > settings.UPSTREAM_RETRY_MAX_DELAY:
                    raise BudgetWait(upstream, error.retry_after) from error
                delay = max(delay, error.retry_after)
            logger.info("%s: %s; retry %d/%d in %.2f s", upstream, error, attempt, attempts - 1, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _fill_climate(unit: str, existing: store.Entry | None, pool: str) -> None:
    today = date.today()
    existing_body = existing.json() if existing is not None else None

    def call():
        open_meteo_reserve(climate.weight_of(unit, existing_body, today), pool, MAX_INLINE_WAIT)
        return climate.fetch_unit(unit, existing_body, today)

    body, weight = _with_retries("open_meteo", call)
    summary = climate.summarize(body, today)
    pipe = get_valkey().pipeline(transaction=True)
    for new_entry in (
        store.NewEntry(
            unit, climate.encode(body), "application/json",
            settings.CLIMATE_FRESH_SECONDS, settings.CLIMATE_STALE_SECONDS,
        ),
        store.NewEntry(
            climate.summary_unit(unit), climate.encode(summary), "application/json",
            settings.CLIMATE_FRESH_SECONDS, settings.CLIMATE_STALE_SECONDS,
        ),
    ):  # fmt: skip
        store.queue_write(pipe, new_entry)
    pipe.execute()
    logger.info("climate %s stored (%d days, %.1f weighted calls)", unit, len(body["daily"]["time"]), weight)


def _fill_buildings_cell(unit: str, existing: store.Entry | None, pool: str) -> None:
    def call():
        with overpass_slot(pool, MAX_INLINE_WAIT):
            try:
                return buildings.fetch_cell(unit)
            except UpstreamError as error:
                if error.status == 429:
                    OverpassSlots.cool_down(error.retry_after or settings.UPSTREAM_RETRY_BASE_DELAY * 4)
                raise

    payload = _with_retries("overpass", call)
    pipe = get_valkey().pipeline(transaction=True)
    store.queue_write(
        pipe,
        store.NewEntry(
            unit,
            buildings.encode(payload),
            "application/json",
            settings.BUILDINGS_FRESH_SECONDS,
            settings.BUILDINGS_STALE_SECONDS,
        ),
    )
    pipe.execute()
    logger.info("buildings %s stored (%d ways)", unit, len(payload["ways"]))


def _fill_canopy(unit: str, existing: store.Entry | None, pool: str) -> None:
    """Read the window's rows from the tile(s) with Range requests, store a small GeoTIFF."""

    def call():
        with canopy_slot(pool, MAX_INLINE_WAIT):
            return canopy.read_window(unit)

    tiff = _with_retries("canopy", call)
    pipe = get_valkey().pipeline(transaction=True)
    store.queue_write(
        pipe,
        store.NewEntry(
            unit,
            tiff,
            "image/tiff",
            settings.CANOPY_FRESH_SECONDS,
            settings.CANOPY_STALE_SECONDS,
            compress=False,  # deflate inside the TIFF already
        ),
    )
    pipe.execute()
    logger.info("canopy %s stored (%d bytes)", unit, len(tiff))


FILLERS = {
    "climate": _fill_climate,
    "bcell": _fill_buildings_cell,
}


def register_filler(prefix: str, filler) -> None:
    """Let another module fill units of its own kind."""
    FILLERS[prefix] = filler


register_filler("canopy", _fill_canopy)


# Entries written together with a unit, which must be fresh too for the unit
# to count as fresh (the climate summary lives beside the climate body).
COMPANIONS = {"climate": lambda unit: [climate.summary_unit(unit)]}


def _up_to_date(unit: str, refresh_within: float) -> tuple[bool, store.Entry | None]:
    """(nothing to do, the unit's entry) for ``unit`` now."""
    entry = store.read(unit)
    if entry is None or entry.fresh_until <= time.time() + refresh_within:
        return False, entry
    companions = COMPANIONS.get(unit.split(":", 1)[0], lambda _: [])(unit)
    return all(state == "fresh" for state in store.states(companions).values()), entry


def fill_unit(unit: str, *, pool: str, refresh_within: float = 0) -> None:
    """Make ``unit`` fresh in the cache (and, with ``refresh_within``, fresh
    for that much longer): fetch it, or wait for whoever is fetching it."""
    filler = FILLERS[unit.split(":", 1)[0]]
    token = secrets.token_hex(8)
    deadline = time.monotonic() + settings.UPSTREAM_LOCK_TTL
    while True:
        if _up_to_date(unit, refresh_within)[0]:
            return
        if jobs.lock_acquire(unit, token):
            try:
                done, entry = _up_to_date(unit, refresh_within)
                if done:
                    return
                # An entry still within its stale window lets climate fetch only the tail.
                usable = entry if entry is not None and entry.state() != "missing" else None
                filler(unit, usable, pool)
            finally:
                jobs.lock_release(unit, token)
            return
        if time.monotonic() > deadline:
            raise UpstreamError("lock_timeout", "another fetch of the same data did not finish", True)
        time.sleep(0.1)


@cache
def _broker():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)


def interactive_backlog() -> int:
    """People's fetch tasks waiting in the broker right now."""
    return _broker().llen("interactive")


@shared_task(bind=True, name="upstream.run_job", max_retries=MAX_BUDGET_RETRIES)
def run_job(self, job_id: str) -> str:
    job = jobs.job_get(job_id)
    if job is None or job.finished:
        return "gone" if job is None else job.status
    jobs.job_running(job_id)
    pool = "warm" if job.queue == "warm" else "interactive"
    unit = ""
    try:
        for done, unit in enumerate(job.units, start=1):
            if pool == "warm" and interactive_backlog() > 0:
                # Yield the worker to people's fetches; units filled so far
                # are fresh and will be skipped when this job runs again.
                jobs.job_requeued(job_id)
                run_job.apply_async(args=[job_id], queue="warm", countdown=WARM_YIELD_SECONDS)
                return "yielded"
            fill_unit(unit, pool=pool, refresh_within=job.refresh_within)
            jobs.job_progress(job_id, done)
    except BudgetWait as wait:
        if pool == "warm" or wait.seconds > MAX_RETRY_COUNTDOWN or self.request.retries >= self.max_retries:
            # Warming stops when its share is spent and resumes on its next
            # run; a person is told rather than kept waiting for hours.
            jobs.job_fail(job_id, code="budget_exhausted", message=str(wait))
            return jobs.FAILED
        jobs.job_requeued(job_id, countdown=wait.seconds)
        raise self.retry(countdown=wait.seconds) from wait
    except UpstreamError as error:
        if error.transient:
            store.note_failure(unit)
        else:
            store.remember_error(unit, error.code, error.message, error.status)
        logger.warning("job %s (%s) failed on %s: %s", job_id, job.kind, unit, error)
        jobs.job_fail(job_id, code=error.code, message=error.message)
        return jobs.FAILED
    except SoftTimeLimitExceeded:
        jobs.job_fail(job_id, code="timeout", message="the fetch took too long")
        return jobs.FAILED
    except Exception as error:
        logger.exception("job %s (%s) crashed on %s", job_id, job.kind, unit)
        jobs.job_fail(job_id, code="internal_error", message=f"unexpected error: {type(error).__name__}")
        raise
    jobs.job_succeed(job_id)
    return jobs.SUCCEEDED
