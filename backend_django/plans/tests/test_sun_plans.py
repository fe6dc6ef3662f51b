"""Plans and the sun kind: prefetch on save computes it, data status and the light fact show it."""

import json

import pytest

from backend_django.plans.tests.factories import PlanFactory
from backend_django.testing.waiting import wait_until
from backend_django.upstream import kinds
from backend_django.upstream.cache import store
from backend_django.upstream.jobs import records, warming
from backend_django.upstream.kinds import climate, sun
from backend_django.upstream.kinds.sun import kind as sun_kind

LAT, LNG = 51.4545, -2.5879


def summary_with_means(lat: float, lng: float, means: list[float | None]) -> dict:
    site = sun.site_snap(lat=lat, lng=lng)
    return {
        "model": sun.MODEL_VERSION,
        "site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit},
        "months": [{"month": month, "mean": mean} for month, mean in enumerate(means, start=1)],
    }


def store_summary(summary: dict) -> None:
    unit = sun_kind.summary_unit(summary["site"]["unit"])
    store.write([store.NewEntry(unit, json.dumps(summary).encode(), "application/json", 600, 600)])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_saving_a_plan_prefetches_its_sun_after_the_inputs_and_the_list_shows_its_light(
    user_client, simulator, celery_worker_process
):
    response = user_client.post(
        "/api/v1/plans/", {"name": "Bed", "latitude": LAT, "longitude": LNG}, format="json"
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["data_status"]["sun"]["state"] in ("fetching", "missing")
    assert "light" not in plan["facts"]
    job = records.job_get(plan["data_status"]["sun"]["job_id"])
    site_unit = sun.site_snap(lat=LAT, lng=LNG).unit
    assert job.kind == "prefetch" and job.units[-1] == site_unit  # after buildings and canopy
    assert set(kinds.units_for(LAT, LNG)) == {"climate", "buildings", "canopy", "sun"}

    def all_fresh():
        current = user_client.get(f"/api/v1/plans/{plan['id']}/").json()
        return all(kind["state"] == "fresh" for kind in current["data_status"].values()) and current

    final = wait_until(all_fresh, timeout=120)
    assert final["data_status"]["sun"] == {"state": "fresh", "job_id": None}
    # Every input the sun reads was fetched once, beside the plan's own buildings cells.
    inputs = sun.site_input_units(site=sun.site_from_unit(site_unit))
    cells = set(kinds.units_for(LAT, LNG)["buildings"]) | set(inputs.buildings)
    assert simulator.stats()["overpass"]["requests"] == len(cells)
    summary = store.read(sun_kind.summary_unit(site_unit)).json()
    # The climate was cached first (same job, listed first): its time zone was used.
    climate_summary = store.read(climate.summary_unit(climate.unit_for(LAT, LNG))).json()
    assert summary["timezone"] == climate_summary["timezone"] is not None
    # The light fact: the mean of April to September's ground means, and its category.
    means = [month["mean"] for month in summary["months"] if 4 <= month["month"] <= 9]
    hours = round(sum(means) / 6, 1)
    light = final["facts"]["light"]
    assert light["hours"] == hours and light["months"] == [4, 5, 6, 7, 8, 9]
    assert light["category"] == (
        "full_sun" if hours >= 6 else "part_sun" if hours >= 4 else "part_shade" if hours >= 2 else "shade"
    )
    listed = user_client.get("/api/v1/plans/").json()["results"][0]
    assert listed["facts"]["light"] == light


@pytest.mark.django_db
def test_the_light_fact_follows_the_hemisphere_and_is_absent_until_cached(user_client, user):
    north = PlanFactory(owner=user, latitude=LAT, longitude=LNG)
    south = PlanFactory(owner=user, latitude=-33.9249, longitude=18.4241)
    unknown = PlanFactory(owner=user, latitude=10.0, longitude=10.0)
    polar = PlanFactory(owner=user, latitude=88.0, longitude=10.0)
    # Northern summer sunny, winter dark; the southern site the other way round.
    store_summary(summary_with_means(LAT, LNG, [1, 1, 1, 6, 7, 8, 8, 7, 6, 1, 1, 1]))
    store_summary(summary_with_means(-33.9249, 18.4241, [5.5, 5, 4, 1, 1, 1, 1, 1, 1, 4, 5, 5.5]))
    results = {plan["id"]: plan for plan in user_client.get("/api/v1/plans/").json()["results"]}
    assert results[str(north.pk)]["facts"]["light"] == {
        "category": "full_sun",
        "hours": 7.0,
        "months": [4, 5, 6, 7, 8, 9],
    }
    assert results[str(south.pk)]["facts"]["light"] == {
        "category": "part_sun",
        "hours": 4.8,  # (4 + 5 + 5.5 + 5.5 + 5 + 4) / 6 = 4.83
        "months": [10, 11, 12, 1, 2, 3],
    }
    assert "light" not in results[str(unknown.pk)]["facts"]
    assert results[str(unknown.pk)]["data_status"]["sun"]["state"] == "missing"
    # Beyond 85° there is no sun site: nothing to show, nothing to fetch.
    assert "light" not in results[str(polar.pk)]["facts"]
    assert kinds.units_for(88.0, 10.0)["sun"] == []


def test_the_warm_passes_include_the_site():
    site_unit = sun.site_snap(lat=LAT, lng=LNG).unit
    inputs = sun.site_input_units(site=sun.site_from_unit(site_unit))
    # Nightly: everything missing, the site with it.
    assert site_unit in warming.units_to_warm([(LAT, LNG)], within_seconds=None)
    # Refresh-ahead: a site whose inputs stop being fresh within the horizon stops with them.
    soon = [store.NewEntry(unit, b"{}", "application/json", 3600, 600) for unit in inputs.units]
    store.write(soon)
    store.write(
        [
            store.NewEntry(
                site_unit, b"II*\x00", "image/tiff", 3600, 600, compress=False, inputs=tuple(inputs.units)
            )
        ]
    )
    assert site_unit not in warming.units_to_warm([(LAT, LNG)], within_seconds=None)
    # (Its inputs it refreshes itself, first: test_derived_kinds.py::test_refresh_ahead_reaches_the_inputs.)
    assert site_unit in warming.units_to_warm([(LAT, LNG)], within_seconds=7200)
