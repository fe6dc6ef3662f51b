"""The upstream budgets, shared through Valkey (no worker needed)."""

import time

import pytest

from backend_django.core.valkey import get_valkey
from backend_django.upstream import guards
from backend_django.upstream.guards import BudgetWait

OPEN_METEO = guards.limiter("open_meteo")
OVERPASS = guards.limiter("overpass")


def reserve(weight: float, pool: str) -> None:
    """Spend ``weight`` of Open-Meteo's budget (and the client's share) as a call that worked."""
    with OPEN_METEO.hold(pool, weight):
        pass


@pytest.fixture
def small_open_meteo_budget(settings):
    settings.OPEN_METEO_CALLS_PER_MINUTE = 300
    settings.OPEN_METEO_CALLS_PER_HOUR = 1000
    settings.OPEN_METEO_CALLS_PER_DAY = 2000
    settings.WARM_BUDGET_SHARE = 0.5


def test_weighted_calls_are_reserved_until_the_minute_is_spent(small_open_meteo_budget):
    assert OPEN_METEO.reserve(160) == 0
    assert OPEN_METEO.used(60) == 160
    wait = OPEN_METEO.reserve(160)  # 320 > 300 this minute
    assert 0 < wait <= 60
    assert OPEN_METEO.used(60) == 160, "a refused reservation takes nothing"
    assert OPEN_METEO.reserve(1.4) == 0  # a tail refresh still fits
    assert OPEN_METEO.used(3600) == pytest.approx(161.4)


def test_warming_gets_only_its_share(small_open_meteo_budget):
    assert OPEN_METEO.reserve(100, pool="warm") == 0
    assert OPEN_METEO.reserve(100, pool="warm") > 0  # 200 > 0.5 x 300
    assert OPEN_METEO.reserve(190, pool="interactive") == 0  # people can use the rest
    assert OPEN_METEO.used(60, pool="warm") == 100


def test_a_spent_budget_hands_the_wait_over(small_open_meteo_budget):
    OPEN_METEO.reserve(300)
    with pytest.raises(BudgetWait) as info:
        reserve(10, "interactive")
    assert info.value.upstream == "open_meteo"
    assert info.value.seconds > 0


def test_overpass_allows_two_requests_at_a_time(settings):
    settings.OVERPASS_MAX_CONCURRENT = 2
    first, _ = OVERPASS.try_acquire()
    second, _ = OVERPASS.try_acquire()
    third, wait = OVERPASS.try_acquire()
    assert first and second and third is None and wait > 0
    assert OVERPASS.in_use() == 2
    OVERPASS.release(first)
    again, _ = OVERPASS.try_acquire()
    assert again is not None


def test_warming_takes_at_most_its_share_of_overpass_slots(settings):
    settings.OVERPASS_MAX_CONCURRENT = 2
    settings.WARM_BUDGET_SHARE = 0.5
    warm, _ = OVERPASS.try_acquire("warm")
    assert warm is not None
    assert OVERPASS.try_acquire("warm")[0] is None
    assert OVERPASS.try_acquire("interactive")[0] is not None


def test_a_lease_of_a_dead_worker_expires(settings):
    settings.OVERPASS_MAX_CONCURRENT = 1
    token, _ = OVERPASS.try_acquire()
    assert token and OVERPASS.try_acquire()[0] is None
    valkey = get_valkey()
    now_ms = int(valkey.time()[0]) * 1000
    lease_ms = valkey.zscore(OVERPASS.slots_key, token) - now_ms
    longest_request = (settings.UPSTREAM_CONNECT_TIMEOUT + settings.OVERPASS_READ_TIMEOUT) * 1000
    assert longest_request < lease_ms <= (2 * longest_request + 6000), "leased past any request's end"
    valkey.zadd(OVERPASS.slots_key, {token: now_ms - 1})  # the lease runs out: its worker died
    assert OVERPASS.try_acquire()[0] is not None


def test_a_429_cools_overpass_down_for_everyone():
    OVERPASS.cool_down(0.3)
    token, wait = OVERPASS.try_acquire()
    assert token is None and 0 < wait <= 0.3
    time.sleep(0.35)
    assert OVERPASS.try_acquire()[0] is not None


def test_the_daily_overpass_cap(settings):
    settings.OVERPASS_REQUESTS_PER_DAY = 3
    for _ in range(3):
        token, _ = OVERPASS.try_acquire()
        OVERPASS.release(token)
    token, wait = OVERPASS.try_acquire()
    assert token is None and wait > 0


def test_overpass_slot_context_waits_then_gives_up(settings):
    settings.OVERPASS_MAX_CONCURRENT = 1
    held, _ = OVERPASS.try_acquire()
    with pytest.raises(BudgetWait), OVERPASS.hold("interactive", max_wait=0.3):
        pass
    OVERPASS.release(held)
    with OVERPASS.hold("interactive", max_wait=0.3):
        assert OVERPASS.in_use() == 1
    assert OVERPASS.in_use() == 0
