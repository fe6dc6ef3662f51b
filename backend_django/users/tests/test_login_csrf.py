"""A hostile page cannot sign a visitor in (login CSRF), and, where email
verification is mandatory, nobody can use an address they cannot read."""

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .helpers import BrowserClient

pytestmark = pytest.mark.django_db

PASSWORD = "Tomatoes-and-Basil-2026"


@pytest.mark.parametrize(
    "path, fields",
    [
        ("/api/v1/auth/login/", {"email": "attacker@example.com", "password": DEFAULT_PASSWORD}),
        (
            "/api/v1/auth/registration/",
            {"email": "planted@example.com", "password1": PASSWORD, "password2": PASSWORD},
        ),
    ],
    ids=["login", "signup"],
)
def test_a_cross_site_form_post_never_signs_the_visitor_in(path, fields):
    UserFactory(email="attacker@example.com")
    # The visitor's browser has been on the site: it holds a CSRF cookie...
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/api/v1/auth/csrf/")
    # ...which a form on another site cannot read; the browser sends its Origin.
    response = visitor.post(
        path,
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert "sessionid" not in response.cookies
    assert visitor.get("/api/v1/users/me/").status_code == 401

    # A browser without any cookie of the site (SameSite cookies stay home on a
    # cross-site POST) is still refused by its Origin.
    stranger = Client(enforce_csrf_checks=True)
    response = stranger.post(
        path, fields, content_type="application/json", HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert "sessionid" not in response.cookies
    # And a form post without any browser sign is not JSON: refused, no session either.
    response = Client().post(path, urlencode(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "sessionid" not in response.cookies


def test_a_login_without_any_browser_sign_gets_a_token_and_no_session():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "key" in response.json()
    assert "sessionid" not in response.cookies


def test_the_app_signs_in_with_the_csrf_token():
    user = UserFactory()
    browser = BrowserClient()
    response = browser.post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 204
    assert browser.get("/api/v1/users/me/").status_code == 200


def test_mandatory_verification_signs_in_only_after_the_emailed_link(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    browser = BrowserClient()
    response = browser.post(
        "/api/v1/auth/registration/",
        {"email": "squatter-target@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 201
    assert browser.get("/api/v1/users/me/").status_code == 401
    response = BrowserClient().post(
        "/api/v1/auth/login/", {"email": "squatter-target@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "not verified" in response.json()["error"]["message"]

    # The key of the emailed link.
    key = _confirmation_key("squatter-target@example.com")
    browser = BrowserClient()
    assert browser.post("/api/v1/auth/registration/verify-email/", {"key": key}).status_code == 200
    response = browser.post(
        "/api/v1/auth/login/", {"email": "squatter-target@example.com", "password": PASSWORD}
    )
    assert response.status_code == 204


def _confirmation_key(email: str) -> str:
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    return EmailConfirmationHMAC(EmailAddress.objects.get(email=email)).key


def test_an_unknown_confirmation_key_is_a_json_404():
    response = BrowserClient().post("/api/v1/auth/registration/verify-email/", {"key": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert re.match(r"^\{\"error\"", response.content.decode())
