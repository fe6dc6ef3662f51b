"""When a fetch does not work out: sleep a little, go back to the queue, or give up.

Every wait a worker meets comes here: an upstream's transient failure (429,
5xx, timeouts, an unusable body), a spent budget or busy slot (limits.py),
another worker fetching the same unit (locks.py), the task's time limit,
and a warm job giving way to people's fetches. ``decide()`` answers with
one of

- ``Sleep(seconds)``: try again in place; only for short waits, so that the
  worker sleeps at most UPSTREAM_MAX_INLINE_WAIT in a run;
- ``Requeue(countdown)``: put the job back in the queue to run again after
  ``countdown`` seconds, freeing the worker meanwhile;
- ``Fail(code, message)``: the job fails with that error.

Transient failures back off exponentially with full jitter (capped at
UPSTREAM_RETRY_MAX_DELAY, honouring Retry-After) and give up after
UPSTREAM_MAX_ATTEMPTS attempts; a definite refusal (a 4xx) fails at once.
A wait longer than MAX_COUNTDOWN fails a person's job rather than keep them
waiting for hours; a warm job waiting for budget goes back to the queue
(at most MAX_COUNTDOWN at a time, not counted against MAX_REQUEUES) until
the budget has room again.
"""

import random
from dataclasses import dataclass, replace

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .clients.http import UpstreamError
from .limits import BudgetWait

# A requeued task must run again well within the broker's visibility timeout (1 h).
MAX_COUNTDOWN = 600
# How often one job may go back to the queue before it fails.
MAX_REQUEUES = 50
# The shortest countdown of a requeue (a broker round trip costs more than this is worth).
MIN_COUNTDOWN = 1.0
# A warm job waits this long before running again when people's fetches are queued.
WARM_YIELD_SECONDS = 1.0
# How often a worker looks again at a unit another worker is fetching.
BUSY_POLL_SECONDS = 0.1


class UnitBusy(Exception):
    """Another worker holds the lock on fetching this unit."""

    def __init__(self, unit: str):
        super().__init__(f"{unit} is being fetched by another worker")
        self.unit = unit


class YieldToPeople(Exception):
    """A warm job steps aside: people's fetches are waiting in the queue."""


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Requeue:
    countdown: float
    # False for a warm job's yield: it does not count against MAX_REQUEUES.
    counted: bool = True


@dataclass(frozen=True)
class Fail:
    code: str
    message: str


Decision = Sleep | Requeue | Fail
# What decide() knows how to handle; anything else is a crash (internal_error).
HANDLED = (UpstreamError, BudgetWait, UnitBusy, YieldToPeople, SoftTimeLimitExceeded)


@dataclass(frozen=True)
class Attempt:
    """Where a job stands when something went wrong."""

    pool: str = "interactive"  # "interactive" (people) or "warm"
    failures: int = 0  # transient upstream failures of the unit so far, earlier runs included
    requeues: int = 0  # times the job already went back to the queue
    slept: float = 0.0  # seconds this run has slept in place so far

    def after(self, error: Exception, decision: Sleep) -> "Attempt":
        """The attempt after ``error`` was slept off."""
        failures = self.failures + (1 if isinstance(error, UpstreamError) else 0)
        return replace(self, failures=failures, slept=self.slept + decision.seconds)


def decide(error: Exception, attempt: Attempt) -> Decision:
    if isinstance(error, UpstreamError):
        return _upstream_failed(error, attempt)
    if isinstance(error, BudgetWait):
        return _wait(error.seconds, attempt, budget=True, code="budget_exhausted", message=str(error))
    if isinstance(error, UnitBusy):
        if attempt.slept + BUSY_POLL_SECONDS <= settings.UPSTREAM_MAX_INLINE_WAIT:
            return Sleep(BUSY_POLL_SECONDS)
        message = "another fetch of the same data did not finish"
        return _requeue(MIN_COUNTDOWN * 2, attempt, code="lock_timeout", message=message)
    if isinstance(error, YieldToPeople):
        return Requeue(WARM_YIELD_SECONDS, counted=False)
    if isinstance(error, SoftTimeLimitExceeded):
        return Fail("timeout", "the fetch took too long")
    raise TypeError(f"no retry policy for {type(error).__name__}")


def _upstream_failed(error: UpstreamError, attempt: Attempt) -> Decision:
    if not error.transient:
        return Fail(error.code, error.message)
    failures = attempt.failures + 1
    if failures >= settings.UPSTREAM_MAX_ATTEMPTS:
        return Fail(error.code, error.message)
    backoff = min(settings.UPSTREAM_RETRY_MAX_DELAY, settings.UPSTREAM_RETRY_BASE_DELAY * 2**failures)
    delay = random.uniform(backoff / 2, backoff)
    if error.retry_after is not None:
        if error.retry_after > settings.UPSTREAM_RETRY_MAX_DELAY:
            # The upstream asks for a long pause: like a spent budget.
            message = f"{error.message}; asked to wait {error.retry_after:.0f} s"
            return _wait(error.retry_after, attempt, budget=True, code="budget_exhausted", message=message)
        delay = max(delay, error.retry_after)
    return _wait(delay, attempt, budget=False, code=error.code, message=error.message)


def _wait(seconds: float, attempt: Attempt, *, budget: bool, code: str, message: str) -> Decision:
    """Sleep when the wait fits in this run's inline allowance, else requeue (or give up)."""
    if attempt.slept + seconds <= settings.UPSTREAM_MAX_INLINE_WAIT:
        return Sleep(seconds)
    if budget and attempt.pool == "warm":
        # Warming waits in the queue until its budget (or share) has room again;
        # it keeps nobody waiting, so it is not bounded like a person's job.
        return Requeue(max(MIN_COUNTDOWN, min(seconds, MAX_COUNTDOWN)), counted=False)
    return _requeue(seconds, attempt, code=code, message=message)


def _requeue(countdown: float, attempt: Attempt, *, code: str, message: str) -> Decision:
    if countdown > MAX_COUNTDOWN or attempt.requeues >= MAX_REQUEUES:
        # A person is told rather than kept waiting for hours.
        return Fail(code, message)
    return Requeue(max(MIN_COUNTDOWN, countdown))
