"""Every JSON endpoint refuses absurd bodies cleanly, and the Range parser huge numbers."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

DEEP = "[" * 10_000 + "]" * 10_000
NESTED_100 = json.dumps({"email": "a@example.com", "name": json.loads("[" * 100 + "]" * 100)})
DEEP_ENDPOINTS = [
    ("post", "/api/v1/auth/login/"),
    ("post", "/api/v1/auth/registration/"),
    ("post", "/api/v1/auth/password/reset/"),
    ("post", "/api/v1/auth/registration/resend-email/"),
    ("patch", "/api/v1/users/me/"),
    ("post", "/api/v1/plans/"),
    ("post", "/api/v1/overpass/"),
]


@pytest.mark.parametrize("method, path", DEEP_ENDPOINTS)
@pytest.mark.parametrize("body", [DEEP, NESTED_100], ids=["depth-10000", "depth-100"])
def test_deep_json_is_a_clean_400(user_client, method, path, body):
    response = getattr(user_client, method)(path, body, content_type="application/json")
    if path == "/api/v1/overpass/" and body is DEEP:
        # Over that endpoint's 8 KiB before its depth matters.
        assert response.status_code == 413
        return
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "deep" in error["message"]


@pytest.mark.parametrize("method, path", DEEP_ENDPOINTS[:5])
def test_a_large_body_is_a_clean_413(user_client, method, path, settings):
    body = json.dumps({"email": "a@example.com", "name": "x" * (settings.JSON_REQUEST_MAX_BYTES + 1)})
    response = getattr(user_client, method)(path, body, content_type="application/json")
    assert response.status_code == 413, response.content
    assert response.json()["error"]["code"] == "too_large"


def test_plan_bodies_may_be_larger(user_client, settings):
    data = {"notes": "x" * (settings.JSON_REQUEST_MAX_BYTES + 10)}
    response = user_client.post(
        "/api/v1/plans/", {"name": "Big", "latitude": 1, "longitude": 2, "data": data}, format="json"
    )
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize(
    "header, status",
    [
        ("bytes=" + "9" * 4301 + "-", 416),  # starts past the end of any tile
        ("bytes=0-" + "9" * 4301, 206),  # to the end
        ("bytes=-" + "9" * 4301, 206),  # the whole (small) tile
        ("bytes=" + "0" * 4300 + "1-" + "0" * 4300 + "3", 206),  # leading zeros
    ],
)
def test_range_numbers_of_thousands_of_digits(simulator, header, status):
    response = APIClient().get("/api/v1/canopy/021230223/", HTTP_RANGE=header)
    assert response.status_code == status, response.content[:300]
    if status == 416:
        assert response.json()["error"]["code"] == "range_not_satisfiable"
    if header.startswith("bytes=0000"):
        assert response["Content-Range"].startswith("bytes 1-3/")
