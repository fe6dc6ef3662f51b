"""API tokens end when the password changes, and after a while unused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .helpers import BrowserClient, token_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Runner-Beans-on-Poles-7"


def token_login(user) -> str:
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["key"]


def browser_login(user) -> BrowserClient:
    browser = BrowserClient()
    assert (
        browser.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code
        == 204
    )
    return browser


def change_password(client) -> dict:
    response = client.post(
        "/api/v1/auth/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_password_change_with_a_token_ends_every_token_and_session_and_rotates_its_own():
    user = UserFactory()
    stolen, mine = token_login(user), token_login(user)
    other_browser = browser_login(user)

    body = change_password(token_client(mine))
    assert set(body) == {"detail", "key", "expiry"}
    assert token_client(stolen).get("/api/v1/users/me/").status_code == 401
    assert token_client(mine).get("/api/v1/users/me/").status_code == 401
    assert other_browser.get("/api/v1/users/me/").status_code == 401
    assert token_client(body["key"]).get("/api/v1/users/me/").status_code == 200


def test_a_password_change_in_the_browser_keeps_that_session_only():
    user = UserFactory()
    stolen = token_login(user)
    other_browser = browser_login(user)
    browser = browser_login(user)
    old_session = browser.cookies["sessionid"].value

    body = change_password(browser)
    assert set(body) == {"detail"}
    assert browser.get("/api/v1/users/me/").status_code == 200
    assert browser.cookies["sessionid"].value != old_session  # a new session key
    assert other_browser.get("/api/v1/users/me/").status_code == 401
    assert token_client(stolen).get("/api/v1/users/me/").status_code == 401


def test_a_password_reset_ends_every_token_and_session():
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    user = UserFactory()
    stolen = token_login(user)
    browser = browser_login(user)
    user.refresh_from_db()  # the reset token covers last_login
    response = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {
            "uid": user_pk_to_url_str(user),
            "token": default_token_generator.make_token(user),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert token_client(stolen).get("/api/v1/users/me/").status_code == 401
    assert browser.get("/api/v1/users/me/").status_code == 401


def test_a_password_set_in_the_admin_ends_the_tokens_too():
    user = UserFactory()
    key = token_login(user)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert token_client(key).get("/api/v1/users/me/").status_code == 401


def test_tokens_expire_when_unused_and_each_use_moves_the_expiry_on(settings):
    user = UserFactory()
    key = token_login(user)
    token = AuthToken.objects.get(user=user)
    assert token.expiry is not None
    idle = token.expiry - timezone.now()
    assert (
        timedelta(days=settings.API_TOKEN_IDLE_DAYS - 1)
        < idle
        <= timedelta(days=settings.API_TOKEN_IDLE_DAYS)
    )

    # Used a day later: the expiry moves on by the idle period.
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() + timedelta(days=1))
    assert token_client(key).get("/api/v1/users/me/").status_code == 200
    token.refresh_from_db()
    assert token.expiry - timezone.now() > timedelta(days=settings.API_TOKEN_IDLE_DAYS - 1)

    # Past its expiry it no longer works (and is deleted).
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(key).get("/api/v1/users/me/").status_code == 401
    assert not AuthToken.objects.filter(pk=token.pk).exists()


def test_tokens_are_stored_hashed():
    user = UserFactory()
    key = token_login(user)
    token = AuthToken.objects.get(user=user)
    assert key not in (token.digest, token.token_key)
