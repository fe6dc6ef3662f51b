"""Canonical data URLs (each kind's urls_for_place): one URL per piece of data, and the right data."""

import random
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import RequestFactory

from backend_django.plans.tests.factories import PlanFactory
from backend_django.upstream import kinds
from backend_django.upstream.http import views
from backend_django.upstream.kinds import boxes, buildings

POINTS = [(45.5231, -122.6765), (-33.8688, 151.2093), (0.00049, -0.00051), (64.1466, -21.9426)]


def target_of(view_class, url: str):
    return view_class().target(RequestFactory().get(url))


@pytest.mark.parametrize("lat, lng", POINTS)
def test_canonical_urls_name_the_data_of_the_point(lat, lng):
    urls = kinds.data_urls(lat, lng)
    point = f"?lat={lat}&lng={lng}"
    # Climate, its summary and canopy: the very answer the point's own URL gives (same entry,
    # and the canonical URL is that answer's result_url).
    for name, view_class, path in (
        ("climate", views.ClimateView, "/api/v1/climate/"),
        ("climate_summary", views.ClimateSummaryView, "/api/v1/climate/summary/"),
        ("canopy", views.CanopyView, "/api/v1/canopy/"),
        ("sun", views.SunView, "/api/v1/sun/"),
        ("sun_summary", views.SunSummaryView, "/api/v1/sun/summary/"),
    ):
        own = target_of(view_class, path + point)
        canonical_target = target_of(view_class, urls[name])
        assert canonical_target.read_unit == own.read_unit
        assert urls[name] == own.result_url
    # Buildings: a box that covers the plan's own box, and that the API accepts as it is.
    south, west, north, east = buildings.parse_bbox(parse_qs(urlsplit(urls["buildings"]).query)["bbox"][0])
    plan_south, plan_west, plan_north, plan_east = buildings.plan_bbox(lat, lng)
    assert south <= plan_south and west <= plan_west and north >= plan_north and east >= plan_east
    target = target_of(views.BuildingsView, urls["buildings"])
    assert target.result_url == urls["buildings"]
    assert target.read_unit == boxes.box_unit((south, west, north, east))


def test_no_sun_urls_beyond_the_sun_latitude_limit():
    urls = kinds.data_urls(86.0, 10.0)
    assert "sun" not in urls and "sun_summary" not in urls
    assert set(urls) == {"climate", "climate_summary", "buildings", "canopy"}


def test_points_of_one_grid_square_share_every_url_and_always_get_a_covering_box():
    rng = random.Random(21)
    step = buildings.BOX_GRID_DEGREES
    for _ in range(500):
        lat, lng = rng.uniform(-60, 60), rng.uniform(-170, 170)
        south, west, north, east = buildings.place_bbox(lat, lng)
        radius = settings.PLAN_BUILDINGS_RADIUS_DEGREES
        assert south <= lat - radius + 1e-9 and north >= lat + radius - 1e-9
        assert west <= lng - radius + 1e-9 and east >= lng + radius - 1e-9
    # Two points in one square (away from its edges): the same buildings URL.
    centre_lat, centre_lng = 45.523, -122.677
    one = kinds.data_urls(centre_lat + step * 0.3, centre_lng - step * 0.4)
    two = kinds.data_urls(centre_lat - step * 0.2, centre_lng + step * 0.1)
    assert one["buildings"] == two["buildings"]
    assert one["climate_summary"] == two["climate_summary"]


@pytest.mark.django_db
def test_the_plans_api_gives_each_plan_its_canonical_urls(user_client, user):
    plan = PlanFactory(owner=user, latitude=45.5231, longitude=-122.6765)
    body = user_client.get(f"/api/v1/plans/{plan.id}/").json()
    assert body["data_urls"] == kinds.data_urls(45.5231, -122.6765)
    # The list shows plans at a glance; the plan page reads its URLs from the plan itself.
    listed = user_client.get("/api/v1/plans/").json()["results"]
    assert listed[0]["id"] == str(plan.id) and "data_urls" not in listed[0] and "data" not in listed[0]
