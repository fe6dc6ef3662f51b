"""Fair shares of the upstream budgets per client."""

import pytest
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.testing.waiting import wait_until
from backend_django.upstream import guards
from backend_django.upstream.guards import BudgetWait, shares
from backend_django.upstream.jobs import records

OPEN_METEO = guards.limiter("open_meteo")
OVERPASS = guards.limiter("overpass")


def reserve(weight: float, pool: str) -> None:
    """Spend ``weight`` of Open-Meteo's budget (and the client's share) as a call that worked."""
    with OPEN_METEO.hold(pool, weight):
        pass


@pytest.fixture
def small_budgets(settings):
    settings.OPEN_METEO_CALLS_PER_MINUTE = 10_000
    settings.OPEN_METEO_CALLS_PER_HOUR = 1000
    settings.OPEN_METEO_CALLS_PER_DAY = 4000
    settings.OVERPASS_REQUESTS_PER_DAY = 10
    settings.UPSTREAM_CLIENT_BUDGET_SHARE = 0.25
    yield
    shares.set_client("")


def test_a_client_gets_at_most_its_share_of_the_hour_and_others_still_get_theirs(small_budgets):
    shares.set_client("ip:192.0.2.1")
    reserve(160, "interactive")
    with pytest.raises(BudgetWait) as info:
        reserve(160, "interactive")  # 320 > 0.25 x 1000 this hour
    assert info.value.upstream == "open_meteo" and 0 < info.value.seconds <= 3600
    assert shares.used("open_meteo", "ip:192.0.2.1", 3600) == 160
    assert OPEN_METEO.used(3600) == 160, "a refused share takes nothing of the budget"
    # A small tail refresh still fits in the share.
    reserve(80, "interactive")

    shares.set_client("user:7")
    reserve(240, "warm")  # prefetches count against the same share
    with pytest.raises(BudgetWait):
        reserve(20, "interactive")
    assert OPEN_METEO.used(3600) == 480


def test_the_daily_share_holds_across_hours(small_budgets, settings):
    settings.OPEN_METEO_CALLS_PER_HOUR = 100_000  # so that only the day binds
    shares.set_client("ip:192.0.2.2")
    reserve(1000, "interactive")
    with pytest.raises(BudgetWait) as info:
        reserve(1, "interactive")
    assert info.value.seconds > 0
    assert shares.used("open_meteo", "ip:192.0.2.2", 86400) == 1000


def test_a_spent_budget_gives_the_share_back(small_budgets):
    shares.set_client("ip:192.0.2.3")
    OPEN_METEO.reserve(1000)  # someone else spent the whole hour
    with pytest.raises(BudgetWait):
        reserve(50, "interactive")
    assert shares.used("open_meteo", "ip:192.0.2.3", 3600) == 0
    assert shares.used("open_meteo", "ip:192.0.2.3", 86400) == 0


def test_overpass_requests_per_day_are_shared_out(small_budgets):
    shares.set_client("user:9")
    for _ in range(2):  # 0.25 x 10 requests a day
        with OVERPASS.hold("interactive"):
            pass
    with pytest.raises(BudgetWait) as info, OVERPASS.hold("interactive"):
        pass
    assert info.value.upstream == "overpass"
    # A busy slot gives the request back.
    shares.set_client("user:10")
    get_valkey().set(OVERPASS.cooldown_key, "1", px=60_000)
    with pytest.raises(BudgetWait), OVERPASS.hold("interactive"):
        pass
    assert shares.used("overpass", "user:10", 86400) == 0


def test_the_deployments_own_warming_and_share_one_are_not_shared_out(small_budgets, settings):
    shares.set_client("")
    reserve(400, "interactive")  # beyond any client's share
    settings.UPSTREAM_CLIENT_BUDGET_SHARE = 1
    shares.set_client("ip:192.0.2.4")
    reserve(400, "interactive")
    assert OPEN_METEO.used(3600) == 800


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_client_past_its_share_waits_while_another_gets_its_data(
    simulator, celery_worker_process, settings
):
    # The worker runs with the test settings' share of the test budget; this
    # address has spent all of it this hour.
    greedy, other = "198.51.100.7", "198.51.100.8"
    valkey = get_valkey()
    now = int(valkey.time()[0])
    hour_limit = settings.UPSTREAM_CLIENT_BUDGET_SHARE * settings.OPEN_METEO_CALLS_PER_HOUR
    valkey.set(shares.window_key("open_meteo", f"ip:{greedy}", 3600, now), hour_limit, ex=7200)

    greedy_job = APIClient(REMOTE_ADDR=greedy).get("/api/v1/climate/", {"lat": 1.5, "lng": 2.5}).json()
    other_job = APIClient(REMOTE_ADDR=other).get("/api/v1/climate/", {"lat": 3.5, "lng": 4.5}).json()
    assert records.job_get(greedy_job["id"]).client == f"ip:{greedy}"

    def finished(job_id):
        return (job := records.job_get(job_id)) and job.finished and job

    assert wait_until(lambda: finished(other_job["id"]), timeout=60).status == records.SUCCEEDED

    def decided(job_id):
        # The retry policy's answer to a spent share, as to a spent budget: back
        # to the queue until the hour turns, or (more than MAX_COUNTDOWN away) fail.
        job = records.job_get(job_id)
        requeued = job.status == records.QUEUED and job.updated_at > job.created_at + 0.001
        return job if job.status == records.FAILED or requeued else None

    greedy_done = wait_until(lambda: decided(greedy_job["id"]), timeout=60)
    assert greedy_done.status in (records.QUEUED, records.FAILED)
    if greedy_done.status == records.FAILED:
        assert greedy_done.error_code == "budget_exhausted"
    assert simulator.stats()["open_meteo"]["requests"] == 1
