"""Beds on a plan: stored, checked (every way a plan is written), measured."""

import json
import uuid

import pytest

from backend_django.plans.beds import bed_area_m2, beds_clean
from backend_django.plans.models import Plan
from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.tests.geo import bed, collection, rectangle, ring_lnglat, shoelace, to_metres
from backend_django.plants.tests.factories import PlantFactory

# On the sun site grid (0.0005°): the plan's point is its site, the middle of its 100 m square.
LAT, LNG = 51.4545, -2.588


def plan_body(**fields) -> dict:
    return {"name": "Allotment", "latitude": LAT, "longitude": LNG, **fields}


def square(west: float, south: float, east: float, north: float) -> list:
    return rectangle(LAT, LNG, west, south, east, north)


def error_of(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]


@pytest.fixture
def tomato(db):
    return PlantFactory(common_name="Test tomato")


@pytest.mark.django_db
def test_a_plan_keeps_its_beds_normalised_and_the_list_leaves_them_out(user_client, tomato):
    beds = collection(
        bed("b1", "  Tomatoes ", square(0, 0, 3, 1.2), plants=[tomato.pk]),
        bed("b2", "Herbs", square(-10, -10, -8, -7)),
    )
    response = user_client.post("/api/v1/plans/", plan_body(beds=beds), format="json")
    assert response.status_code == 201, response.content
    stored = response.json()["beds"]
    assert [feature["properties"] for feature in stored["features"]] == [
        {"name": "Tomatoes", "plants": [tomato.pk]},
        {"name": "Herbs", "plants": []},
    ]
    assert stored["features"][0]["geometry"] == beds["features"][0]["geometry"]
    plan_id = response.json()["id"]
    assert user_client.get(f"/api/v1/plans/{plan_id}/").json()["beds"] == stored
    listed = user_client.get("/api/v1/plans/").json()["results"][0]
    assert "beds" not in listed and "data" not in listed
    # A plan without beds has an empty collection.
    other = user_client.post("/api/v1/plans/", plan_body(), format="json").json()
    assert other["beds"] == {"type": "FeatureCollection", "features": []}


BOWTIE = [ring_lnglat(LAT, LNG, [(0, 0), (4, 4), (4, 0), (0, 4)])]


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (bed("b1", "Tomatoes", BOWTIE), 'bed "Tomatoes" (b1): its outline crosses itself.'),
        (
            bed("b1", "Tomatoes", [square(0, 0, 2, 2)[0][:-1]]),
            'bed "Tomatoes" (b1): its outline is not closed: its last position must repeat the first.',
        ),
        (
            bed("b1", "Tomatoes", [ring_lnglat(LAT, LNG, [(0, 0), (2, 0), (2, 2), (0, 2), (2, 0)])]),
            'bed "Tomatoes" (b1): its outline touches itself at a corner.',
        ),
        (
            bed("b1", "Tomatoes", [ring_lnglat(LAT, LNG, [(0, 0), (2, 0)])[:2] * 2]),
            'bed "Tomatoes" (b1): its outline is not closed: its last position must repeat the first.',
        ),
        (
            bed("b1", "Tomatoes", square(40, 40, 60, 45)),
            'bed "Tomatoes" (b1): lies outside the plan\'s sun square (the 100 m square around its sun '
            "site at 51.4545, -2.588); draw it inside, or move the plan.",
        ),
        (
            bed("b1", "x" * 101, square(0, 0, 1, 1)),
            "bed b1: its name is 101 characters long; at most 100.",
        ),
        (bed("b1", "   ", square(0, 0, 1, 1)), "bed b1: properties.name must not be empty."),
        (
            bed("", "Tomatoes", square(0, 0, 1, 1)),
            'bed "Tomatoes" (number 1): its id must be a string of 1 to 64 characters.',
        ),
        (
            bed(7, "Tomatoes", square(0, 0, 1, 1)),
            'bed "Tomatoes" (number 1): its id must be a string of 1 to 64 characters.',
        ),
        (
            bed("b1", "Tomatoes", square(0, 0, 1, 1), plants=list(range(1, 52))),
            'bed "Tomatoes" (b1): has 51 plants; at most 50.',
        ),
        (
            bed("b1", "Tomatoes", square(0, 0, 1, 1), plants=[3, 3]),
            'bed "Tomatoes" (b1): lists plant 3 twice.',
        ),
        (
            bed("b1", "Tomatoes", square(0, 0, 1, 1), plants=["3"]),
            'bed "Tomatoes" (b1): properties.plants must hold plant ids (whole numbers from GET plants/).',
        ),
        (
            bed("b1", "Tomatoes", square(0, 0, 1, 1), plants=[999_999]),
            'bed "Tomatoes" (b1): plant 999999 is not in the catalogue.',
        ),
        (
            {
                **bed("b1", "Tomatoes", square(0, 0, 1, 1)),
                "geometry": {"type": "Point", "coordinates": [0, 0]},
            },
            'bed "Tomatoes" (b1): its geometry must be a Polygon (got Point).',
        ),
        (
            bed("b1", "Tomatoes", square(0, 0, 1, 1), colour="red"),
            'bed "Tomatoes" (b1): it has keys it may not have: colour (allowed: "geometry", "id", '
            '"properties", "type").',
        ),
        (
            bed("b1", "Tomatoes", [[[LNG, LAT], [LNG, "52"], [LNG + 0.0001, LAT], [LNG, LAT]]]),
            'bed "Tomatoes" (b1): a position of its outline is not a [longitude, latitude] pair of numbers.',
        ),
        (
            bed("b1", "Tomatoes", [[[0, 0, 3], [0, 1, 3], [1, 0, 3], [0, 0, 3]]]),
            'bed "Tomatoes" (b1): a position of its outline is not a [longitude, latitude] pair.',
        ),
        (
            # A hole that reaches outside the outline.
            bed("b1", "Tomatoes", [square(0, 0, 4, 4)[0], square(3, 3, 5, 5)[0]]),
            'bed "Tomatoes" (b1): its outline crosses itself.',
        ),
        (
            bed("b1", "Tomatoes", [square(0, 0, 4, 4)[0], square(10, 10, 11, 11)[0]]),
            'bed "Tomatoes" (b1): a hole lies outside its outline.',
        ),
        (
            {"type": "Feature", "id": "b1", "properties": {"name": "Tomatoes"}},
            'bed "Tomatoes" (b1): its geometry must be a GeoJSON Polygon ({"type": "Polygon", '
            '"coordinates": [...]}).',
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_bed_is_a_400_naming_it_and_the_stored_beds_stay(user_client, feature, message):
    good = collection(bed("b0", "Kept", square(-5, -5, -3, -3)))
    plan = user_client.post("/api/v1/plans/", plan_body(beds=good), format="json").json()
    before = Plan.objects.get(pk=plan["id"]).updated_at

    response = user_client.patch(f"/api/v1/plans/{plan['id']}/", {"beds": collection(feature)}, format="json")
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {"beds": [message]}
    assert error["message"] == f"beds: {message}"
    stored = Plan.objects.get(pk=plan["id"])
    assert stored.beds == plan["beds"] and stored.updated_at == before


@pytest.mark.django_db
def test_collection_rules_count_ids_and_corners(user_client):
    plan = user_client.post("/api/v1/plans/", plan_body(), format="json").json()
    url = f"/api/v1/plans/{plan['id']}/"

    def refused(beds) -> list[str]:
        return error_of(user_client.patch(url, {"beds": beds}, format="json"))["fields"]["beds"]

    many = collection(*(bed(f"b{n}", f"Bed {n}", square(n - 40, 0, n - 39.5, 1)) for n in range(51)))
    assert refused(many) == ["Has 51 beds; at most 50."]
    assert refused([]) == [
        'Must be a GeoJSON FeatureCollection: {"type": "FeatureCollection", "features": [...]}.'
    ]
    twice = collection(bed("b1", "One", square(0, 0, 1, 1)), bed("b1", "Two", square(2, 2, 3, 3)))
    assert refused(twice) == [
        'bed "Two" (b1): its id is also the id of bed number 1; each bed needs its own.'
    ]
    # 201 corners on a circle-ish ring (a regular polygon around (10, 10) m).
    import math

    def polygon(corners: int) -> list:
        return [
            ring_lnglat(
                LAT,
                LNG,
                [
                    (
                        10 + 5 * math.cos(2 * math.pi * k / corners),
                        10 + 5 * math.sin(2 * math.pi * k / corners),
                    )
                    for k in range(corners)
                ],
            )
        ]

    assert refused(collection(bed("round", "Round", polygon(201)))) == [
        'bed "Round" (round): has 201 corners; at most 200.'
    ]
    # Every problem is reported, each naming its bed.
    two_bad = collection(
        bed("a", "A", BOWTIE), bed("ok", "Fine", square(0, 0, 1, 1)), bed("c", "C", square(60, 0, 61, 1))
    )
    problems = refused(two_bad)
    assert problems[0] == 'bed "A" (a): its outline crosses itself.'
    assert problems[1].startswith('bed "C" (c): lies outside the plan\'s sun square')
    assert len(problems) == 2
    # 200 corners are fine.
    response = user_client.patch(
        url, {"beds": collection(bed("round", "Round", polygon(200)))}, format="json"
    )
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_moving_a_plan_so_its_beds_fall_outside_is_refused(user_client):
    beds = collection(bed("b1", "Tomatoes", square(-45, 30, -30, 45)), bed("b2", "Herbs", square(0, 0, 1, 1)))
    plan = user_client.post("/api/v1/plans/", plan_body(beds=beds), format="json").json()
    # 0.001° east (69 m) is another site: b1 would lie 99-114 m west of it and b2 68-69 m.
    response = user_client.patch(f"/api/v1/plans/{plan['id']}/", {"longitude": LNG + 0.001}, format="json")
    error = error_of(response)
    assert error["fields"]["beds"] == [
        'bed "Tomatoes" (b1): lies outside the plan\'s sun square (the 100 m square around its sun site '
        "at 51.4545, -2.587); draw it inside, or move the plan.",
        'bed "Herbs" (b2): lies outside the plan\'s sun square (the 100 m square around its sun site '
        "at 51.4545, -2.587); draw it inside, or move the plan.",
    ]
    stored = Plan.objects.get(pk=plan["id"])
    assert stored.longitude == LNG and stored.beds == plan["beds"]
    # A move of 22 m north keeps the site (and both beds inside its square).
    moved = user_client.patch(f"/api/v1/plans/{plan['id']}/", {"latitude": LAT + 0.0002}, format="json")
    assert moved.status_code == 200, moved.content


@pytest.mark.django_db
def test_batch_and_put_check_beds_too(user_client):
    plan_id = str(uuid.uuid4())
    ops = {
        "ops": [
            {"op": "PUT", "id": plan_id, "data": plan_body()},
            {"op": "PATCH", "id": plan_id, "data": {"beds": collection(bed("b1", "Tomatoes", BOWTIE))}},
        ]
    }
    error = error_of(user_client.post("/api/v1/plans/batch/", ops, format="json"))
    assert error["op"] == {"index": 1, "op": "PATCH", "id": plan_id}
    assert error["fields"] == {"beds": ['bed "Tomatoes" (b1): its outline crosses itself.']}
    assert error["message"] == (
        f'ops[1] (PATCH {plan_id}): beds: bed "Tomatoes" (b1): its outline crosses itself. '
        "Nothing was applied."
    )
    assert not Plan.objects.filter(pk=plan_id).exists()

    beds = collection(bed("b1", "Tomatoes", square(0, 0, 2, 2)))
    put = user_client.put(f"/api/v1/plans/{plan_id}/", plan_body(beds=beds), format="json")
    assert put.status_code == 201, put.content
    # A PUT without beds replaces them with none, like any optional field.
    again = user_client.put(f"/api/v1/plans/{plan_id}/", plan_body(), format="json")
    assert again.json()["beds"]["features"] == []


@pytest.mark.django_db
def test_a_plant_the_catalogue_dropped_stays_in_its_bed(user_client, tomato):
    dropped = tomato.pk
    beds = collection(bed("b1", "Tomatoes", square(0, 0, 2, 2), plants=[dropped]))
    plan = user_client.post("/api/v1/plans/", plan_body(beds=beds), format="json").json()
    tomato.delete()
    renamed = user_client.patch(f"/api/v1/plans/{plan['id']}/", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200, renamed.content
    # Re-sending the same beds (a sync client's PUT) keeps it too.
    again = user_client.put(f"/api/v1/plans/{plan['id']}/", plan_body(beds=beds), format="json")
    assert again.status_code == 200, again.content
    more = collection(*beds["features"], bed("b2", "More", square(3, 3, 4, 4), plants=[dropped]))
    # The plan holds it already, so another bed may have it too; a plan that never had it may not.
    assert user_client.patch(f"/api/v1/plans/{plan['id']}/", {"beds": more}, format="json").status_code == 200
    other = user_client.post("/api/v1/plans/", plan_body(beds=more), format="json")
    assert error_of(other)["fields"]["beds"] == [
        f'bed "Tomatoes" (b1): plant {dropped} is not in the catalogue.',
        f'bed "More" (b2): plant {dropped} is not in the catalogue.',
    ]


@pytest.mark.django_db
def test_a_plan_beyond_85_degrees_cannot_hold_beds(user_client):
    beds = collection(bed("b1", "Ice", [ring_lnglat(86, 10, [(0, 0), (1, 0), (1, 1), (0, 0)])]))
    error = error_of(
        user_client.post(
            "/api/v1/plans/", {**plan_body(latitude=86, longitude=10), "beds": beds}, format="json"
        )
    )
    assert error["fields"]["beds"] == [
        "this plan lies beyond 85° north or south, where sun and shade are not computed: it cannot hold beds."
    ]


def test_the_area_is_that_of_the_polygon_on_the_ground():
    # An L-shaped bed, 6 m x 4 m less 3 m x 2 m = 18 m², and a thin one, 10 m x 0.5 m.
    for corners, area in (
        ([(0, 0), (6, 0), (6, 2), (3, 2), (3, 4), (0, 4)], 18.0),
        ([(-20, 30), (-10, 30), (-10, 30.5), (-20, 30.5)], 5.0),
    ):
        ring = ring_lnglat(LAT, LNG, corners)
        cleaned = beds_clean(collection(bed("b", "B", [ring])), latitude=LAT, longitude=LNG)
        from shapely.geometry import Polygon

        measured = bed_area_m2(Polygon(cleaned["features"][0]["geometry"]["coordinates"][0]))
        assert measured == pytest.approx(area, rel=1e-4)
        assert measured == pytest.approx(shoelace(to_metres(LAT, LNG, ring)), rel=1e-4)


@pytest.mark.django_db
def test_sync_upload_takes_beds_as_json_text(user, tomato):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user=user)
    plan_id = str(uuid.uuid4())
    beds = collection(bed("b1", "Tomatoes", square(0, 0, 2, 2), plants=[tomato.pk]))
    row = {**plan_body(), "beds": json.dumps(beds)}
    body = {
        "batch": [
            {"op": "PUT", "table": "plans", "id": plan_id, "data": row},
            {
                "op": "PATCH",
                "table": "plans",
                "id": plan_id,
                "data": {"beds": json.dumps(collection(bed("x", "X", BOWTIE)))},
            },
            {"op": "PATCH", "table": "plans", "id": plan_id, "data": {"name": "Still", "beds": None}},
        ]
    }
    result = client.post("/api/v1/sync/upload/", body, format="json").json()
    assert [item["status"] for item in result["results"]] == ["applied", "rejected", "applied"]
    assert result["results"][1]["error"]["fields"] == {"beds": ['bed "X" (x): its outline crosses itself.']}
    plan = Plan.objects.get(pk=plan_id)
    # NULL is the default: no beds.
    assert plan.name == "Still" and plan.beds == {"type": "FeatureCollection", "features": []}


@pytest.mark.django_db
def test_someone_elses_plan_beds_are_not_theirs_to_change(user_client):
    theirs = PlanFactory(latitude=LAT, longitude=LNG)
    response = user_client.patch(
        f"/api/v1/plans/{theirs.pk}/",
        {"beds": collection(bed("b1", "Mine", square(0, 0, 1, 1)))},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_restored_plan_has_its_beds_back(user_client):
    beds = collection(bed("b1", "Tomatoes", square(0, 0, 2, 2)))
    plan = user_client.post("/api/v1/plans/", plan_body(beds=beds), format="json").json()
    assert user_client.delete(f"/api/v1/plans/{plan['id']}/").status_code == 204
    restored = user_client.post(f"/api/v1/plans/{plan['id']}/restore/")
    assert restored.status_code == 201, restored.content
    assert restored.json()["beds"] == plan["beds"]
