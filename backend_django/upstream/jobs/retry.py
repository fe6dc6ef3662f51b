"""When a fetch does not work out: sleep a little, go back to the queue, or give up.

Every wait a worker meets comes here: an upstream's transient failure (429,
5xx, timeouts, an unusable body), an upstream that is down (its breaker is
open, guards/breaker.py), a spent budget or busy slot (guards/budgets.py),
another worker fetching the same unit (locks.py), the task's time limit, and a warm job
giving way to people's fetches. ``decide()`` answers with one of

- ``Sleep(seconds)``: try again in place; only for short waits, so that the
  worker sleeps at most UPSTREAM_MAX_INLINE_WAIT in a run;
- ``Requeue(countdown, waiting_for)``: put the job back in the queue to run
  again after ``countdown`` seconds, freeing the worker meanwhile; the job
  shows what it waits for ("upstream_down", "budget", "worker");
- ``Fail(code, message)``: the job fails with that error (``message`` is for
  a person: what happened and when to try again).

Transient failures back off exponentially with full jitter (capped at
UPSTREAM_RETRY_MAX_DELAY, honouring Retry-After); a definite refusal (a 4xx)
fails at once. A down upstream is waited for until its cool-off ends, never
in place. Nothing gives up on a number of attempts: a person's job
("interactive") keeps trying until UPSTREAM_PERSON_MAX_WAIT seconds after it
was created, then fails, and fails at once when the wait would end later
than that; a warm job (prefetch, refresh) waits quietly up to
UPSTREAM_WARM_MAX_WAIT through outages, and for a spent budget as long as it
takes to return (at most a day: the longest budget window).
"""

import random
import time
from dataclasses import dataclass, replace

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from ..clients.http import UpstreamError
from ..guards import BudgetWait, UpstreamDown
from ..upstreams import label

# A requeued task must run again well within the broker's visibility timeout (1 h).
MAX_COUNTDOWN = 600
# How often one job may go back to the queue for another worker's lock before it fails.
MAX_REQUEUES = 50
# The shortest countdown of a requeue (a broker round trip costs more than this is worth).
MIN_COUNTDOWN = 1.0
# A warm job waits this long before running again when people's fetches are queued.
WARM_YIELD_SECONDS = 1.0
# How often a worker looks again at a unit another worker is fetching.
BUSY_POLL_SECONDS = 0.1
# Jobs waiting for a down upstream come back spread over this share of the wait.
DOWN_JITTER = 0.1

UPSTREAM_DOWN, BUDGET, WORKER = "upstream_down", "budget", "worker"


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
    # False for a warm job's yield (it runs again at once, not as a retry of the task).
    counted: bool = True
    waiting_for: str = WORKER


@dataclass(frozen=True)
class Fail:
    code: str
    message: str


Decision = Sleep | Requeue | Fail
# What decide() knows how to handle; anything else is a crash (internal_error).
HANDLED = (UpstreamError, UpstreamDown, BudgetWait, UnitBusy, YieldToPeople, SoftTimeLimitExceeded)


@dataclass(frozen=True)
class Attempt:
    """Where a job stands when something went wrong."""

    pool: str = "interactive"  # "interactive" (people) or "warm"
    failures: int = 0  # transient upstream failures of the unit so far, earlier runs included
    requeues: int = 0  # times the job already went back to the queue
    slept: float = 0.0  # seconds this run has slept in place so far
    started_at: float = 0.0  # when the job was created (epoch seconds; 0: now)
    job_id: str = ""  # the job, whose record shows each retry (tasks.py)
    # An answer given in the request (tasks.fill_now): stop waiting at this time
    # (epoch seconds) instead of the pool's bound, and never requeue.
    wait_until: float = 0.0

    def after(self, error: Exception, decision: Sleep) -> "Attempt":
        """The attempt after ``error`` was slept off."""
        failures = self.failures + (1 if isinstance(error, UpstreamError) else 0)
        return replace(self, failures=failures, slept=self.slept + decision.seconds)

    def deadline(self) -> float:
        """When this job stops waiting (epoch seconds)."""
        if self.wait_until:
            return self.wait_until
        start = self.started_at or time.time()
        bound = (
            settings.UPSTREAM_PERSON_MAX_WAIT
            if self.pool == "interactive"
            else settings.UPSTREAM_WARM_MAX_WAIT
        )
        return start + bound


def clock(timestamp: float) -> str:
    """A time as people read it in messages: "21:40 UTC" (with the seconds when close)."""
    shown = time.gmtime(timestamp)
    if timestamp - time.time() < 600:
        return time.strftime("%H:%M:%S UTC", shown)
    return time.strftime("%H:%M UTC", shown)


def decide(error: Exception, attempt: Attempt) -> Decision:
    if isinstance(error, UpstreamError):
        return _upstream_failed(error, attempt)
    if isinstance(error, UpstreamDown):
        countdown = error.seconds * (1 + random.uniform(0, DOWN_JITTER))
        return _wait(
            max(MIN_COUNTDOWN, countdown), attempt, waiting_for=UPSTREAM_DOWN, inline=False,
            code=error.code, message=down_message(error.upstream, time.time() + countdown),
        )  # fmt: skip
    if isinstance(error, BudgetWait):
        return _wait(
            error.seconds, attempt, waiting_for=BUDGET, code="budget_exhausted",
            message=_budget_message(error.upstream, time.time() + error.seconds),
        )  # fmt: skip
    if isinstance(error, UnitBusy):
        inline = attempt.wait_until or attempt.slept + BUSY_POLL_SECONDS <= settings.UPSTREAM_MAX_INLINE_WAIT
        if inline and time.time() + BUSY_POLL_SECONDS <= attempt.deadline():
            return Sleep(BUSY_POLL_SECONDS)
        if attempt.requeues >= MAX_REQUEUES:
            return Fail("lock_timeout", "Another fetch of the same data did not finish; please try again.")
        return Requeue(MIN_COUNTDOWN * 2)
    if isinstance(error, YieldToPeople):
        return Requeue(WARM_YIELD_SECONDS, counted=False)
    if isinstance(error, SoftTimeLimitExceeded):
        return Fail("timeout", "Fetching the data took too long; please try again in a few minutes.")
    raise TypeError(f"no retry policy for {type(error).__name__}")


def down_message(upstream: str, retry_at: float) -> str:
    return f"{label(upstream)} is not answering; please try again after {clock(retry_at)}."


def _budget_message(upstream: str, retry_at: float) -> str:
    return (
        f"We have used up our allowance of requests to {label(upstream)} for now; "
        f"please try again after {clock(retry_at)}."
    )


def _upstream_failed(error: UpstreamError, attempt: Attempt) -> Decision:
    if not error.transient:
        return Fail(error.code, error.message)
    failures = attempt.failures + 1
    backoff = min(settings.UPSTREAM_RETRY_MAX_DELAY, settings.UPSTREAM_RETRY_BASE_DELAY * 2**failures)
    delay = random.uniform(backoff / 2, backoff)
    if error.retry_after is not None:
        delay = max(delay, min(error.retry_after, MAX_COUNTDOWN))
    upstream = error.upstream or ""
    return _wait(
        delay, attempt, waiting_for=UPSTREAM_DOWN, code=error.code,
        message=down_message(upstream, time.time() + delay) if upstream else error.message,
    )  # fmt: skip


def _wait(
    seconds: float, attempt: Attempt, *, waiting_for: str, code: str, message: str, inline: bool = True
) -> Decision:
    """Sleep when the wait fits in this run's inline allowance, else requeue; give up
    when the wait would end past the job's deadline.

    A warm job waiting for budget has no deadline: every budget window is at
    most a day, so the budget always returns, and the prefetch then runs
    (rather than fail and leave its plans without data until the nightly pass)."""
    warm_budget_wait = attempt.pool == "warm" and waiting_for == BUDGET
    if not warm_budget_wait and time.time() + seconds > attempt.deadline():
        return Fail(code, message)
    if attempt.wait_until:  # in a request: sleep until the deadline, never requeue
        return Sleep(seconds) if inline else Fail(code, message)
    if inline and attempt.slept + seconds <= settings.UPSTREAM_MAX_INLINE_WAIT:
        return Sleep(seconds)
    return Requeue(max(MIN_COUNTDOWN, min(seconds, MAX_COUNTDOWN)), waiting_for=waiting_for)
