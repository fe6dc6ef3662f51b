import time

import pytest
import requests

from backend_django.devtools.simulator import gazetteer

AGENT = {"User-Agent": "SolarSim-tests/1.0 (contact: tests@solar-sim.invalid)"}


def nominatim(sim, path="search", **params):
    params.setdefault("format", "jsonv2")
    return requests.get(f"{sim.base_url}/nominatim/{path}", params=params, headers=AGENT, timeout=10)


def test_search_answers_like_nominatim_jsonv2(sim):
    response = nominatim(sim, q="Portland, OR", limit=5, addressdetails=1)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    (place,) = response.json()
    assert place["display_name"] == "Portland, Multnomah County, Oregon, United States"
    assert (place["lat"], place["lon"]) == ("45.5202471", "-122.6741940")  # strings, as Nominatim sends
    assert place["boundingbox"] == ["45.4325360", "45.6528812", "-122.8367489", "-122.4720252"]
    assert place["category"] == "boundary" and place["osm_type"] == "relation"
    assert place["address"]["country_code"] == "us"
    assert place["licence"].startswith("Data © OpenStreetMap contributors")


def test_search_matches_every_word_with_accents_and_case_folded(sim):
    names = [p["display_name"] for p in nominatim(sim, q="portland").json()]
    assert len(names) == 3 and names[0].endswith("Oregon, United States")
    assert [p["name"] for p in nominatim(sim, q="MUNCHEN").json()] == ["Munich"]
    assert [p["name"] for p in nominatim(sim, q="zurich").json()] == ["Zürich"]
    assert len(nominatim(sim, q="portland", limit=1).json()) == 1
    assert nominatim(sim, q="nowhere").json() == []
    # Anything else with letters: one made-up place, the same every time.
    made_up = nominatim(sim, q="Garden town 3").json()
    assert made_up == nominatim(sim, q="garden  TOWN 3").json()
    assert (
        made_up[0]["display_name"].startswith("Garden Town 3, ")
        and made_up[0]["address"]["country_code"] == "zz"
    )
    # format=json says "class" where jsonv2 says "category".
    assert "class" in nominatim(sim, q="berlin", format="json").json()[0]


def test_reverse_gives_a_house_or_unable_to_geocode_at_sea(sim):
    house = nominatim(sim, "reverse", lat=52.52, lon=13.405, zoom=18).json()
    assert house["display_name"] == gazetteer.reverse(52.52, 13.405).display_name
    assert house["display_name"].endswith(", Berlin, Germany")
    assert house["address"]["house_number"] and house["address"]["road"] in gazetteer.ROADS
    assert nominatim(sim, "reverse", lat=-20, lon=-150).json() == {"error": "Unable to geocode"}
    far = nominatim(sim, "reverse", lat=10, lon=10).json()
    assert far["address"]["country"] == "Simulatia"


def test_bad_requests_get_nominatims_error_object(sim):
    for params in ({"q": ""}, {"q": "x", "format": "xml"}, {"q": "x", "limit": "many"}):
        response = nominatim(sim, **params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
    assert nominatim(sim, "reverse", lat="north", lon=1).status_code == 400


def test_photon_answers_geojson(sim):
    response = requests.get(f"{sim.base_url}/photon/api", params={"q": "berlin"}, headers=AGENT, timeout=10)
    feature = response.json()["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [13.3951309, 52.5173885]}
    assert feature["properties"]["extent"] == [13.088345, 52.6755087, 13.7611609, 52.3382448]
    assert feature["properties"]["countrycode"] == "DE" and feature["properties"]["osm_type"] == "R"
    empty = requests.get(f"{sim.base_url}/photon/reverse", params={"lat": -20, "lon": -150}, headers=AGENT)
    assert empty.json() == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize("agent", ["", "python-requests/2.32.3", "curl/8.5.0"])
def test_stock_user_agents_are_blocked(sim, agent):
    response = requests.get(
        f"{sim.base_url}/nominatim/search", params={"q": "berlin", "format": "jsonv2"},
        headers={"User-Agent": agent}, timeout=10,
    )  # fmt: skip
    assert response.status_code == 403
    assert "usage policy" in response.text
    assert sim.app.stats()["geocoder"]["rejected"] == 1


@pytest.mark.parametrize(
    ("mode", "status", "kind"),
    [("429", 429, "text/html"), ("500", 500, "text/html"), ("503", 503, "text/html"),
     ("403", 403, "text/html"), ("400", 400, "application/json"), ("html", 200, "text/html")],
)  # fmt: skip
def test_geocoder_failure_modes(sim, mode, status, kind):
    sim.app.fail("geocoder", mode, times=1)
    response = nominatim(sim, q="berlin")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(kind)
    assert nominatim(sim, q="berlin").json()[0]["name"] == "Berlin"


def test_requests_closer_than_a_second_are_counted_and_can_be_refused(sim):
    nominatim(sim, q="berlin")
    nominatim(sim, q="paris")
    stats = sim.app.stats()["geocoder"]
    assert stats["requests"] == 2 and stats["too_soon"] == 1 and stats["min_gap"] < 1.0
    assert all(entry["user_agent"] == AGENT["User-Agent"] for entry in stats["requests_log"])

    response = requests.post(f"{sim.base_url}/__sim__/config", json={"geocoder_min_interval_ms": 300})
    assert response.status_code == 200
    assert nominatim(sim, q="tokyo").status_code == 429
    time.sleep(0.35)
    assert nominatim(sim, q="tokyo").status_code == 200
