import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from backend_django.users.models import User
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Tomatoes-and-Basil-2026"


def csrf_client() -> APIClient:
    """A client that enforces CSRF like a browser session would."""
    return APIClient(enforce_csrf_checks=True)


def test_register_then_session_login_then_me():
    client = csrf_client()
    token = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    assert client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/auth/registration/",
        {"email": "Ada@Example.com", "name": "Ada", "password1": PASSWORD, "password2": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada"

    client = csrf_client()
    token = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login/",
        {"email": "ada@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content
    assert "sessionid" in client.cookies

    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["name"] == "Ada"


def test_session_post_without_csrf_token_is_refused():
    user = UserFactory()
    client = csrf_client()
    client.get("/api/v1/auth/csrf/")
    token = client.cookies["csrftoken"].value
    assert (
        client.post(
            "/api/v1/auth/login/",
            {"email": user.email, "password": DEFAULT_PASSWORD},
            format="json",
            HTTP_X_CSRFTOKEN=token,
        ).status_code
        == 200
    )
    # Signed in by session: a change without the header is refused...
    response = client.patch("/api/v1/users/me/", {"name": "Mallory"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    user.refresh_from_db()
    assert user.name != "Mallory"
    # ...and accepted with it.
    token = client.cookies["csrftoken"].value
    response = client.patch("/api/v1/users/me/", {"name": "Grace"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "Grace"


def test_token_auth_for_api_clients():
    user = UserFactory()
    client = APIClient()
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    key = response.json()["key"]
    assert key

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/users/me/").json()["email"] == user.email
    # Token clients are not subject to CSRF.
    assert api.patch("/api/v1/users/me/", {"name": "Bot"}, format="json").status_code == 200

    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/users/me/").status_code == 401


def test_me_requires_authentication_and_email_is_read_only(user_client, user):
    assert APIClient().get("/api/v1/users/me/").status_code == 401
    response = user_client.patch("/api/v1/users/me/", {"email": "other@example.com"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email != "other@example.com"


def test_wrong_passwords_for_one_account_end_in_429():
    user = UserFactory()
    client = APIClient()
    statuses = [
        client.post(
            "/api/v1/auth/login/", {"email": user.email, "password": "wrong"}, format="json"
        ).status_code
        for _ in range(7)
    ]
    # The per-account limit (5 failures / 5 min) is reached, then 429.
    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429, 429]
    # The right password is refused too while the limit holds.
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


def test_wrong_passwords_across_accounts_from_one_ip_end_in_429():
    users = UserFactory.create_batch(6)
    client = APIClient()
    statuses = []
    for attempt in range(24):
        target = users[attempt % len(users)]
        statuses.append(
            client.post(
                "/api/v1/auth/login/",
                {"email": target.email, "password": "wrong"},
                format="json",
                REMOTE_ADDR="203.0.113.9",
            ).status_code
        )
    # No single account reached its limit, but the IP did (20 / minute).
    assert statuses[:20] == [400] * 20
    assert set(statuses[20:]) == {429}
    # Another IP is not affected.
    response = client.post(
        "/api/v1/auth/login/",
        {"email": users[0].email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200


def test_password_change_and_reset_flow():
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user=user)
    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    anonymous = APIClient()
    response = anonymous.post("/api/v1/auth/password/reset/", {"email": user.email}, format="json")
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/reset-password\?uid=(\S+)&token=(\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    uid, token = link.groups()
    new_password = "Runner-Beans-on-Poles-7"
    response = anonymous.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password1": new_password, "new_password2": new_password},
        format="json",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_logout_ends_the_session():
    user = UserFactory()
    client = APIClient()
    client.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert client.get("/api/v1/users/me/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 200
    client.credentials()
    assert client.get("/api/v1/users/me/").status_code == 401


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
    client = APIClient()
    assert client.login(email="root@example.com", password=PASSWORD)
    assert client.get("/admin/").status_code == 200
