"""The upstream budgets, shared through Valkey (no worker needed)."""

import time

import pytest

from backend_django.upstream import limits
from backend_django.upstream.limits import OpenMeteoBudget, OverpassSlots


@pytest.fixture
def small_open_meteo_budget(settings):
    settings.OPEN_METEO_CALLS_PER_MINUTE = 300
    settings.OPEN_METEO_CALLS_PER_HOUR = 1000
    settings.OPEN_METEO_CALLS_PER_DAY = 2000
    settings.WARM_BUDGET_SHARE = 0.5


def test_weighted_calls_are_reserved_until_the_minute_is_spent(small_open_meteo_budget):
    assert OpenMeteoBudget.reserve(160) == 0
    assert OpenMeteoBudget.used(60) == 160
    wait = OpenMeteoBudget.reserve(160)  # 320 > 300 this minute
    assert 0 < wait <= 60
    assert OpenMeteoBudget.used(60) == 160, "a refused reservation takes nothing"
    assert OpenMeteoBudget.reserve(1.4) == 0  # a tail refresh still fits
    assert OpenMeteoBudget.used(3600) == pytest.approx(161.4)


def test_warming_gets_only_its_share(small_open_meteo_budget):
    assert OpenMeteoBudget.reserve(100, pool="warm") == 0
    assert OpenMeteoBudget.reserve(100, pool="warm") > 0  # 200 > 0.5 x 300
    assert OpenMeteoBudget.reserve(190, pool="interactive") == 0  # people can use the rest
    assert OpenMeteoBudget.used(60, pool="warm") == 100


def test_a_spent_budget_hands_the_wait_over(small_open_meteo_budget):
    OpenMeteoBudget.reserve(300)
    with pytest.raises(limits.BudgetWait) as info:
        limits.open_meteo_reserve(10, "interactive")
    assert info.value.upstream == "open_meteo"
    assert info.value.seconds > 0


def test_overpass_allows_two_requests_at_a_time(settings):
    settings.OVERPASS_MAX_CONCURRENT = 2
    first, _ = OverpassSlots.try_acquire()
    second, _ = OverpassSlots.try_acquire()
    third, wait = OverpassSlots.try_acquire()
    assert first and second and third is None and wait > 0
    assert OverpassSlots.in_use() == 2
    OverpassSlots.release(first)
    again, _ = OverpassSlots.try_acquire()
    assert again is not None


def test_warming_takes_at_most_its_share_of_overpass_slots(settings):
    settings.OVERPASS_MAX_CONCURRENT = 2
    settings.WARM_BUDGET_SHARE = 0.5
    warm, _ = OverpassSlots.try_acquire("warm")
    assert warm is not None
    assert OverpassSlots.try_acquire("warm")[0] is None
    assert OverpassSlots.try_acquire("interactive")[0] is not None


def test_a_lease_of_a_dead_worker_expires(settings):
    settings.OVERPASS_MAX_CONCURRENT = 1
    settings.OVERPASS_SLOT_LEASE_SECONDS = 0.2
    token, _ = OverpassSlots.try_acquire()
    assert token and OverpassSlots.try_acquire()[0] is None
    time.sleep(0.3)
    assert OverpassSlots.try_acquire()[0] is not None


def test_a_429_cools_overpass_down_for_everyone():
    OverpassSlots.cool_down(0.3)
    token, wait = OverpassSlots.try_acquire()
    assert token is None and 0 < wait <= 0.3
    time.sleep(0.35)
    assert OverpassSlots.try_acquire()[0] is not None


def test_the_daily_overpass_cap(settings):
    settings.OVERPASS_REQUESTS_PER_DAY = 3
    for _ in range(3):
        token, _ = OverpassSlots.try_acquire()
        OverpassSlots.release(token)
    token, wait = OverpassSlots.try_acquire()
    assert token is None and wait > 0


def test_overpass_slot_context_waits_then_gives_up(settings):
    settings.OVERPASS_MAX_CONCURRENT = 1
    held, _ = OverpassSlots.try_acquire()
    with pytest.raises(limits.BudgetWait), limits.overpass_slot("interactive", max_wait=0.3):
        pass
    OverpassSlots.release(held)
    with limits.overpass_slot("interactive", max_wait=0.3):
        assert OverpassSlots.in_use() == 1
    assert OverpassSlots.in_use() == 0
