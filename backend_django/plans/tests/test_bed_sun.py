"""GET plans/{id}/beds/sun/: each bed's sun from the site's raster, against hand-worked numbers."""

import json

import numpy as np
import pytest

from backend_django.plans.season import growing_season, months_span
from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.tests.garden_data import (
    LAT,
    LNG,
    cell_box,
    climate_summary,
    gradient_tenths,
    grid_box,
    site_grid,
    store_climate,
    store_sun,
)
from backend_django.plans.tests.geo import bed, collection
from backend_django.upstream.jobs import records
from backend_django.upstream.kinds import climate, sun


def url(plan, query: str = "") -> str:
    return f"/api/v1/plans/{plan.pk}/beds/sun/{query}"


@pytest.fixture
def grid():
    return site_grid()[1]


@pytest.fixture
def plan(user, grid):
    beds = collection(
        # Columns 10-19, rows 20-24: 50 cells.
        bed("a", "Tomatoes", cell_box(grid, 20, 24, 10, 19)),
        # Inside cell (60, 70) without its centre: the cell under its centroid.
        bed("tiny", "Pot", grid_box(grid, 70.05, 60.05, 70.35, 60.35)),
        # Columns 80-81, rows 80-81: 4 cells, one without data.
        bed("c", "Corner", cell_box(grid, 80, 81, 80, 81)),
    )
    return PlanFactory(owner=user, latitude=LAT, longitude=LNG, beds=beds)


def test_the_growing_season_runs_between_the_median_frosts():
    # North: last frost on day 100 (10 April), first on day 300 (27 October): 11 April to 26 October.
    season = growing_season(climate_summary(spring=100, fall=300))
    assert (season.span.as_dict(), season.basis) == (
        {"start": "04-11", "end": "10-26", "days": 199},
        "frost_dates",
    )
    assert season.span.weights.tolist() == [0, 0, 0, 20, 31, 30, 31, 31, 30, 26, 0, 0]
    # South: last frost on day 250 (7 September), first on day 120 (30 April) of the next year.
    season = growing_season(climate_summary(spring=250, fall=120, hemisphere="south"))
    assert season.span.as_dict() == {"start": "09-08", "end": "04-29", "days": 115 + 119}
    assert season.span.weights.tolist() == [31, 28, 31, 29, 0, 0, 0, 0, 23, 31, 30, 31]
    # No frost: the whole year; no fall frost in the north: to 31 December.
    season = growing_season(climate_summary(spring=None, fall=None))
    assert (season.span.days, season.basis, season.span.weights.sum()) == (365, "no_frost", 365)
    season = growing_season(climate_summary(spring=60, fall=None))
    assert season.span.as_dict() == {"start": "03-02", "end": "12-31", "days": 305}
    assert season.basis == "no_fall_frost"
    south = growing_season(climate_summary(spring=None, fall=None, hemisphere="south"))
    assert south.span.as_dict() == {"start": "07-01", "end": "06-30", "days": 365}
    # Months 11 to 2 run over the new year.
    assert months_span(11, 2).weights.tolist() == [31, 28, 0, 0, 0, 0, 0, 0, 0, 0, 30, 31]


@pytest.mark.django_db
def test_each_bed_gets_its_cells_hours(user_client, plan):
    tenths = gradient_tenths()
    roofs = np.zeros((100, 100), dtype=bool)
    roofs[20:22, 10:20] = True  # two of bed a's five rows lie under a roof
    tenths[:, 81, 81] = 255  # one of bed c's cells has no data
    store_sun(tenths, roofs)
    store_climate(climate_summary(spring=100, fall=300))

    response = user_client.get(url(plan))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-cache"
    body = response.json()
    site = sun.site_snap(lat=LAT, lng=LNG)
    assert body["site"] == {"latitude": site.lat, "longitude": site.lng, "unit": site.unit}
    assert body["growing_season"] == {
        "start": "04-11",
        "end": "10-26",
        "days": 199,
        "basis": "frost_dates",
        "hemisphere": "north",
        "last_spring_frost": "04-10",
        "first_fall_frost": "10-27",
        "years": 30,
        "note": "From the day after the median last spring frost (10 April) to the day before the "
        "median first fall frost (27 October); medians of 30 years.",
        "source": climate.summary_url(LAT, LNG),
    }
    assert "period" not in body
    a, tiny, c = body["beds"]

    # Bed a: columns 10-19 → month m holds (20 + 10 m + c) / 10 h, mean over c = 14.5.
    assert (a["id"], a["name"], a["cells"], a["roof_cells"]) == ("a", "Tomatoes", 50, 20)
    assert a["area_m2"] == pytest.approx(9.5 * 4.5, rel=2e-3)  # 9.5 x 4.5 cells of 1 m
    assert a["months"][0] == {"month": 1, "mean": 3.45, "min": 3.0, "max": 3.9, "light": "part_shade"}
    assert a["months"][1] == {"month": 2, "mean": 4.45, "min": 4.0, "max": 4.9, "light": "part_sun"}
    assert a["months"][11] == {"month": 12, "mean": 14.45, "min": 14.0, "max": 14.9, "light": "full_sun"}
    # Season: weights w = 20, 31, 30, 31, 31, 30, 26 (April-October), 199 days, sum of w*m = 1211.
    # mean = (34.5 * 199 + 10 * 1211) / 1990 = 9.5354; least cell (c = 10): (30 * 199 + 12110) / 1990
    # = 9.0854; most (c = 19): (39 * 199 + 12110) / 1990 = 9.9854.
    assert a["growing_season"] == {"mean": 9.54, "min": 9.09, "max": 9.99, "light": "full_sun"}
    # Year: 365 days, sum of w*m = 2017: (34.5 * 365 + 20170) / 3650 = 8.9760.
    assert a["year"] == {"mean": 8.98, "min": 8.53, "max": 9.43, "light": "full_sun"}

    # The tiny bed: the one cell under it, column 70: (20 + 10 m + 70) / 10.
    assert (tiny["cells"], tiny["roof_cells"]) == (1, 0)
    assert [month["mean"] for month in tiny["months"]] == [9.0 + m for m in range(12)]
    assert tiny["months"][0]["min"] == tiny["months"][0]["max"] == 9.0

    # Bed c: three cells with data, columns 80, 81 and 80: mean over c = 80.333.
    assert c["cells"] == 3
    assert c["months"][0] == {"month": 1, "mean": 10.03, "min": 10.0, "max": 10.1, "light": "full_sun"}


@pytest.mark.django_db
def test_a_period_of_months_over_the_new_year(user_client, plan):
    store_sun(gradient_tenths())
    store_climate(climate_summary(spring=100, fall=300))
    body = user_client.get(url(plan, "?from=12&to=1")).json()
    assert body["period"] == {"from": 12, "to": 1, "start": "12-01", "end": "01-31", "days": 62}
    # December (m = 11) and January (m = 0), 31 days each: (34.5 * 62 + 10 * 341) / 620 = 8.95;
    # the least cell (c = 10): (30 * 62 + 3410) / 620 = 8.5, the most (c = 19): 9.4.
    assert body["beds"][0]["period"] == {"mean": 8.95, "min": 8.5, "max": 9.4, "light": "full_sun"}
    summer = user_client.get(url(plan, "?from=6&to=8")).json()
    # June 30 (m = 5), July 31 (6), August 31 (7): (34.5 * 92 + 10 * 553) / 920 = 9.4609.
    assert summer["beds"][0]["period"]["mean"] == 9.46


@pytest.mark.django_db
def test_without_frost_the_season_is_the_year(user_client, plan):
    store_sun(gradient_tenths())
    store_climate(climate_summary(spring=None, fall=None))
    body = user_client.get(url(plan)).json()
    assert body["growing_season"]["basis"] == "no_frost"
    assert body["growing_season"]["note"] == "No frost in most years: the whole year."
    assert (body["growing_season"]["start"], body["growing_season"]["end"]) == ("01-01", "12-31")
    assert body["beds"][0]["growing_season"] == body["beds"][0]["year"]


@pytest.mark.django_db
def test_a_job_while_the_data_is_missing_then_the_answer(user_client, plan):
    response = user_client.get(url(plan, "?from=6&to=8"))
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert int(response["Retry-After"]) >= 1
    assert job["kind"] == "sun" and job["status"] == "queued"
    assert job["result_url"] == url(plan, "?from=6&to=8")
    site = sun.site_snap(lat=LAT, lng=LNG)
    # The climate point first (the sun reads its time zone), then the site.
    assert records.job_get(job["id"]).units == [climate.unit_for(LAT, LNG), site.unit]
    # Asking again joins the same job.
    assert user_client.get(url(plan, "?from=6&to=8")).json()["id"] == job["id"]

    store_climate(climate_summary())
    response = user_client.get(url(plan))
    assert response.status_code == 202
    assert records.job_get(response.json()["id"]).units == [site.unit]

    store_sun(gradient_tenths())
    assert user_client.get(url(plan)).status_code == 200


@pytest.mark.django_db
def test_etag_follows_the_sun_the_climate_and_the_beds(user_client, plan, grid):
    store_sun(gradient_tenths())
    store_climate(climate_summary())
    first = user_client.get(url(plan))
    etag = first["ETag"]
    again = user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert again["Cache-Control"] == "private, no-cache"
    assert user_client.get(url(plan, "?from=1&to=3"))["ETag"] != etag

    store_sun(gradient_tenths() // 2)
    second = user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 200 and second["ETag"] != etag
    etag = second["ETag"]

    store_climate(climate_summary(spring=90))
    third = user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag)
    assert third.status_code == 200 and third["ETag"] != etag
    etag = third["ETag"]

    moved = collection(bed("a", "Tomatoes", cell_box(grid, 30, 34, 10, 19)))
    assert user_client.patch(f"/api/v1/plans/{plan.pk}/", {"beds": moved}, format="json").status_code == 200
    fourth = user_client.get(url(plan), HTTP_IF_NONE_MATCH=etag)
    assert fourth.status_code == 200 and len(fourth.json()["beds"]) == 1


@pytest.mark.django_db
def test_only_the_owner_sees_a_plans_beds(user_client, plan, api_client):
    store_sun(gradient_tenths())
    store_climate(climate_summary())
    theirs = PlanFactory(latitude=LAT, longitude=LNG)
    for path in (url(theirs), "/api/v1/plans/6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01/beds/sun/"):
        response = user_client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api_client.get(url(plan)).status_code == 401


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?from=13&to=2", {"from": ["A month from 1 (January) to 12 (December)."]}),
        ("?from=6", {"to": ["Required with `from`: a month from 1 to 12."]}),
        (
            "?to=0",
            {
                "from": ["Required with `to`: a month from 1 to 12."],
                "to": ["A month from 1 (January) to 12 (December)."],
            },
        ),
        ("?from=june&to=8", {"from": ["A month from 1 (January) to 12 (December)."]}),
    ],
)
@pytest.mark.django_db
def test_a_bad_period_is_a_400_naming_it(user_client, plan, query, fields):
    response = user_client.get(url(plan, query))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields


@pytest.mark.django_db
def test_a_plan_beyond_85_degrees_has_no_sun(user_client, user):
    polar = PlanFactory(
        owner=user, latitude=88.0, longitude=10.0, beds={"type": "FeatureCollection", "features": []}
    )
    response = user_client.get(url(polar))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_sun"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_202_then_the_beds_sun_from_the_raster_the_worker_computed(
    user_client, simulator, celery_worker_process
):
    from rasterio.io import MemoryFile

    from backend_django.testing.waiting import wait_until

    created = user_client.post(
        "/api/v1/plans/", {"name": "Bristol", "latitude": LAT, "longitude": LNG}, format="json"
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    # The climate summary by hand (its frost dates are not what this is about): the job fills
    # the sun alone, its buildings and canopy fetched from the simulator first.
    store_climate(climate_summary(spring=100, fall=300))
    first = user_client.get(f"/api/v1/plans/{plan_id}/beds/sun/")
    assert first.status_code == 202, first.content
    assert records.job_get(first.json()["id"]).units == [sun.site_snap(lat=LAT, lng=LNG).unit]
    job_url = first["Location"]

    def finished():
        job = user_client.get(job_url).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job = wait_until(finished, "the sun job", timeout=180, step=0.2)
    assert job["status"] == "succeeded", json.dumps(job)
    assert job["result_url"] == f"/api/v1/plans/{plan_id}/beds/sun/"

    # The raster as the sun endpoint sends it, read with rasterio: a bed over rows 40-44 and
    # columns 50-59 of it (edges a quarter cell inside), and its hours worked out from the bands.
    site = sun.site_snap(lat=LAT, lng=LNG)
    tiff = user_client.get(f"/api/v1/sun/?lat={site.lat}&lng={site.lng}").content
    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        bands = dataset.read().astype(float) / 10
        transform = dataset.transform

    def corner(col: float, row: float) -> list[float]:
        lng, lat = transform @ (col, row)
        return [lng, lat]

    ring = [corner(50.25, 40.25), corner(59.75, 40.25), corner(59.75, 44.75), corner(50.25, 44.75)]
    beds = collection(bed("b1", "Beans", [[*ring, ring[0]]]))
    patched = user_client.patch(f"/api/v1/plans/{plan_id}/", {"beds": beds}, format="json")
    assert patched.status_code == 200, patched.content

    answer = user_client.get(job["result_url"])
    assert answer.status_code == 200, answer.content
    result = answer.json()["beds"][0]
    cells = bands[:, 40:45, 50:60].reshape(12, -1)
    assert result["cells"] == 50
    for month in range(12):
        assert result["months"][month]["mean"] == pytest.approx(cells[month].mean(), abs=0.006)
        assert result["months"][month]["min"] == pytest.approx(cells[month].min(), abs=1e-9)
        assert result["months"][month]["max"] == pytest.approx(cells[month].max(), abs=1e-9)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    assert result["year"]["mean"] == pytest.approx((days @ cells / 365).mean(), abs=0.006)
