"""Failed-login limits: they stop guessing without letting anyone lock others out.

The requests come the way they do in production: from the proxy's address
(REMOTE_ADDR), with the client in the X-Forwarded-For entry the proxy added.
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "172.28.0.10"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def login(email: str, password: str, *, client_ip: str, forged: str = "") -> int:
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return (
        APIClient()
        .post(
            "/api/v1/auth/login/",
            {"email": email, "password": password},
            format="json",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=chain,
        )
        .status_code
    )


def test_one_client_failing_many_logins_locks_nobody_else_out():
    users = UserFactory.create_batch(8)
    attacker = "203.0.113.9"
    # 40 failures from one client, spread over 8 accounts: more than any
    # client-only limit of the old setup (20/minute, shared by everyone behind
    # the proxy).
    for user in users:
        for _ in range(5):
            assert login(user.email, "wrong", client_ip=attacker) == 400
    # Everyone else, including the owners of the attacked accounts, still logs in.
    for number, user in enumerate(users):
        assert login(user.email, DEFAULT_PASSWORD, client_ip=f"198.51.100.{number + 1}") == 200
    # The attacker's own (client, account) pairs are used up, even with the right password.
    assert login(users[0].email, DEFAULT_PASSWORD, client_ip=attacker) == 429


def test_guessing_one_account_from_one_client_stops_after_five_failures():
    user = UserFactory()
    statuses = [login(user.email, "wrong", client_ip="203.0.113.9") for _ in range(7)]
    assert statuses == [400] * 5 + [429, 429]
    response = APIClient().post(
        "/api/v1/auth/login/",
        {"email": user.email, "password": "wrong"},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.json()["error"]["code"] == "throttled"
    # A forged X-Forwarded-For entry does not make it a new client.
    assert login(user.email, DEFAULT_PASSWORD, client_ip="203.0.113.9", forged="192.0.2.44") == 429
    # The owner, elsewhere, is not locked out.
    assert login(user.email, DEFAULT_PASSWORD, client_ip="198.51.100.7") == 200


def test_guessing_one_account_from_many_clients_hits_the_account_limit():
    user = UserFactory()
    # 30 failures an hour per account (5 from each of 6 clients).
    for client in range(6):
        for _ in range(5):
            assert login(user.email, "wrong", client_ip=f"203.0.113.{client + 1}") == 400
    assert login(user.email, DEFAULT_PASSWORD, client_ip="198.51.100.7") == 429
    # Other accounts are not affected.
    assert login(UserFactory().email, DEFAULT_PASSWORD, client_ip="198.51.100.7") == 200


def test_one_client_spraying_many_accounts_hits_the_client_limit(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "30/1h/key,12/1h/ip"}
    users = UserFactory.create_batch(13)
    statuses = [login(user.email, "wrong", client_ip="203.0.113.9") for user in users]
    assert statuses == [400] * 12 + [429]
    assert login(users[0].email, DEFAULT_PASSWORD, client_ip="198.51.100.7") == 200


def test_successful_logins_do_not_count():
    user = UserFactory()
    for _ in range(12):
        assert login(user.email, DEFAULT_PASSWORD, client_ip="198.51.100.7") == 200
    for _ in range(5):
        assert login(user.email, "wrong", client_ip="198.51.100.7") == 400


def admin_login(client: Client, email: str, password: str, client_ip: str):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_ip,
    )


def test_admin_login_is_limited_per_client_and_account():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    statuses = [admin_login(client, staff.email, "wrong", "203.0.113.9").status_code for _ in range(30)]
    # The login form again for the first failures, then refused.
    assert statuses[:4] == [200] * 4
    assert set(statuses[5:]) == {429}
    # The 31st attempt, with the right password, does not get in.
    response = admin_login(client, staff.email, DEFAULT_PASSWORD, "203.0.113.9")
    assert response.status_code == 429
    assert client.get("/admin/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302
    # The staff member, from their own address, is not locked out.
    other = Client()
    response = admin_login(other, staff.email, DEFAULT_PASSWORD, "198.51.100.7")
    assert response.status_code == 302
    assert other.get("/admin/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
