"""The one retry policy: what a worker does when a fetch does not work out (no Valkey needed)."""

import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from backend_django.upstream.clients.http import UpstreamError
from backend_django.upstream.guards.breaker import UpstreamDown
from backend_django.upstream.guards.budgets import BudgetWait
from backend_django.upstream.jobs import retry as retry_policy
from backend_django.upstream.jobs.retry import Attempt, Fail, Requeue, Sleep, UnitBusy, YieldToPeople


@pytest.fixture(autouse=True)
def _policy_settings(settings):
    settings.UPSTREAM_PERSON_MAX_WAIT = 120.0
    settings.UPSTREAM_WARM_MAX_WAIT = 6 * 3600.0
    settings.UPSTREAM_RETRY_BASE_DELAY = 1.0
    settings.UPSTREAM_RETRY_MAX_DELAY = 30.0
    settings.UPSTREAM_MAX_INLINE_WAIT = 5.0


def transient(retry_after=None):
    return UpstreamError(
        "upstream_unavailable",
        "Open-Meteo is having trouble and answered with an error.",
        True,
        503,
        retry_after,
        upstream="open_meteo",
    )


def test_a_definite_refusal_fails_at_once():
    error = UpstreamError("upstream_rejected", "the upstream answered HTTP 400", False, 400)
    decision = retry_policy.decide(error, Attempt())
    assert decision == Fail("upstream_rejected", "the upstream answered HTTP 400")


def test_transient_failures_back_off_with_jitter_then_give_up_at_the_deadline():
    # Failure n waits uniformly between half and all of base * 2**n seconds.
    for failures, (low, high) in enumerate([(1, 2), (2, 4)]):
        for _ in range(50):
            decision = retry_policy.decide(transient(), Attempt(failures=failures))
            assert isinstance(decision, Sleep) and low <= decision.seconds <= high
    # The third back-off (4-8 s) no longer fits in the 5 s a run may sleep: back to the queue.
    decisions = {type(retry_policy.decide(transient(), Attempt(failures=2))) for _ in range(50)}
    assert decisions <= {Sleep, Requeue} and Requeue in decisions
    # No number of failures gives up by itself: only the person's deadline does.
    many = retry_policy.decide(transient(), Attempt(failures=40, started_at=time.time()))
    assert isinstance(many, Requeue) and many.waiting_for == "upstream_down" and many.countdown <= 30
    late = retry_policy.decide(transient(), Attempt(failures=1, started_at=time.time() - 119.5))
    assert isinstance(late, Fail) and late.code == "upstream_unavailable"
    assert late.message.startswith("Open-Meteo is not answering; please try again after ")
    # A warm job keeps going far longer.
    warm = retry_policy.decide(transient(), Attempt(pool="warm", failures=40, started_at=time.time() - 3600))
    assert isinstance(warm, Requeue)


def test_retry_after_is_honoured_and_a_long_one_is_waited_for_within_the_deadline():
    assert retry_policy.decide(transient(retry_after=3.5), Attempt()) == Sleep(3.5)
    assert retry_policy.decide(transient(retry_after=60), Attempt()) == Requeue(
        60, waiting_for="upstream_down"
    )
    # Past a person's two minutes: told at once rather than kept waiting.
    failed = retry_policy.decide(transient(retry_after=300), Attempt(started_at=time.time()))
    assert isinstance(failed, Fail) and failed.code == "upstream_unavailable"
    # A warm job waits it out quietly.
    warm = retry_policy.decide(transient(retry_after=300), Attempt(pool="warm"))
    assert warm == Requeue(300, waiting_for="upstream_down")


def test_a_down_upstream_is_waited_for_in_the_queue_never_in_place():
    down = UpstreamDown(
        "overpass", 2.0, "upstream_timeout", "OpenStreetMap's Overpass service did not answer."
    )
    for _ in range(20):
        decision = retry_policy.decide(down, Attempt())
        assert isinstance(decision, Requeue) and decision.waiting_for == "upstream_down"
        assert 2.0 <= decision.countdown <= 2.0 * (1 + retry_policy.DOWN_JITTER)
    long = UpstreamDown("overpass", 400.0, "upstream_timeout", "")
    gave_up = retry_policy.decide(long, Attempt(started_at=time.time()))
    assert isinstance(gave_up, Fail) and gave_up.code == "upstream_timeout"
    assert "Overpass service is not answering; please try again after" in gave_up.message
    warm = retry_policy.decide(long, Attempt(pool="warm"))
    assert isinstance(warm, Requeue) and 400 <= warm.countdown <= 440


def test_a_spent_budget_sleeps_briefly_requeues_longer_and_fails_for_hours():
    assert retry_policy.decide(BudgetWait("open_meteo", 2), Attempt()) == Sleep(2)
    assert retry_policy.decide(BudgetWait("open_meteo", 40), Attempt()) == Requeue(40, waiting_for="budget")
    hours = retry_policy.decide(BudgetWait("open_meteo", 3108), Attempt())
    assert isinstance(hours, Fail) and hours.code == "budget_exhausted"
    assert hours.message.startswith("We have used up our allowance of requests to Open-Meteo for now;")
    assert "3108" not in hours.message and "open_meteo" not in hours.message
    # A warm job never fails on a spent budget within its bound: it comes back every 10 minutes at most.
    assert retry_policy.decide(BudgetWait("open_meteo", 3108), Attempt(pool="warm")) == Requeue(
        retry_policy.MAX_COUNTDOWN, waiting_for="budget"
    )
    # However long the budget takes to return (a day's window at most), past the warm bound too.
    beyond = retry_policy.decide(BudgetWait("open_meteo", 7 * 3600), Attempt(pool="warm"))
    assert beyond == Requeue(retry_policy.MAX_COUNTDOWN, waiting_for="budget")
    old_job = Attempt(pool="warm", started_at=time.time() - 7 * 3600)
    assert retry_policy.decide(BudgetWait("open_meteo", 40), old_job) == Requeue(40, waiting_for="budget")


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
    assert timeout == Fail("timeout", "Fetching the data took too long; please try again in a few minutes.")
    assert retry_policy.decide(YieldToPeople(), Attempt(pool="warm")) == Requeue(
        retry_policy.WARM_YIELD_SECONDS, counted=False
    )


def test_a_slept_off_failure_counts_as_an_attempt():
    attempt = Attempt().after(transient(), Sleep(1.5))
    assert attempt.failures == 1 and attempt.slept == 1.5
    attempt = attempt.after(BudgetWait("open_meteo", 1), Sleep(1))
    assert attempt.failures == 1 and attempt.slept == 2.5
