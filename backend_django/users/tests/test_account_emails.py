"""Password-reset and verification emails: limited, sent by the worker, and the
answer tells nothing about whether the address has an account."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend_django.testing.waiting import wait_until
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "172.28.0.10"


def post(path: str, email: str, client_ip: str = "198.51.100.7"):
    return APIClient().post(
        path, {"email": email}, format="json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip
    )


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/password/reset/", "/api/v1/auth/registration/resend-email/"],
    ids=["reset", "verify"],
)
def test_the_answer_and_the_work_are_the_same_with_or_without_an_account(path, worker_outbox):
    user = UserFactory(email="known@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    answers, queries = [], []
    for email in ("known@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as captured:
            response = post(path, email)
        answers.append((response.status_code, response.json()))
        queries.append(len(captured.captured_queries))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    # No lookup of the address and no email during the request: the worker does both.
    assert queries == [0, 0]
    assert mail.outbox == []

    wait_until(worker_outbox.messages, "the email from the worker")
    time.sleep(1)  # and time for the other task, which must send nothing
    assert [message["To"] for message in worker_outbox.messages()] == ["known@example.com"]


def test_reset_link_from_the_worker_sets_a_new_password_and_names_the_site(worker_outbox):
    user = UserFactory()
    assert post("/api/v1/auth/password/reset/", user.email).status_code == 200
    (message,) = wait_until(worker_outbox.messages, "the reset email")
    assert message["Subject"].startswith("[Solar Sim] ")
    body = worker_outbox.text(message)
    assert "example.com" not in body.replace(user.email, "")
    uid, token = re.search(r"http://localhost:5173/reset-password\?uid=(\S+)&token=(\S+)", body).groups()
    new_password = "Runner-Beans-on-Poles-7"
    response = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password1": new_password, "new_password2": new_password},
        format="json",
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.check_password(new_password)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/password/reset/", "/api/v1/auth/registration/resend-email/"],
    ids=["reset", "verify"],
)
def test_emails_are_limited_per_address_and_per_client(path, settings):
    # Defaults: 3 an hour per address, 20 an hour per client.
    statuses = [post(path, "victim@example.com", client_ip=f"203.0.113.{n}").status_code for n in range(1, 6)]
    assert statuses == [200, 200, 200, 429, 429]
    response = post(path, "victim@example.com", client_ip="203.0.113.99")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"

    statuses = [
        post(path, f"someone{n}@example.com", client_ip="198.51.100.50").status_code for n in range(22)
    ]
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429, 429]
    # Another client is not affected.
    assert post(path, "someone-else@example.com", client_ip="198.51.100.51").status_code == 200
