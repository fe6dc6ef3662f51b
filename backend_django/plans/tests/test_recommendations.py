"""GET plans/{id}/recommendations/: the plants that fit each bed, from a catalogue made by hand."""

import pytest

from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.tests.garden_data import (
    LAT,
    LNG,
    cell_box,
    climate_summary,
    gradient_tenths,
    site_grid,
    store_climate,
    store_sun,
)
from backend_django.plans.tests.geo import bed, collection
from backend_django.plants.models import Plant
from backend_django.plants.tests.factories import PlantFactory, perennial


def url(plan, query: str = "") -> str:
    return f"/api/v1/plans/{plan.pk}/recommendations/{query}"


@pytest.fixture
def catalogue(db):
    Plant.objects.all().delete()
    return {
        # Tender, sown outdoors a week after the last frost: its window opens at the frost (tender
        # crops wait for it) and closes two weeks later; harvest 60 to 14 + 80 = 94 days after it.
        "bean": PlantFactory(common_name="Bean", sun_hours_min=6, sun_hours_ideal=8),
        # 120 to 14 + 150 = 164 days.
        "melon": PlantFactory(
            common_name="Melon", days_to_maturity_min=120, days_to_maturity_max=150, sun_hours_ideal=8
        ),
        # 250 days at the least: longer than the season.
        "slow": PlantFactory(common_name="Slowpoke", days_to_maturity_min=250, days_to_maturity_max=300),
        "fern": perennial(
            common_name="Fern", light="shade", sun_hours_min=0, sun_hours_ideal=1, hardiness_zone_min=4
        ),
        "palm": perennial(common_name="Palm", hardiness_zone_min=10, sun_hours_min=6, sun_hours_ideal=8),
        "chervil": PlantFactory(
            common_name="Chervil",
            light="part_shade",
            sun_hours_min=2,
            sun_hours_ideal=3,
            frost_tolerance="hardy",
        ),
    }


@pytest.fixture
def plan(user, catalogue):
    grid = site_grid()[1]
    beds = collection(
        bed("sunny", "Sunny", cell_box(grid, 20, 24, 10, 19), plants=[catalogue["bean"].pk]),
        bed("dark", "Dark", cell_box(grid, 60, 64, 0, 4)),
    )
    return PlanFactory(owner=user, latitude=LAT, longitude=LNG, beds=beds)


def store_data(**summary) -> None:
    tenths = gradient_tenths()
    tenths[:, 60:70, 0:10] = 5  # half an hour a day, all year: the dark bed
    store_sun(tenths)
    store_climate(climate_summary(**summary))


@pytest.mark.django_db
def test_each_bed_gets_the_plants_that_fit_it_best_first(user_client, plan, catalogue):
    store_data(spring=100, fall=300, zone=8)
    response = user_client.get(url(plan))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-cache"
    body = response.json()
    assert body["hardiness_zone"] == {"zone": "8a", "number": 8}
    assert body["frost_free_days"] == 199
    sunny, dark = body["beds"]

    # The sunny bed: 9.54 h over the season (test_bed_sun.py), full sun. Bean and melon both
    # score 1: full-sun plants past their ideal 8 h, the season holding even their latest
    # harvest; ties (the same ideal) by name.
    assert (sunny["sun_hours"], sunny["light"], sunny["fits"]) == (9.54, "full_sun", 2)
    assert [(p["common_name"], p["score"], p["in_bed"]) for p in sunny["plants"]] == [
        ("Bean", 1.0, True),
        ("Melon", 1.0, False),
    ]
    assert sunny["plants"][0]["reasons"] == [
        "9.5 h of sun a day over the growing season; needs at least 6 h, best with 8 h",
        "your season has 199 frost-free days; needs 60\u201394 to harvest",
    ]
    assert (
        sunny["plants"][1]["reasons"][1]
        == "your season has 199 frost-free days; needs 120\u2013164 to harvest"
    )

    # The dark bed: 0.5 h, shade: only the fern (zone 4 at or below 8): 1 - 0.5 / 12 = 0.958.
    assert (dark["sun_hours"], dark["light"]) == (0.5, "shade")
    assert [(p["common_name"], p["score"]) for p in dark["plants"]] == [("Fern", 0.958)]
    assert dark["plants"][0]["reasons"] == [
        "0.5 h of sun a day over the growing season; needs at least 0 h, best with 1 h",
        "survives winters down to zone 4; your zone is 8",
    ]


@pytest.mark.django_db
def test_a_short_season_and_a_warm_zone_change_the_fits(user_client, plan, catalogue):
    # 100 frost-free days (day 100 to 201): the melon's earliest harvest (120 days) misses; the
    # bean's whole window fits. Zone 11: the palm survives; the sunny bed is full sun, so it fits.
    store_data(spring=100, fall=201, zone=11)
    sunny = user_client.get(url(plan)).json()["beds"][0]
    names = [p["common_name"] for p in sunny["plants"]]
    assert "Melon" not in names and "Slowpoke" not in names
    assert set(names) == {"Bean", "Palm"}
    # No frost: the whole year (365 days); the slow crop fits too, its latest harvest (14 + 300
    # days) within the year.
    store_climate(climate_summary(spring=None, fall=None, zone=11))
    body = user_client.get(url(plan)).json()
    assert body["frost_free_days"] == 365
    assert {p["common_name"] for p in body["beds"][0]["plants"]} == {"Bean", "Melon", "Slowpoke", "Palm"}


@pytest.mark.django_db
def test_limit_keeps_the_best_and_bad_limits_are_400(user_client, plan):
    store_data()
    sunny = user_client.get(url(plan, "?limit=1")).json()["beds"][0]
    assert sunny["fits"] == 2 and [p["common_name"] for p in sunny["plants"]] == ["Bean"]
    for bad in ("0", "501", "two", "-1"):
        response = user_client.get(url(plan, f"?limit={bad}"))
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"limit": ["A whole number from 1 to 500."]}


@pytest.mark.django_db
def test_the_etag_follows_the_catalogue_and_the_beds(user_client, plan, catalogue):
    store_data()
    etag = user_client.get(url(plan))["ETag"]
    assert user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag).status_code == 304
    catalogue["chervil"].notes = "Sow in the shade."
    catalogue["chervil"].save()
    changed = user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    etag = changed["ETag"]
    response = user_client.patch(f"/api/v1/plans/{plan.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_a_job_while_missing_and_only_for_the_owner(user_client, plan):
    response = user_client.get(url(plan))
    assert response.status_code == 202
    assert response.json()["result_url"] == url(plan)
    other = PlanFactory(latitude=LAT, longitude=LNG)
    assert user_client.get(url(other)).status_code == 404


@pytest.mark.django_db
def test_the_seeded_catalogue_gives_the_best_twenty_unless_asked(user_client, user):
    grid = site_grid()[1]
    plan = PlanFactory(
        owner=user,
        latitude=LAT,
        longitude=LNG,
        beds=collection(bed("sunny", "Sunny", cell_box(grid, 20, 24, 10, 19))),
    )
    store_data(spring=100, fall=300, zone=8)
    sunny = user_client.get(url(plan)).json()["beds"][0]
    assert sunny["fits"] > 20 and len(sunny["plants"]) == 20
    scores = [p["score"] for p in sunny["plants"]]
    assert scores == sorted(scores, reverse=True)
    everything = user_client.get(url(plan, "?limit=500")).json()["beds"][0]
    assert len(everything["plants"]) == sunny["fits"]
    assert everything["plants"][:20] == sunny["plants"]
