"""Place search without a worker: query keys, the geocoder client against the simulator, the pace."""

import itertools
import threading
import time

import pytest

from backend_django.core.exceptions import ApplicationError
from backend_django.core.valkey import get_valkey
from backend_django.devtools.simulator import gazetteer
from backend_django.upstream import guards
from backend_django.upstream.clients import geocoder
from backend_django.upstream.clients.http import UpstreamError
from backend_django.upstream.guards.budgets import BudgetWait
from backend_django.upstream.kinds import places


@pytest.mark.parametrize(
    "spelling",
    [
        "Portland, OR",
        "  portland ,or ",
        "PORTLAND,OR",
        # full-width letters and comma, as some keyboards type them
        "\uff30\uff4f\uff52\uff54\uff4c\uff41\uff4e\uff44\uff0c\uff2f\uff32",
        "Portland,\u00a0\u00a0OR",  # no-break spaces pasted from a web page
        "Port\u200bland, OR",  # a zero-width space
        "portland,\tor\n",
    ],
)
def test_spellings_that_differ_only_in_case_spaces_or_unicode_form_share_a_key(spelling):
    assert places.normalise_query(spelling) == "portland, or"
    assert places.search_unit(places.parse_query(spelling)) == "place:q:portland%2C%20or"


def test_normalisation_keeps_what_makes_places_different():
    # Composed and decomposed ü are one letter; ü and u are not.
    assert places.normalise_query("Zu\u0308rich") == places.normalise_query("Zürich") == "zürich"
    assert places.normalise_query("Munster") != places.normalise_query("Münster")
    assert places.normalise_query("Straße") == places.normalise_query("STRASSE") == "strasse"
    assert places.normalise_query("東京") == "東京"


@pytest.mark.parametrize("bad", [None, "", "   ", ",,,", "!?!", "\u200b", "x" * 201])
def test_queries_without_a_place_in_them_are_refused(bad):
    with pytest.raises(ApplicationError) as info:
        places.parse_query(bad)
    assert info.value.message.startswith("q: ")


def test_reverse_points_are_rounded_to_about_ten_metres():
    assert places.reverse_unit(45.523061, -122.676482) == "place:rev:45.5231:-122.6765"
    assert places.reverse_unit(45.52314, -122.67646) == "place:rev:45.5231:-122.6765"
    assert places.reverse_unit(-0.00001, 0.00001) == "place:rev:0.0000:0.0000"
    assert places.reverse_result_url(45.523061, -122.676482) == (
        "/api/v1/places/reverse/?lat=45.5231&lng=-122.6765"
    )


# --- the client, against the simulator ------------------------------------------


def expected(place: gazetteer.Place) -> dict:
    """What a simulator place must become, worked out from its raw fields."""
    south, north, west, east = place.bbox
    return {
        "display_name": place.display_name,
        "lat": place.lat,
        "lng": place.lon,
        "country": place.country,
        "country_code": place.country_code,
        "bbox": [south, west, north, east],
    }


def picked(found: dict) -> dict:
    return {key: found[key] for key in ("display_name", "lat", "lng", "country", "country_code", "bbox")}


def test_nominatim_search_results_are_normalised(simulator):
    found = geocoder.search("portland")
    portlands = [p for p in gazetteer.PLACES if p.name == "Portland"]
    assert [picked(place) for place in found] == [
        expected(p) for p in sorted(portlands, key=lambda p: -p.importance)
    ]
    assert found[0]["name"] == "Portland"
    assert found[0]["bbox"] == [45.432536, -122.8367489, 45.6528812, -122.4720252]
    assert found[0]["osm_id"] == "relation/186579"
    assert found[0]["category"] == "boundary"
    asked = simulator.stats()["geocoder"]["requests_log"][0]
    assert asked["path"] == "/nominatim/search"
    assert "format=jsonv2" in asked["query"] and "limit=5" in asked["query"]
    # The deployment names itself and its contact, as the usage policy asks.
    assert asked["user_agent"].startswith("SolarSim/")
    assert asked["user_agent"].endswith("contact: tests@solar-sim.invalid")


def test_photon_answers_are_normalised_to_the_same_places(simulator, settings):
    nominatim = geocoder.search("munich")
    settings.GEOCODER_API = "photon"
    settings.GEOCODER_URL = settings.GEOCODER_URL.replace("/nominatim", "/photon")
    photon = geocoder.search("munich")
    assert (
        [picked(p) for p in photon]
        == [picked(p) for p in nominatim]
        == [expected(next(p for p in gazetteer.PLACES if p.name == "Munich"))]
    )
    assert photon[0]["osm_id"] == "relation/62428"
    house = geocoder.reverse(48.1372, 11.5756)
    there = gazetteer.reverse(48.1372, 11.5756)
    street = f"{there.address['house_number']} {there.address['road']}"
    # Photon has no display name: it is put together from the address parts.
    assert house["display_name"] == f"{street}, Munich, Bavaria, Germany"
    assert (house["name"], house["lat"], house["lng"]) == (street, there.lat, there.lon)
    assert geocoder.reverse(-20.0, -150.0) is None  # the Pacific
    assert simulator.stats()["geocoder"]["requests_log"][-1]["path"] == "/photon/reverse"


def test_nothing_found_is_an_empty_list_and_the_sea_has_no_address(simulator):
    assert geocoder.search("nowhere at all") == []
    assert geocoder.reverse(-20.0, -150.0) is None
    house = geocoder.reverse(52.52, 13.405)
    assert house["display_name"].endswith("Berlin, Germany")
    assert house["country_code"] == "de"
    number, road = house["display_name"].split(", ")[:2]
    assert house["name"] == f"{number} {road}"


@pytest.mark.parametrize(
    ("mode", "code", "transient"),
    [
        ("429", "upstream_rate_limited", True),
        ("500", "upstream_unavailable", True),
        ("503", "upstream_unavailable", True),
        ("html", "upstream_invalid_response", True),
        ("400", "upstream_rejected", False),
        ("403", "upstream_rejected", False),
    ],
)
def test_geocoder_failures_are_sorted_like_every_upstream_s(simulator, mode, code, transient):
    simulator.fail("geocoder", mode, times=1)
    with pytest.raises(UpstreamError) as info:
        geocoder.search("berlin")
    assert (info.value.code, info.value.transient) == (code, transient)
    assert geocoder.search("berlin")[0]["name"] == "Berlin"


def test_a_stock_user_agent_is_refused_like_the_public_nominatim_does(simulator, settings):
    settings.UPSTREAM_USER_AGENT = "python-requests/2.32"
    settings.UPSTREAM_CONTACT = ""
    with pytest.raises(UpstreamError) as info:
        geocoder.search("berlin")
    assert info.value.status == 403


def test_a_hanging_geocoder_times_out(simulator, settings):
    settings.GEOCODER_READ_TIMEOUT = 0.3
    simulator.fail("geocoder", "hang", times=1)
    with pytest.raises(UpstreamError) as info:
        geocoder.search("berlin")
    assert info.value.code == "upstream_timeout" and info.value.transient


# --- the pace: one at a time, a pause after each answer -----------------------------


def test_a_turn_is_taken_once_and_freed_by_the_pause_after_the_answer(settings):
    settings.GEOCODER_MIN_INTERVAL_SECONDS = 0.3
    turns = guards.limiter("geocoder")
    token, _ = turns.try_take()
    assert token is not None
    other, wait = turns.try_take()
    assert other is None
    assert wait == pytest.approx(0.3, abs=0.01), "while a request is out: at least the pause"
    assert turns.give_back(token)
    other, wait = turns.try_take()
    assert other is None and 0.2 < wait <= 0.3
    time.sleep(wait + 0.02)
    again, _ = turns.try_take()
    assert again is not None


def test_a_dead_workers_turn_ends_with_its_lease(settings):
    settings.GEOCODER_MIN_INTERVAL_SECONDS = 0.05
    turns = guards.limiter("geocoder")
    token, _ = turns.try_take()
    assert token and turns.try_take()[0] is None
    lease_ms = get_valkey().pttl(turns.key)
    expected = (settings.UPSTREAM_CONNECT_TIMEOUT + 2 * settings.GEOCODER_READ_TIMEOUT + 5) * 1000
    assert expected - 100 < lease_ms <= expected, "the turn is leased for longer than any request takes"
    get_valkey().delete(turns.key)  # the lease runs out: its worker died mid-request
    successor, _ = turns.try_take()
    assert successor is not None
    assert not turns.give_back(token), "a late worker does not end its successor's turn"
    assert turns.try_take()[0] is None


def test_a_429_pauses_everyone_for_its_retry_after(settings):
    settings.GEOCODER_MIN_INTERVAL_SECONDS = 0.05
    with pytest.raises(UpstreamError), guards.limiter("geocoder").hold():
        raise UpstreamError("upstream_rate_limited", "slow down", True, 429, retry_after=2.0)
    with pytest.raises(BudgetWait) as info, guards.limiter("geocoder").hold():
        pass
    assert 1.5 < info.value.seconds <= 2.0
    assert info.value.upstream == "geocoder"


def test_concurrent_fetches_reach_the_geocoder_one_at_a_time_and_spaced(simulator, settings):
    settings.GEOCODER_MIN_INTERVAL_SECONDS = 0.25
    simulator.set_latency(0.05, upstream="geocoder")
    inside = 0
    most_inside = 0
    lock = threading.Lock()
    original = geocoder.search

    def watched_search(query):
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
        try:
            return original(query)
        finally:
            with lock:
                inside -= 1

    geocoder.search = watched_search
    try:

        def fetch(n: int) -> None:
            unit = places.search_unit(f"village {n}")
            while True:
                try:
                    places.fetch_entries(unit, None, "interactive")
                    return
                except BudgetWait as wait:
                    time.sleep(wait.seconds)

        threads = [threading.Thread(target=fetch, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        geocoder.search = original
    log = simulator.stats()["geocoder"]["requests_log"]
    assert len(log) == 8
    assert most_inside == 1
    arrivals = sorted(entry["time"] for entry in log)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.25, gaps
