"""The one retry policy: what a worker does when a fetch does not work out (no Valkey needed)."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from backend_django.upstream import retry_policy
from backend_django.upstream.clients.http import UpstreamError
from backend_django.upstream.limits import BudgetWait
from backend_django.upstream.retry_policy import Attempt, Fail, Requeue, Sleep, UnitBusy, YieldToPeople


@pytest.fixture(autouse=True)
def _policy_settings(settings):
    settings.UPSTREAM_MAX_ATTEMPTS = 4
    settings.UPSTREAM_RETRY_BASE_DELAY = 1.0
    settings.UPSTREAM_RETRY_MAX_DELAY = 30.0
    settings.UPSTREAM_MAX_INLINE_WAIT = 5.0


def transient(retry_after=None):
    return UpstreamError("upstream_unavailable", "the upstream answered HTTP 503", True, 503, retry_after)


def test_a_definite_refusal_fails_at_once():
    error = UpstreamError("upstream_rejected", "the upstream answered HTTP 400", False, 400)
    decision = retry_policy.decide(error, Attempt())
    assert decision == Fail("upstream_rejected", "the upstream answered HTTP 400")


def test_transient_failures_back_off_with_jitter_then_give_up():
    # Failure n waits uniformly between half and all of base * 2**n seconds.
    for failures, (low, high) in enumerate([(1, 2), (2, 4)]):
        for _ in range(50):
            decision = retry_policy.decide(transient(), Attempt(failures=failures))
            assert isinstance(decision, Sleep) and low <= decision.seconds <= high
    # The third back-off (4-8 s) no longer fits in the 5 s a run may sleep: back to the queue.
    decisions = {type(retry_policy.decide(transient(), Attempt(failures=2))) for _ in range(50)}
    assert decisions <= {Sleep, Requeue} and Requeue in decisions
    # The fourth failure is the last attempt.
    assert retry_policy.decide(transient(), Attempt(failures=3)) == Fail(
        "upstream_unavailable", "the upstream answered HTTP 503"
    )


def test_retry_after_is_honoured_and_a_long_one_is_a_spent_budget():
    assert retry_policy.decide(transient(retry_after=3.5), Attempt()) == Sleep(3.5)
    assert retry_policy.decide(transient(retry_after=120), Attempt()) == Requeue(120)
    # Warming waits in the queue for as long as asked, uncounted.
    assert retry_policy.decide(transient(retry_after=120), Attempt(pool="warm")) == Requeue(
        120, counted=False
    )


def test_a_spent_budget_sleeps_briefly_requeues_longer_and_fails_for_hours():
    assert retry_policy.decide(BudgetWait("open_meteo", 2), Attempt()) == Sleep(2)
    assert retry_policy.decide(BudgetWait("open_meteo", 40), Attempt()) == Requeue(40)
    decision = retry_policy.decide(BudgetWait("open_meteo", 40), Attempt(requeues=retry_policy.MAX_REQUEUES))
    assert decision == Fail("budget_exhausted", "open_meteo budget spent; retry in 40 s")
    hours = retry_policy.decide(BudgetWait("open_meteo", 3108), Attempt())
    assert hours == Fail("budget_exhausted", "open_meteo budget spent; retry in 3108 s")


def test_a_warm_job_waits_in_the_queue_for_its_budget_however_long():
    assert retry_policy.decide(BudgetWait("open_meteo", 40), Attempt(pool="warm")) == Requeue(
        40, counted=False
    )
    # Hours away: it looks again after MAX_COUNTDOWN (within the broker's visibility timeout).
    for attempt in (Attempt(pool="warm"), Attempt(pool="warm", requeues=retry_policy.MAX_REQUEUES)):
        decision = retry_policy.decide(BudgetWait("open_meteo", 3108), attempt)
        assert decision == Requeue(retry_policy.MAX_COUNTDOWN, counted=False)


def test_a_run_sleeps_at_most_the_inline_allowance_in_all():
    # (what goes wrong, the longest single sleep it can get)
    for error, longest in ((UnitBusy("u"), 0.1), (BudgetWait("overpass", 0.2), 0.2), (transient(0.7), 2.0)):
        attempt = Attempt()
        while isinstance(decision := retry_policy.decide(error, attempt), Sleep):
            assert decision.seconds <= longest
            attempt = Attempt(slept=attempt.slept + decision.seconds)
        assert 5.0 - longest < attempt.slept <= 5.0
        assert isinstance(decision, Requeue) and decision.counted and decision.countdown >= 1


def test_another_workers_fetch_is_waited_for_then_given_up_on():
    assert retry_policy.decide(UnitBusy("u"), Attempt()) == Sleep(retry_policy.BUSY_POLL_SECONDS)
    gave_up = retry_policy.decide(UnitBusy("u"), Attempt(slept=5.0, requeues=retry_policy.MAX_REQUEUES))
    assert isinstance(gave_up, Fail) and gave_up.code == "lock_timeout"


def test_the_time_limit_and_the_warm_yield():
    timeout = retry_policy.decide(SoftTimeLimitExceeded(), Attempt())
    assert timeout == Fail("timeout", "the fetch took too long")
    assert retry_policy.decide(YieldToPeople(), Attempt(pool="warm")) == Requeue(
        retry_policy.WARM_YIELD_SECONDS, counted=False
    )


def test_a_slept_off_failure_counts_as_an_attempt():
    attempt = Attempt().after(transient(), Sleep(1.5))
    assert attempt.failures == 1 and attempt.slept == 1.5
    attempt = attempt.after(BudgetWait("open_meteo", 1), Sleep(1))
    assert attempt.failures == 1 and attempt.slept == 2.5
