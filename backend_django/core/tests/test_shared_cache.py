"""The front as deployed: Caddy, then the shared cache (docker/cache/nginx.conf), then gunicorn.

All three run as processes with the project's own files (the Caddyfile, the
nginx config through backend_django/testing/front.py, start-web.sh's access
logger), Django trusting two proxies as in docker-compose.yml. What reaches
Django is read from gunicorn's access log: a request that is not in it was
answered by the front.

Without an nginx (scripts/nginx finds or installs one; scripts/test exports
NGINX_PATH) these tests are skipped, and under CI=true they fail.
"""

import gzip
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
from backend_django.core.valkey import get_valkey
from backend_django.testing import front as front_module
from backend_django.testing.http_cache import cache_control
from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import climate
from backend_django.users.services import api_token_create
from backend_django.users.tests.factories import UserFactory

from .test_edge_stack import CADDY, CADDYFILE, free_port, port_open

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def front(django_db_setup, django_db_blocker, tmp_path_factory, upstream_simulator):
    nginx = front_module.nginx_path()
    if nginx is None or not CADDY.exists():
        missing = "nginx (scripts/nginx installs one)" if nginx is None else "caddy (requirements/local.txt)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the shared-cache tests need {missing}, and CI=true requires them")
        pytest.skip(f"{missing} is not installed")
    tmp = tmp_path_factory.mktemp("front")
    (tmp / "app").mkdir()
    (tmp / "app" / "200.html").write_text("<!doctype html><title>app</title>")
    with django_db_blocker.unblock():
        database_url = _database_url_for_worker()
    gunicorn_port, nginx_port, caddy_port, admin_port = free_port(), free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
        "DATABASE_URL": database_url,
        "VALKEY_URL": settings.VALKEY_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TRUSTED_PROXY_COUNT": "2",
        "TEST_SETTINGS_OVERRIDES": json.dumps({"PROXY_READ_RATE": "20/min"}),
    }
    gunicorn_log = (tmp / "gunicorn.log").open("w")
    caddy_log = (tmp / "caddy.log").open("w")
    gunicorn = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "backend_django.config.wsgi:application",
            "--bind", f"127.0.0.1:{gunicorn_port}", "--workers", "1", "--worker-class", "gthread",
            "--threads", "4", "--forwarded-allow-ips", "127.0.0.1", "--access-logfile", "-",
            "--logger-class", "backend_django.config.gunicorn.AccessLogger",
            "--access-logformat",
            '{"path": "%(U)s", "query": "%(q)s", "status": %(s)s, "client": "%(client)s", '
            '"inm": "%({if-none-match}i)s", "ae": "%({accept-encoding}i)s"}',
        ],
        cwd=settings.BASE_DIR, env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    nginx_front = front_module.Front(
        nginx, tmp / "nginx", port=nginx_port, upstream=f"127.0.0.1:{gunicorn_port}"
    )
    nginx_front.start()
    caddy = subprocess.Popen(
        [str(CADDY), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={
            **os.environ,
            "CADDY_ADMIN": f"127.0.0.1:{admin_port}",
            "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "SITE_ADDRESS": f"http://:{caddy_port}",
            "DJANGO_UPSTREAM": f"127.0.0.1:{nginx_port}",
            "FLOWER_UPSTREAM": "127.0.0.1:9",
            "APP_ROOT": str(tmp / "app"),
            "DJANGO_STATIC_PARENT": str(tmp),
        },
        stdout=caddy_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: all(port_open(port) for port in (gunicorn_port, nginx_port, caddy_port)),
            "gunicorn, nginx and caddy",
            timeout=60,
        )
        started = Front(caddy_port, tmp / "gunicorn.log")
        started.get("/api/v1/climate/?lat=0&lng=0")  # the first request loads the app
        yield started
    finally:
        caddy.terminate()
        nginx_front.stop()
        gunicorn.terminate()
        for process in (caddy, gunicorn):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        gunicorn_log.close()
        caddy_log.close()


class Front:
    def __init__(self, port: int, gunicorn_log: Path):
        self.port, self.gunicorn_log = port, gunicorn_log

    def get(self, path: str, *, client: str = "127.0.0.2", **headers: str):
        """(status, body as sent, headers) of GET ``path`` through Caddy."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(client, 0)
        )
        try:
            connection.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            response = connection.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    def reached_django(self, path: str, query: str) -> list[dict]:
        """The requests for ``path?query`` that gunicorn logged, once everything sent so far is logged.

        A request to a path the front never caches goes last; the log is read
        when its line is there (gthread logs each request as it finishes).
        """
        marker = f"marker={time.monotonic_ns()}"
        assert self.get(f"/api/v1/version-info/?{marker}")[0] == 200

        def lines():
            found = [
                json.loads(line)
                for line in self.gunicorn_log.read_text().splitlines()
                if line.startswith("{")
            ]
            return found if any(line["query"] == marker for line in found) else None

        logged = wait_until(lines, "gunicorn's access log line", timeout=10)
        return [line for line in logged if line["path"] == path and line["query"] == query]


def fill_climate(
    lat: float, lng: float, *, fresh: int, stale: int, body: dict | None = None
) -> tuple[str, dict]:
    """Store a climate entry directly (as the worker would): its URL and body."""
    lat, lng = climate.snap(lat, lng)
    body = body or {"latitude": lat, "longitude": lng, "daily": {"time": ["2026-01-01"], "n": [time.time()]}}
    store.write(
        [store.NewEntry(climate.unit_for(lat, lng), climate.encode(body), "application/json", fresh, stale)]
    )
    return f"lat={lat:.1f}&lng={lng:.1f}", body


def test_repeated_hits_never_reach_django(front):
    query, body = fill_climate(12.3, 45.6, fresh=3600, stale=86400)
    path = "/api/v1/climate/"
    statuses = []
    for _ in range(20):
        status, content, headers = front.get(f"{path}?{query}", Accept_Encoding="gzip")
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(content)) == body
        statuses.append(headers["x-front-cache"])
        assert cache_control(headers)["max-age"] > 3500
    assert statuses == ["MISS"] + ["HIT"] * 19
    # A client that does not take gzip is its own variant: one more request, then hits.
    for expected in ("MISS", "HIT", "HIT"):
        status, content, headers = front.get(f"{path}?{query}")
        assert status == 200 and "content-encoding" not in headers
        assert json.loads(content) == body and headers["x-front-cache"] == expected
        assert headers["vary"] == "Accept-Encoding"
    reached = front.reached_django(path, query)
    assert [line["ae"] for line in reached] == ["gzip", "-"]  # each variant asked once, normalised
    # The client Django sees is the one Caddy saw, through both proxies.
    assert {line["client"] for line in reached} == {"127.0.0.2"}


def test_non_200_answers_are_never_served_from_the_shared_cache(front, celery_worker_process):
    if 60 - time.time() % 60 < 10:
        time.sleep(60 - time.time() % 60 + 0.1)  # stay within one read-limit window
    path = "/api/v1/climate/"
    # 202: a miss, twice (the same job), both reach Django.
    query = "lat=33.3&lng=44.4"
    for _ in range(2):
        status, content, headers = front.get(f"{path}?{query}", client="127.0.0.3")
        assert status == 202 and headers["x-front-cache"] != "HIT"
    # 400: invalid input.
    for _ in range(2):
        status, content, headers = front.get(f"{path}?lat=north&lng=1", client="127.0.0.3")
        assert status == 400 and headers["x-front-cache"] != "HIT"
        assert json.loads(content)["error"]["code"] == "invalid"
    # 502: an upstream refusal remembered for the unit.
    refused = climate.unit_for(*climate.snap(-20.0, 30.0))
    store.remember_error(refused, "upstream_rejected", "The upstream refused this point.", 400)
    for _ in range(2):
        status, content, headers = front.get(f"{path}?lat=-20.0&lng=30.0", client="127.0.0.3")
        assert status == 502 and headers["x-front-cache"] != "HIT"
    # 429: over the read limit (20/min) with distinct URLs of one entry, then the same URL again.
    filled, _ = fill_climate(-33.0, 151.0, fresh=3600, stale=86400)
    answers = [front.get(f"{path}?{filled}&n={n}", client="127.0.0.4")[0] for n in range(22)]
    assert answers[:18] == [200] * 18 and answers[-1] == 429
    first_refused = next(n for n, status in enumerate(answers) if status == 429)
    status, _, headers = front.get(f"{path}?{filled}&n={first_refused}", client="127.0.0.4")
    assert status == 429 and headers["x-front-cache"] != "HIT"

    assert [line["status"] for line in front.reached_django(path, query)] == [202, 202]
    assert [line["status"] for line in front.reached_django(path, "lat=north&lng=1")] == [400, 400]
    assert [line["status"] for line in front.reached_django(path, "lat=-20.0&lng=30.0")] == [502, 502]
    again = front.reached_django(path, f"{filled}&n={first_refused}")
    assert [line["status"] for line in again] == [429, 429]
    # ...while a 200 is kept: the first URL asked again is a front hit.
    assert front.get(f"{path}?{filled}&n=0", client="127.0.0.4")[2]["x-front-cache"] == "HIT"


def test_requests_with_a_session_or_credentials_bypass_the_shared_cache(front):
    query, body = fill_climate(50.1, 8.6, fresh=3600, stale=86400)
    path = "/api/v1/climate/"
    token = api_token_create(user=UserFactory()).key
    personal = ({"Authorization": f"Token {token}"}, {"Cookie": "sessionid=abc; csrftoken=def"})
    for headers in personal * 2:
        status, content, answer = front.get(f"{path}?{query}", **headers)
        assert status == 200 and json.loads(content) == body
        assert answer["x-front-cache"] == "BYPASS"
    # Nothing they received was stored: the first anonymous request is a miss.
    assert front.get(f"{path}?{query}")[2]["x-front-cache"] == "MISS"
    assert front.get(f"{path}?{query}")[2]["x-front-cache"] == "HIT"
    assert len(front.reached_django(path, query)) == 5
    # Someone's own answers (the account) pass by the cache.
    status, _, answer = front.get("/api/v1/auth/user/", Authorization=f"Token {token}")
    assert status == 200 and answer["x-front-cache"] == "BYPASS"


def test_only_answers_whose_cache_control_allows_it_are_kept(front):
    """No list of paths: an answer is kept when it says so (the data endpoints), never otherwise."""
    for path, query in (("/api/v1/version-info/", "n=1"), ("/api/v1/health/", "")):
        for _ in range(2):
            status, _, answer = front.get(f"{path}?{query}" if query else path)
            assert status == 200 and answer["x-front-cache"] != "HIT"
            assert "no-store" in answer["cache-control"]
        assert len(front.reached_django(path, query)) == 2
    # A job's answer says no-store: every poll reaches Django.
    query, _ = fill_climate(41.9, 12.5, fresh=3600, stale=86400)
    assert front.get(f"/api/v1/climate/?{query}")[2]["x-front-cache"] == "MISS"
    assert front.get(f"/api/v1/climate/?{query}")[2]["x-front-cache"] == "HIT"
    # A byte range is answered by Django (the canopy Range proxy), never from the cache.
    for _ in range(2):
        status, _, answer = front.get("/api/v1/canopy/0000/", Range="bytes=0-9")
        assert status == 400 and answer["x-front-cache"] == "BYPASS"
    assert len(front.reached_django("/api/v1/canopy/0000/", "")) == 2


def test_a_refreshed_entry_is_served_stale_then_new_and_revalidated(front):
    path = "/api/v1/climate/"
    query, first = fill_climate(-1.5, 36.8, fresh=3, stale=600)
    status, content, headers = front.get(f"{path}?{query}")
    assert status == 200 and headers["x-front-cache"] == "MISS" and json.loads(content) == first
    directives = cache_control(headers)
    assert 0 < directives["max-age"] <= 3 and 590 < directives["stale-while-revalidate"] <= 600
    first_etag = headers["etag"]
    # Within max-age: the front answers, with its own 304 for the ETag.
    assert front.get(f"{path}?{query}")[2]["x-front-cache"] == "HIT"
    status, content, headers = front.get(f"{path}?{query}", If_None_Match=first_etag)
    assert status == 304 and content == b"" and headers["etag"] == first_etag
    assert len(front.reached_django(path, query)) == 1

    # The front's copy expires; the worker refreshes the entry (new data).
    time.sleep(3.5)
    lat, lng = climate.snap(-1.5, 36.8)
    _, second = fill_climate(lat, lng, fresh=4, stale=600, body={"latitude": lat, "longitude": lng, "v": 2})
    # Within stale-while-revalidate: the old body at once, refreshed in the background...
    status, content, headers = front.get(f"{path}?{query}")
    assert status == 200 and headers["x-front-cache"] == "STALE" and json.loads(content) == first

    # ...then the new body, with its ETag.
    def refreshed():
        _, content, headers = front.get(f"{path}?{query}")
        return (
            (content, headers)
            if headers["x-front-cache"] == "HIT" and json.loads(content) == second
            else None
        )

    _, headers = wait_until(refreshed, "the refreshed body from the front", timeout=10)
    second_etag = headers["etag"]
    assert second_etag != first_etag
    reached = front.reached_django(path, query)
    assert [line["status"] for line in reached] == [200, 200]
    assert reached[1]["inm"] == first_etag  # the refresh asked conditionally

    # Expired again with the data unchanged: Django's 304 renews the front's copy.
    get_valkey().hset(store.entry_key(climate.unit_for(lat, lng)), "fu", f"{time.time() + 60:.3f}")
    time.sleep(4.5)
    status, content, _ = front.get(f"{path}?{query}")
    assert status == 200 and json.loads(content) == second

    def renewed():
        headers = front.get(f"{path}?{query}")[2]
        return headers if headers["x-front-cache"] == "HIT" else None

    headers = wait_until(renewed, "the renewed entry", timeout=10)
    assert headers["etag"] == second_etag
    # Renewed for the 304's max-age (about 60 s), not the 4 s the stored headers say
    # (nginx keeps the headers it stored; only the entry's validity is renewed).
    time.sleep(4.5)
    assert front.get(f"{path}?{query}")[2]["x-front-cache"] == "HIT"
    reached = front.reached_django(path, query)
    assert [line["status"] for line in reached] == [200, 200, 304]
    assert reached[2]["inm"] == second_etag
