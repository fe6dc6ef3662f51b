import json

import pytest
from django.core.exceptions import ValidationError

from backend_django.plans.models import Plan
from backend_django.plans.services import plan_create
from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.validators import json_depth, plan_data_size

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"
VALID = {"name": "Plot", "latitude": 48.1, "longitude": 11.6}


def post(client, **overrides):
    return client.post(URL, {**VALID, **overrides}, format="json")


def field_errors(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    return error["fields"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", 90.0001),
        ("latitude", -91),
        ("longitude", 180.5),
        ("longitude", -181),
        ("latitude", "NaN"),
        ("longitude", "Infinity"),
        ("latitude", "-inf"),
        ("latitude", "north"),
        ("latitude", None),
    ],
)
def test_bad_coordinates_are_refused_naming_the_field(user_client, field, value):
    errors = field_errors(post(user_client, **{field: value}))
    assert set(errors) == {field}
    assert not Plan.objects.exists()


def test_coordinate_limits_are_inclusive(user_client):
    assert post(user_client, latitude=90, longitude=-180).status_code == 201
    assert post(user_client, latitude=-90, longitude=180).status_code == 201


def test_nan_literal_in_json_is_refused(user_client):
    response = user_client.generic(
        "POST", URL, '{"name": "x", "latitude": NaN, "longitude": 0}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not Plan.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_names(user_client, name):
    assert set(field_errors(post(user_client, name=name))) == {"name"}


def test_long_address_is_refused(user_client):
    assert set(field_errors(post(user_client, address="a" * 501))) == {"address"}
    assert post(user_client, address="a" * 500).status_code == 201


@pytest.mark.parametrize(
    "timezone", ["Mars/Olympus_Mons", "Europe/Berlin/Mitte", "../../etc/passwd", "+01:00"]
)
def test_bad_timezone(user_client, timezone):
    errors = field_errors(post(user_client, timezone=timezone))
    assert set(errors) == {"timezone"}
    assert "IANA" in errors["timezone"][0]


@pytest.mark.parametrize("timezone", ["", "UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata"])
def test_good_timezones(user_client, timezone):
    assert post(user_client, timezone=timezone).status_code == 201


@pytest.mark.parametrize("data", [[], [1, 2], "text", 3, True])
def test_data_must_be_an_object(user_client, data):
    errors = field_errors(post(user_client, data=data))
    assert errors == {"data": ["Must be a JSON object."]}


def test_data_null_is_refused(user_client):
    assert set(field_errors(post(user_client, data=None))) == {"data"}


def test_data_size_limit(user_client, settings):
    settings.PLAN_DATA_MAX_BYTES = 1000
    filler = "x" * (1000 - len('{"notes":""}'))
    assert plan_data_size({"notes": filler}) == 1000
    assert post(user_client, data={"notes": filler}).status_code == 201
    errors = field_errors(post(user_client, data={"notes": filler + "x"}))
    assert set(errors) == {"data"}
    assert "1001 bytes" in errors["data"][0] and "limit is 1000 bytes" in errors["data"][0]


def test_data_size_default_is_256_kib(user_client, settings):
    assert settings.PLAN_DATA_MAX_BYTES == 256 * 1024
    errors = field_errors(post(user_client, data={"notes": "x" * (256 * 1024)}))
    assert "limit is 262144 bytes" in errors["data"][0]


def test_data_size_counts_utf8_bytes(user_client, settings):
    settings.PLAN_DATA_MAX_BYTES = 100
    # 40 characters, 120 bytes.
    assert set(field_errors(post(user_client, data={"n": "€" * 40}))) == {"data"}


def nested(depth: int):
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_data_depth_limit(user_client, settings):
    assert settings.PLAN_DATA_MAX_DEPTH == 32
    assert json_depth(nested(32)) == 32
    assert post(user_client, data=nested(32)).status_code == 201
    errors = field_errors(post(user_client, data=nested(33)))
    assert errors == {"data": ["Nests deeper than 32 levels."]}


def test_absurd_nesting_is_a_clean_400(user_client):
    body = '{"name": "x", "latitude": 0, "longitude": 0, "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = user_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_request_body_limit(user_client, settings):
    settings.PLANS_REQUEST_MAX_BYTES = 2000
    body = json.dumps({**VALID, "data": {"notes": "x" * 3000}})
    response = user_client.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_patch_validates_too(user_client, user):
    plan = PlanFactory(owner=user, latitude=1.0)
    errors = field_errors(user_client.patch(f"{URL}{plan.pk}/", {"latitude": 100}, format="json"))
    assert set(errors) == {"latitude"}
    plan.refresh_from_db()
    assert plan.latitude == 1.0


def test_services_validate_without_the_api(user):
    with pytest.raises(ValidationError) as excinfo:
        plan_create(owner=user, name="x", latitude=float("nan"), longitude=0, data=[])  # type: ignore[arg-type]
    assert set(excinfo.value.message_dict) == {"latitude", "data"}
    with pytest.raises(ValidationError):
        plan_create(owner=user, name="x", latitude=0, longitude=0, data={"bad": float("inf")})
    assert not Plan.objects.exists()
