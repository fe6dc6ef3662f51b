"""Registering an address that has an account answers like a new one."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.test import APIClient

from backend_django.testing.waiting import wait_until
from backend_django.users.models import User
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Tomatoes-and-Basil-2026"


def register(email: str):
    return APIClient().post(
        "/api/v1/auth/registration/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )


def unverified_user(email: str) -> User:
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=False, primary=True)
    return user


def verified_user(email: str) -> User:
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.mark.parametrize("make_owner", [unverified_user, verified_user], ids=["unverified", "verified"])
def test_an_existing_address_answers_like_a_new_one_and_its_owner_is_told(make_owner, worker_outbox):
    new = register("newcomer@example.com")
    owner = make_owner("taken@example.com")
    again = register("Taken@Example.com")

    assert again.status_code == new.status_code == 201
    assert again.json() == new.json()
    # Nothing changed on the existing account.
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)

    messages = wait_until(
        lambda: len(worker_outbox.messages()) >= 2 and worker_outbox.messages(), "two emails"
    )
    by_address = {message["To"]: message for message in messages}
    assert set(by_address) == {"newcomer@example.com", "taken@example.com"}
    told = worker_outbox.text(by_address["taken@example.com"])
    assert "already" in told.lower()
    assert "http://localhost:5173/forgot-password" in told
    assert "/verify-email?key=" in worker_outbox.text(by_address["newcomer@example.com"])


def test_registering_the_same_address_twice_is_never_a_server_error(worker_outbox):
    assert register("twice@example.com").status_code == 201
    assert register("twice@example.com").status_code == 201
    assert User.objects.filter(email="twice@example.com").count() == 1
