"""The account page's endpoints: units, deleting the account, downloading one's data."""

import json

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend_django.plans.models import DeletedPlan, Plan
from backend_django.plans.services import plan_delete
from backend_django.plans.tests.factories import PlanFactory
from backend_django.users.models import User
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .helpers import BrowserClient, token_client

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
DELETE = "/api/v1/users/me/delete/"
EXPORT = "/api/v1/users/me/export/"


def signed_in_browser(user) -> BrowserClient:
    browser = BrowserClient()
    assert (
        browser.post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code
        == 204
    )
    return browser


def test_units_are_metric_until_changed_and_only_to_a_known_system(user_client, user):
    assert user_client.get(ME).json()["units"] == "metric"
    response = user_client.patch(ME, {"units": "imperial"}, format="json")
    assert response.status_code == 200 and response.json()["units"] == "imperial"
    user.refresh_from_db()
    assert user.units == "imperial"
    for bad in ("kelvin", "", 1, None):
        refused = user_client.patch(ME, {"units": bad}, format="json")
        assert refused.status_code == 400, bad
        assert "units" in refused.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.units == "imperial"


def test_deleting_the_account_takes_its_plans_and_ends_the_session(user):
    mine = PlanFactory.create_batch(2, owner=user)
    plan_delete(plan=PlanFactory(owner=user))
    theirs = PlanFactory(owner=UserFactory())
    browser = signed_in_browser(user)

    wrong = browser.post(DELETE, {"password": "not-my-password"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"password": ["This is not your current password."]}
    assert User.objects.filter(pk=user.pk).exists()

    response = browser.post(DELETE, {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204, response.content
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Plan.objects.filter(pk__in=[plan.pk for plan in mine]).exists()
    assert not DeletedPlan.objects.filter(owner_id=user.pk).exists()
    assert Plan.objects.filter(pk=theirs.pk).exists()
    assert browser.get(ME).status_code == 401
    # The address is free to register again.
    assert (
        APIClient()
        .post(
            "/api/v1/auth/registration/",
            {"email": user.email, "password1": "Fresh-start-2026!", "password2": "Fresh-start-2026!"},
            format="json",
        )
        .status_code
        == 201
    )


def test_deleting_needs_the_csrf_token_in_a_session(user):
    browser = signed_in_browser(user)
    response = APIClient.post(browser, DELETE, {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert User.objects.filter(pk=user.pk).exists()


def test_a_token_client_deletes_its_account_and_its_tokens_go_with_it(user):
    key = (
        APIClient()
        .post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
        .json()["key"]
    )
    api = token_client(key)
    assert api.post(DELETE, {"password": DEFAULT_PASSWORD}, format="json").status_code == 204
    assert not AuthToken.objects.exists()
    assert api.get(ME).status_code == 401


def test_deleting_needs_a_signed_in_person_and_a_password():
    assert APIClient().post(DELETE, {"password": "x"}, format="json").status_code == 401
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user=user)
    for body in ({}, {"password": 12345678}, {"password": None}):
        assert client.post(DELETE, body, format="json").status_code == 400


def test_guessing_the_password_here_counts_as_failed_logins(user, settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed_client_account": "3/15m/key",
    }
    browser = signed_in_browser(user)
    answers = [browser.post(DELETE, {"password": f"guess-{n}"}).status_code for n in range(4)]
    assert answers == [400, 400, 400, 429]
    assert browser.post(DELETE, {"password": DEFAULT_PASSWORD}).status_code == 429
    assert User.objects.filter(pk=user.pk).exists()


def test_download_my_data_has_the_account_and_every_plan(user_client, user):
    first = PlanFactory(owner=user, name="First")
    archived = PlanFactory(owner=user, name="Old", archived=True, data={"beds": [{"name": "leeks"}]})
    PlanFactory(owner=UserFactory(), name="Not mine")
    response = user_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="solar-sim-data-')
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["account"] == {
        "email": user.email,
        "name": user.name,
        "units": "metric",
        "date_joined": body["account"]["date_joined"],
    }
    assert [plan["name"] for plan in body["plans"]] == ["First", "Old"]
    assert body["plans"][0]["id"] == str(first.pk)
    assert body["plans"][1]["archived"] is True
    assert body["plans"][1]["data"] == archived.data
    assert body["plans"][1]["beds"] == {"type": "FeatureCollection", "features": []}
    assert APIClient().get(EXPORT).status_code == 401
