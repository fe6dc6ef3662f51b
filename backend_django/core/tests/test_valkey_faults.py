"""A Valkey that stops answering (SIGSTOP: connections accepted, nothing read).

Unlike a refused connection, a stopped server makes every call wait for its
socket timeout. What fails open (login, plans, users/me) must still answer
within a second, and keep doing so call after call (the circuit in
core/valkey.py skips Valkey after one timeout); the data endpoints answer 503
with Retry-After; after SIGCONT everything works again by itself.
Registration and password reset answer as with Valkey up, their emails sent
from the web process; health/ answers its 503 quickly; the outage is logged
once, not per cache call.

A real HTTP server (live_server) and a private valkey-server per test, so the
sockets, the commit hooks (a plan's prefetch) and the Celery producer behave
as in production.
"""

import os
import signal
import threading
import time

import pytest
import redis
import requests
from celery import current_app
from django.core.cache import caches
from kombu.exceptions import OperationalError

from backend_django.core import valkey as core_valkey
from backend_django.core.valkey import get_valkey
from backend_django.testing.valkey_plugin import private_server
from backend_django.upstream.cache import store
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

# Each call, timed from the client, must answer within this (seconds).
QUICK = 1.0


def _reset_clients() -> None:
    get_valkey.cache_clear()
    core_valkey.reset_circuits()
    store.reset_local_state()
    caches["default"].close()
    current_app.amqp._producer_pool = None
    current_app._pool = None


@pytest.fixture
def private_valkey(settings):
    """A second valkey-server, with every Valkey setting pointing at it."""
    server = private_server()
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    saved_broker = current_app.conf.broker_url
    settings.VALKEY_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    current_app.conf.broker_url = url
    _reset_clients()
    pid = server.pid
    stopped = False

    class Handle:
        def stop(self) -> None:
            nonlocal stopped
            os.kill(pid, signal.SIGSTOP)
            stopped = True

        def cont(self) -> None:
            nonlocal stopped
            os.kill(pid, signal.SIGCONT)
            stopped = False

    yield Handle()
    if stopped:
        os.kill(pid, signal.SIGCONT)
    store.stop_tracking()  # before its server goes away
    server.stop()
    current_app.conf.broker_url = saved_broker
    _reset_clients()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _login(base: str, user) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/auth/login/", json={"email": user.email, "password": DEFAULT_PASSWORD}, timeout=60
    )


def _exercise(base: str, user, token: str, plan_id: str, *, move_to: float) -> dict[str, float]:
    """Login, users/me, plan create and update: each must succeed; their durations."""
    auth = {"Authorization": f"Token {token}"}
    times = {}
    response, times["login"] = _timed(lambda: _login(base, user))
    assert response.status_code == 200, response.text
    response, times["me"] = _timed(lambda: requests.get(f"{base}/api/v1/users/me/", headers=auth, timeout=60))
    assert response.status_code == 200, response.text
    browser = requests.Session()  # a browser's login: CSRF cookie and header, then a session
    csrf = browser.get(f"{base}/api/v1/auth/csrf/", timeout=60).json()["csrf_token"]
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}
    response, times["session_login"] = _timed(
        lambda: browser.post(
            f"{base}/api/v1/auth/login/", json=credentials, headers={"X-CSRFToken": csrf}, timeout=60
        )
    )
    assert response.status_code == 204, response.text
    response, times["session_me"] = _timed(lambda: browser.get(f"{base}/api/v1/users/me/", timeout=60))
    assert response.json()["email"] == user.email
    body = {"name": "Garden", "latitude": 47.37, "longitude": 8.54}
    response, times["create"] = _timed(
        lambda: requests.post(f"{base}/api/v1/plans/", json=body, headers=auth, timeout=60)
    )
    assert response.status_code == 201, response.text
    new_id = response.json()["id"]
    moved = {"latitude": move_to, "longitude": 8.55}  # a new place: its prefetch is queued
    response, times["update"] = _timed(
        lambda: requests.patch(f"{base}/api/v1/plans/{plan_id}/", json=moved, headers=auth, timeout=60)
    )
    assert response.status_code == 200, response.text
    response, times["delete"] = _timed(
        lambda: requests.delete(f"{base}/api/v1/plans/{new_id}/", headers=auth, timeout=60)
    )
    assert response.status_code == 204, response.text
    return times


def test_a_stopped_valkey_costs_one_short_timeout_not_one_per_call(live_server, private_valkey):
    base = live_server.url
    user = UserFactory()
    token = _login(base, user).json()["key"]
    auth = {"Authorization": f"Token {token}"}
    plan = requests.post(
        f"{base}/api/v1/plans/",
        json={"name": "Plot", "latitude": 47.0, "longitude": 8.0},
        headers=auth,
        timeout=60,
    ).json()
    # Every client has live connections to the server before it stops answering.
    assert requests.get(f"{base}/api/v1/climate/", params={"lat": 1, "lng": 2}, timeout=60).status_code == 202

    private_valkey.stop()
    for round in range(3):  # the first round meets the timeout; the next ones the open circuit
        times = _exercise(base, user, token, plan["id"], move_to=40.0 + round)
        assert max(times.values()) < QUICK, (round, times)
    response = requests.get(f"{base}/api/v1/plans/{plan['id']}/", headers=auth, timeout=60)
    assert response.status_code == 200
    assert response.json()["data_status"]["climate"]["state"] == "unknown"

    for params in ({"lat": 1, "lng": 2}, {"lat": 3, "lng": 4}):
        response, took = _timed(
            lambda p=params: requests.get(f"{base}/api/v1/climate/", params=p, timeout=60)
        )
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "cache_unavailable"
        assert int(response.headers["Retry-After"]) >= 1
        assert took < QUICK, took
    for response in (
        requests.get(f"{base}/api/v1/canopy/", params={"lat": 1, "lng": 2}, timeout=60),
        requests.get(f"{base}/api/v1/canopy/021230223/", headers={"Range": "bytes=0-99"}, timeout=60),
        requests.get(f"{base}/api/v1/jobs/abc/", timeout=60),
    ):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "cache_unavailable"
        assert "Retry-After" in response.headers
    response = requests.head(f"{base}/api/v1/canopy/021230223/", timeout=60)
    assert response.status_code == 503
    assert "Retry-After" in response.headers

    private_valkey.cont()
    # Back by itself once the circuit's window has passed: a data miss queues
    # a job again, a moved plan gets its prefetch, logins are limited again.
    deadline = time.monotonic() + 10
    while True:
        response = requests.get(f"{base}/api/v1/climate/", params={"lat": 5, "lng": 6}, timeout=60)
        if response.status_code == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 202, response.text
    times = _exercise(base, user, token, plan["id"], move_to=45.0)
    assert max(times.values()) < QUICK, ("after", times)
    response = requests.get(f"{base}/api/v1/plans/{plan['id']}/", headers=auth, timeout=60)
    assert response.json()["data_status"]["climate"]["state"] == "fetching"
    assert len(list(get_valkey().scan_iter(match="dj:*"))) > 0, "login limits are counted again"


@pytest.fixture
def circuit_clock(monkeypatch):
    """The circuits' clock (``core.valkey.clock``), moved on by ``advance(seconds)`` instead of slept."""

    class Clock:
        shift = 0.0

        def now(self) -> float:
            return time.monotonic() + self.shift

        def advance(self, seconds: float) -> None:
            self.shift += seconds

    moved = Clock()
    monkeypatch.setattr(core_valkey, "clock", moved.now)
    return moved


def test_the_circuit_lets_one_call_try_again_per_window(private_valkey, settings, circuit_clock):
    settings.VALKEY_CIRCUIT_SECONDS = 1.0
    client = get_valkey()
    assert client.ping()
    private_valkey.stop()
    with pytest.raises(redis.TimeoutError):
        client.get("k")  # the one timeout
    _, took = _timed(lambda: [_raises(client.get, "k") for _ in range(50)])
    assert took < 0.1, "while open, calls fail at once"
    circuit_clock.advance(1.1)
    with pytest.raises(redis.TimeoutError):  # the window has passed: one call tries again
        client.pipeline().get("k").execute()
    _, took = _timed(lambda: _raises(client.get, "k"))
    assert took < 0.05
    private_valkey.cont()
    circuit_clock.advance(1.1)
    assert client.set("k", "v") and client.get("k") == b"v"
    assert not core_valkey.circuit_for_url(settings.VALKEY_URL).is_open


def test_a_slow_call_while_others_are_answered_does_not_open_the_circuit(private_valkey, settings):
    """A busy machine, not a stopped server: one call outlasts the timeout (a
    blocking pop, held by the server) while other threads' calls are answered."""
    client = get_valkey()
    circuit = core_valkey.circuit_for_url(settings.VALKEY_URL)
    assert client.ping()
    answered = threading.Event()

    def others():
        time.sleep(settings.VALKEY_SOCKET_TIMEOUT / 3)
        client.ping()
        answered.set()

    helper = threading.Thread(target=others)
    helper.start()
    with pytest.raises(redis.TimeoutError):
        client.blpop(["never-filled"], timeout=2)
    helper.join()
    assert answered.is_set()
    assert not circuit.is_open, "a server answering other calls is not skipped"
    assert client.get("k") is None  # and is asked at once
    # The same slow call with nothing answered meanwhile looks like a stopped server.
    with pytest.raises(redis.TimeoutError):
        client.blpop(["never-filled"], timeout=2)
    assert circuit.is_open


def _raises(function, *args, **kwargs):
    with pytest.raises(core_valkey.ValkeyUnavailable):
        function(*args, **kwargs)


def test_a_task_send_to_a_stopped_broker_costs_one_timeout(private_valkey, settings):
    core_valkey.send_task("core.ping", kwargs={"payload": "x"}, queue="warm")  # connects while it answers
    private_valkey.stop()
    started = time.monotonic()
    with pytest.raises(OperationalError):  # kombu's wrapper of the timeout
        core_valkey.send_task("core.ping", kwargs={"payload": "x"}, queue="warm")
    assert time.monotonic() - started < 2 * settings.VALKEY_SOCKET_TIMEOUT + 0.3
    _, took = _timed(
        lambda: _raises(core_valkey.send_task, "core.ping", kwargs={"payload": "x"}, queue="warm")
    )
    assert took < 0.05


def _wait_for_mail(to: str, subject_part: str, seconds: float = 10.0):
    from django.core import mail

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in mail.outbox if to in m.to and subject_part in m.subject]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no email {subject_part!r} to {to}: {[(m.to, m.subject) for m in mail.outbox]}")


@pytest.mark.parametrize("fault", ["stopped", "refusing"])
def test_registration_and_password_reset_answer_as_usual_and_their_emails_go_out(
    live_server, private_valkey, fault, settings, mailoutbox
):
    from backend_django.users.models import User

    base = live_server.url
    password = "Tomatoes-and-Basil-2026"
    known = UserFactory()
    up = {
        "register": requests.post(
            f"{base}/api/v1/auth/registration/",
            json={"email": "before@example.com", "password1": password, "password2": password},
            timeout=60,
        ),
        "reset": requests.post(
            f"{base}/api/v1/auth/password/reset/", json={"email": known.email}, timeout=60
        ),
    }
    assert up["register"].status_code == 201, up["register"].text
    assert up["reset"].status_code == 200, up["reset"].text

    if fault == "stopped":
        private_valkey.stop()
    else:  # refusing: nothing listens on the port any more
        settings.VALKEY_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": settings.VALKEY_URL}}
        current_app.conf.broker_url = settings.VALKEY_URL
        _reset_clients()
    for round in range(2):  # the first meets the timeout, the second the open circuit
        new = f"new{round}@example.com"
        response, took = _timed(
            lambda n=new: requests.post(
                f"{base}/api/v1/auth/registration/",
                json={"email": n, "password1": password, "password2": password},
                timeout=60,
            )
        )
        assert (response.status_code, response.json()) == (201, up["register"].json()), response.text
        assert took < QUICK, (round, took)
        assert User.objects.filter(email=new).exists()
        _wait_for_mail(new, "onfirm")

        again, took = _timed(  # an address that has an account: the same answer
            lambda: requests.post(
                f"{base}/api/v1/auth/registration/",
                json={"email": known.email, "password1": password, "password2": password},
                timeout=60,
            )
        )
        assert (again.status_code, again.json()) == (201, up["register"].json()), again.text
        assert took < QUICK, (round, took)

        for email in (known.email, f"nobody{round}@example.com"):
            response, took = _timed(
                lambda e=email: requests.post(
                    f"{base}/api/v1/auth/password/reset/", json={"email": e}, timeout=60
                )
            )
            assert (response.status_code, response.json()) == (200, up["reset"].json()), response.text
            assert took < QUICK, (round, email, took)
    # Sent from this process, as the worker would have: a reset link and an
    # "already exists" per round to the account's owner, nothing to unknown
    # addresses (nothing was sent while Valkey was up: no worker consumes it).
    from django.core import mail

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(mail.outbox) < 6:
        time.sleep(0.05)
    time.sleep(0.3)  # and time for a wrong extra one
    subjects = sorted((m.to[0], m.subject.removeprefix("[Solar Sim] ")) for m in mail.outbox)
    assert [s for s in subjects if s[0] == known.email] == [
        (known.email, "Account Already Exists"),
        (known.email, "Account Already Exists"),
        (known.email, "Password Reset Email"),
        (known.email, "Password Reset Email"),
    ]
    assert {to for to, _ in subjects} == {known.email, "new0@example.com", "new1@example.com"}


def test_health_names_cache_and_broker_down_quickly(live_server, private_valkey, settings, circuit_clock):
    base = live_server.url
    assert requests.get(f"{base}/api/v1/health/", timeout=60).status_code == 200
    private_valkey.stop()
    for round in range(3):  # the first meets the timeout, the next ones the open circuit
        response, took = _timed(lambda: requests.get(f"{base}/api/v1/health/", timeout=60))
        assert response.status_code == 503, response.text
        checks = response.json()["checks"]
        assert checks["database"] == "ok"
        assert checks["cache"].startswith("error") and checks["broker"].startswith("error"), checks
        assert took < 0.5, (round, took)
    private_valkey.cont()
    circuit_clock.advance(settings.VALKEY_CIRCUIT_SECONDS + 0.1)
    assert requests.get(f"{base}/api/v1/health/", timeout=60).status_code == 200


@pytest.mark.parametrize("fault", ["stopped", "refusing"])
def test_an_outage_is_logged_once_not_once_per_cache_call(private_valkey, fault, settings, caplog):
    import logging

    cache = caches["default"]
    assert cache.set("k", "v") and cache.get("k") == "v"
    if fault == "stopped":
        private_valkey.stop()
    else:
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
        _reset_clients()
        cache = caches["default"]
    caplog.set_level(logging.DEBUG)
    for _ in range(20):
        assert cache.get("k") is None
        cache.set("k", "v")
        assert cache.add("lock", 1)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].exc_info is None
    expected = "did not answer within" if fault == "stopped" else "cache unreachable (ConnectionError"
    assert expected in warnings[0].getMessage(), warnings[0].getMessage()
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1 and with_traceback[0].levelno == logging.DEBUG
