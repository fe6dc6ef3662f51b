"""The Celery task that fills the cache for a job, and filling one unit.

Tasks are acknowledged late and may run twice (a worker that died mid-fetch
gets its task redelivered), so filling a unit is idempotent: a unit that is
already fresh is skipped, and each unit is fetched under its own lock. What
to do when a fetch does not work out (sleep, requeue, fail) is decided in
retry.py; how to fetch a unit, by its kind (kinds/). Every request to an
upstream goes through ``guards.request`` (its breaker first, before any
budget is reserved; then its budget), which the kind's fetch calls.

A unit of a derived kind (``Kind.inputs``) has its inputs filled first, each
the same way (its own lock, budget and retries, recursively), and is then
computed by its kind's fetch from their stored entries.
"""

import logging
import time
from dataclasses import replace
from functools import cache

import redis
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from backend_django.core.valkey import broker_client

from .. import kinds
from ..cache import store
from ..clients.http import UpstreamError
from ..guards import UpstreamDown, shares
from . import liveness, locks, records, retry
from .retry import Attempt, Fail, Requeue, Sleep, UnitBusy, YieldToPeople
from .warming import WARM_QUEUE

logger = logging.getLogger(__name__)


# How often a derived unit's inputs are filled again when one is gone by the time it is computed.
MAX_INPUT_REFILLS = 3


class Deferred(Exception):
    """Filling a unit stopped with a decision the task carries out (requeue or fail)."""

    def __init__(self, decision: Requeue | Fail, error: Exception, attempt: Attempt, unit: str = ""):
        super().__init__(str(error))
        self.decision = decision
        self.error = error
        self.attempt = attempt
        self.unit = unit  # the unit whose fetch failed (a derived unit's input, say)


def _deferred(error: Exception, attempt: Attempt) -> Deferred:
    """The Deferred of an error met between units (a warm job's yield, the time
    limit): retry.decide never answers those with a Sleep."""
    decision = retry.decide(error, attempt)
    assert not isinstance(decision, Sleep), f"{type(error).__name__} is not slept off in place"
    return Deferred(decision, error, attempt)


def _up_to_date(kind: kinds.Kind, unit: str, refresh_within: float) -> bool:
    """Nothing to do for ``unit``: it is fresh (for ``refresh_within`` more seconds), and so
    are its companions. One round trip, no body read."""
    now = time.time()
    own, *companions = store.fresh_untils([unit, *kind.companions(unit)])
    return (
        own is not None
        and own > now + refresh_within
        and all(until is not None and until > now for until in companions)
    )


def fill_unit(unit: str, *, attempt: Attempt, refresh_within: float = 0) -> Attempt:
    """Make ``unit`` fresh in the cache (and, with ``refresh_within``, fresh
    for that much longer): fetch it, or wait for whoever is fetching it.

    A derived unit's inputs are filled first (outside its lock: an input may
    take a while), then it is computed from them.

    Returns the attempt as it stands afterwards (what this run has slept so
    far); raises ``Deferred`` when the job must go back to the queue or fail.
    """
    kind = kinds.of_unit(unit)
    # The run's token, so that a run taken over from a dead worker can release its locks.
    token = liveness.lock_token() or locks.new_token()
    refills = 0
    inputs_filled = kind.inputs is None
    while True:
        if _up_to_date(kind, unit, refresh_within):
            return attempt
        if not inputs_filled and kind.inputs is not None:
            for input_unit in kind.inputs(unit):
                attempt = fill_unit(input_unit, attempt=attempt, refresh_within=refresh_within)
            inputs_filled = True
        try:
            if not locks.unit_lock_acquire(unit, token):
                raise UnitBusy(unit)
            try:
                if _up_to_date(kind, unit, refresh_within):  # filled meanwhile
                    return attempt
                # An entry still within its stale window lets climate fetch only the tail.
                entry = store.read(unit)
                usable = entry if entry is not None and entry.state() != "missing" else None
                entries = _fetch_counted(kind, unit, usable, attempt)
                # The unit last: readers go by its freshness (data status), so whoever
                # sees it fresh finds its companions (the sun's summary) stored too.
                store.write(sorted(entries, key=lambda entry: entry.unit == unit))
                return attempt
            finally:
                locks.unit_lock_release(unit, token)
        except kinds.InputsMissing as error:
            # An input went (evicted) between filling it and reading it: fill it again.
            refills += 1
            if refills > MAX_INPUT_REFILLS:
                raise
            inputs_filled = False
            logger.info("%s; filling its inputs again", error)
        except retry.HANDLED as error:
            decision = retry.decide(error, attempt)
            if not isinstance(decision, Sleep):
                raise Deferred(decision, error, attempt, unit) from error
            if not isinstance(error, UnitBusy):
                logger.info("%s: %s; trying again in %.2f s", unit, error, decision.seconds)
            if isinstance(error, UpstreamError) and attempt.job_id:
                records.job_retrying(
                    attempt.job_id, retry_at=time.time() + decision.seconds, error=(error.code, error.message)
                )
            time.sleep(decision.seconds)
            attempt = attempt.after(error, decision)


def _fetch_counted(kind: kinds.Kind, unit: str, usable: store.Entry | None, attempt: Attempt) -> list:
    """``kind.fetch``, counting on the job the upstream requests it sent (its
    ``attempts``). The fetch asks its upstream through ``guards.request``:
    UpstreamDown or BudgetWait mean nothing was sent."""
    if kind.upstream is None:  # a derived kind asks no upstream of its own
        return kind.fetch(unit, usable, attempt.pool)
    try:
        entries = kind.fetch(unit, usable, attempt.pool)
    except UpstreamError as error:
        _sent(attempt)
        logger.info("%s: %s failed: %s", unit, kind.upstream, error)
        raise
    except UpstreamDown as error:
        if error.after_request:  # this request's failure took it down
            _sent(attempt)
        raise
    _sent(attempt)
    return entries


def _sent(attempt: Attempt) -> None:
    if attempt.job_id:
        records.job_attempted(attempt.job_id)


@cache
def _broker() -> redis.Redis:
    return broker_client(settings.CELERY_BROKER_URL, socket_timeout=2)


def interactive_backlog() -> int:
    """People's fetch tasks waiting in the broker right now; 0 when the broker
    does not answer (its primary being replaced, say): this is only a hint for
    a warm job to step aside, never a reason for it to fail."""
    try:
        return _broker().llen("interactive")
    except redis.RedisError as error:
        logger.info("the broker's queue length is unknown (%s); a warm job carries on", error)
        return 0


@shared_task(bind=True, name=records.RUN_JOB_TASK, max_retries=None)
def run_job(self: Task, job_id: str, failures: int = 0) -> str:
    """Fill the job's units in turn. ``failures``: transient upstream
    failures of its current unit in earlier runs (carried over a requeue)."""
    job = records.job_get(job_id)
    if job is None or job.finished:
        return "gone" if job is None else job.status
    if not liveness.start_run(job, task_id=self.request.id or ""):
        # Another live run has it, or its countdown is not over (a late or repeated delivery).
        return "duplicate"
    shares.set_client(job.client)  # its fetches spend this client's share
    pool = "warm" if job.queue == WARM_QUEUE else "interactive"
    attempt = Attempt(
        pool=pool,
        failures=failures,
        requeues=self.request.retries or 0,
        started_at=job.created_at,
        job_id=job_id,
    )
    unit = ""
    try:
        for done, unit in enumerate(job.units, start=1):
            if pool == "warm" and interactive_backlog() > 0:
                # Units filled so far are fresh and will be skipped when this job runs again.
                raise _deferred(YieldToPeople(), attempt)
            attempt = fill_unit(unit, attempt=attempt, refresh_within=job.refresh_within)
            attempt = replace(attempt, failures=0)  # the next unit has its own attempts
            records.job_progress(job_id, done)
    except Deferred as deferred:
        return _carry_out(self, job, deferred.unit or unit, deferred)
    except SoftTimeLimitExceeded as error:
        return _carry_out(self, job, unit, _deferred(error, attempt))
    except Exception:
        logger.exception("job %s (%s) crashed on %s", job_id, job.kind, unit)
        records.job_fail(
            job, code="internal_error", message="Something went wrong on our side; please try again later."
        )
        raise
    records.job_succeed(job)
    return records.SUCCEEDED


def _carry_out(task: Task, job: records.Job, unit: str, deferred: Deferred) -> str:
    decision, error = deferred.decision, deferred.error
    if isinstance(decision, Requeue):
        failures = deferred.attempt.failures + (1 if isinstance(error, UpstreamError | UpstreamDown) else 0)
        if isinstance(error, YieldToPeople | UnitBusy):
            records.job_requeued(job, countdown=decision.countdown)
        else:
            cause = (error.code, error.message) if isinstance(error, UpstreamError | UpstreamDown) else None
            records.job_waiting(
                job,
                waiting_for=decision.waiting_for,
                retry_at=time.time() + decision.countdown,
                error=cause,
            )
        if isinstance(error, YieldToPeople):
            run_job.apply_async(
                args=[job.id], queue=job.queue, countdown=decision.countdown, shadow=records.task_label(job)
            )
            return "yielded"
        logger.info("job %s (%s) waits %.0f s: %s", job.id, job.kind, decision.countdown, error)
        raise task.retry(countdown=decision.countdown, kwargs={"failures": failures}) from error
    _remember_failure(unit, error)
    logger.warning("job %s (%s) failed on %s: %s", job.id, job.kind, unit, error)
    records.job_fail(job, code=decision.code, message=decision.message)
    return records.FAILED


def _remember_failure(unit: str, error: Exception) -> None:
    """A definite refusal (4xx) is remembered for a while; a transient failure or a down
    upstream keeps background refreshes of the unit away for a minute."""
    if isinstance(error, UpstreamError) and not error.transient:
        store.remember_error(unit, error.code, error.message, error.status)
    elif isinstance(error, UpstreamError | UpstreamDown):
        store.note_failure(unit)


def fill_now(unit: str, *, wait: float) -> None:
    """Fill ``unit`` in this process, now, waiting at most ``wait`` seconds: for an
    answer given in the request (a map tile), with the same lock (single flight with
    workers and other requests), guards and retry decisions as a worker's fill, but
    never going back to a queue. Raises ``Deferred`` (its decision a ``Fail`` with a
    message for people) when it cannot be done in time."""
    now = time.time()
    try:
        fill_unit(unit, attempt=Attempt(pool="interactive", started_at=now, wait_until=now + wait))
    except Deferred as deferred:
        _remember_failure(deferred.unit or unit, deferred.error)
        raise
