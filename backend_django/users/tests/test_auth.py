import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from rest_framework.test import APIClient

from backend_django.users.models import User
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .helpers import BrowserClient, token_client

pytestmark = pytest.mark.django_db

PASSWORD = "Tomatoes-and-Basil-2026"


def test_register_then_session_login_then_me():
    client = BrowserClient()
    response = client.post(
        "/api/v1/auth/registration/",
        {"email": "Ada@Example.com", "name": "Ada", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"detail"}  # no token: the browser uses its session
    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada"

    client = BrowserClient()
    response = client.post("/api/v1/auth/login/", {"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 204, response.content
    assert "sessionid" in client.cookies

    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["name"] == "Ada"


def test_session_post_without_csrf_token_is_refused():
    user = UserFactory()
    client = BrowserClient()
    assert (
        client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code
        == 204
    )
    # Signed in by session: a change without the header is refused...
    response = APIClient.patch(client, "/api/v1/users/me/", {"name": "Mallory"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    user.refresh_from_db()
    assert user.name != "Mallory"
    # ...and accepted with it.
    response = client.patch("/api/v1/users/me/", {"name": "Grace"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "Grace"


def test_token_auth_for_api_clients():
    user = UserFactory()
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"key", "expiry"}
    # A token client gets no session; the login is recorded all the same.
    assert "sessionid" not in response.cookies
    user.refresh_from_db()
    assert user.last_login is not None

    api = token_client(body["key"])
    assert api.get("/api/v1/users/me/").json()["email"] == user.email
    # Token clients are not subject to CSRF.
    assert api.patch("/api/v1/users/me/", {"name": "Bot"}, format="json").status_code == 200

    bad = token_client("not-a-real-token")
    response = bad.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_me_requires_authentication_and_email_is_read_only(user_client, user):
    assert APIClient().get("/api/v1/users/me/").status_code == 401
    response = user_client.patch("/api/v1/users/me/", {"email": "other@example.com"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "other@example.com"


def test_logout_ends_the_session_or_the_token():
    user = UserFactory()
    browser = BrowserClient()
    browser.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert browser.get("/api/v1/users/me/").status_code == 200
    assert browser.post("/api/v1/auth/logout/").status_code == 200
    assert browser.get("/api/v1/users/me/").status_code == 401

    key = (
        APIClient()
        .post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
        .json()["key"]
    )
    other_key = (
        APIClient()
        .post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
        .json()["key"]
    )
    assert token_client(key).post("/api/v1/auth/logout/").status_code == 200
    assert token_client(key).get("/api/v1/users/me/").status_code == 401
    # Only the token the request was made with ends.
    assert token_client(other_key).get("/api/v1/users/me/").status_code == 200


def test_errors_have_one_shape():
    response = APIClient().post(
        "/api/v1/auth/registration/", {"email": "not-an-email", "password1": "x"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "email" in error["fields"]
    assert "email:" in error["message"]


def test_ensure_superuser_creates_once(settings):
    from django.core.management import call_command

    settings.DJANGO_SUPERUSER_EMAIL = "root@example.com"
    settings.DJANGO_SUPERUSER_PASSWORD = PASSWORD
    call_command("ensure_superuser")
    call_command("ensure_superuser")
    admin = User.objects.get(email="root@example.com")
    assert admin.is_superuser and admin.is_staff
    # Its address counts as confirmed (API login where verification is mandatory).
    assert EmailAddress.objects.get(user=admin).verified
    client = Client()
    response = client.post("/admin/login/", {"username": "root@example.com", "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get("/admin/").status_code == 200
