import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from backend_django.testing.valkey_plugin import private_server
from backend_django.upstream import upstreams
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_health_ok_when_everything_answers(api_client):
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        # Every declared upstream's breaker (upstream/upstreams.py), none down.
        "upstreams": dict.fromkeys(upstreams.NAMES, "up"),
    }
    assert response["Cache-Control"] == "no-store"
    # The trailing slash is optional.
    assert api_client.get("/api/v1/health").status_code == 200


def _valkey_settings(url: str) -> dict:
    from django.conf import settings as django_settings

    caches = {"default": {**django_settings.CACHES["default"], "LOCATION": url}}
    return {"VALKEY_URL": url, "CELERY_BROKER_URL": url, "CACHES": caches}


def test_valkey_down_health_503_but_sign_in_keeps_working(settings):
    server = private_server()
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    for name, value in _valkey_settings(url).items():
        setattr(settings, name, value)
    client = APIClient()
    assert client.get("/api/v1/health/").status_code == 200

    server.stop()
    cache.close()

    response = client.get("/api/v1/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error")
    assert body["checks"]["broker"].startswith("error")

    user = UserFactory()
    # A browser session login (CSRF cookie and header) ...
    token = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 204, response.content
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    # ... and an API token login.
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    api = APIClient(HTTP_AUTHORIZATION=f"Token {response.json()['key']}")
    assert api.get("/api/v1/users/me/").json()["email"] == user.email


def test_version_info_tells_visitors_only_version_and_commit(api_client):
    body = api_client.get("/api/v1/version-info/").json()
    assert set(body) == {"version", "commit"}
    assert body["version"] == "1.0.0"


def test_version_info_tells_staff_the_stack(api_client):
    staff = UserFactory(is_staff=True)
    api_client.force_authenticate(user=staff)
    body = api_client.get("/api/v1/version-info/").json()
    assert body["name"] == "solar-sim"
    assert body["django"].startswith("6.")
    assert set(body) >= {"version", "commit", "python", "celery", "djangorestframework"}
