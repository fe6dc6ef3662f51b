import io
import json
import threading
import time
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
import requests

from backend_django.devtools.simulator import SimulatorApp, run_in_thread
from backend_django.devtools.simulator.app import TRICKLE_BYTES

OM_PARAMS = {
    "latitude": 52.52,
    "longitude": 13.41,
    "start_date": "2020-01-01",
    "end_date": "2020-01-10",
    "daily": "temperature_2m_max,temperature_2m_min",
    "timezone": "auto",
}
OVERPASS_QL = (
    '[out:json][timeout:25];(way["building"](37.77,-122.42,37.772,-122.418););out body;>;out skel qt;'
)
TILE = "/chm/023010203.tif"
BASEMAP = "/basemap/14/2608/5859.png"
TERRARIUM = "/terrarium/10/200/300.png"


def open_meteo(sim, timeout=10):
    return requests.get(f"{sim.base_url}/v1/archive", params=OM_PARAMS, timeout=timeout)


def overpass(sim, timeout=10):
    return requests.post(f"{sim.base_url}/api/interpreter", data={"data": OVERPASS_QL}, timeout=timeout)


def canopy(sim, timeout=10):
    return requests.get(f"{sim.base_url}{TILE}", headers={"Range": "bytes=0-99"}, timeout=timeout)


def basemap(sim, timeout=10):
    return requests.get(f"{sim.base_url}{BASEMAP}", timeout=timeout)


def terrarium(sim, timeout=10):
    return requests.get(f"{sim.base_url}{TERRARIUM}", timeout=timeout)


def test_open_meteo_failure_modes(sim):
    sim.app.fail("open_meteo", "429", times=1)
    response = open_meteo(sim)
    assert response.status_code == 429
    assert response.json() == {
        "error": True,
        "reason": "Minutely API request limit exceeded. Please try again in one minute.",
    }
    assert open_meteo(sim).status_code == 200  # times=1: only the next request

    sim.app.fail("open_meteo", "500", times=1)
    response = open_meteo(sim)
    assert response.status_code == 500
    assert response.json()["error"] is True

    sim.app.fail("open_meteo", "400", times=1)
    response = open_meteo(sim)
    assert response.status_code == 400
    assert "Cannot initialize" in response.json()["reason"]

    sim.app.fail("open_meteo", "html", times=1)
    response = open_meteo(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)

    log = sim.app.stats()["open_meteo"]["requests_log"]
    assert [entry["status"] for entry in log] == [429, 200, 500, 400, 200]
    # Only the one real answer was charged.
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == 1


def test_failure_until_reset(sim):
    sim.app.fail("open_meteo", "500")
    assert [open_meteo(sim).status_code for _ in range(3)] == [500, 500, 500]
    sim.app.reset()
    assert open_meteo(sim).status_code == 200
    assert sim.app.stats()["open_meteo"]["requests"] == 1


def test_failure_times_counts_down(sim):
    sim.app.fail("canopy", "500", times=2)
    assert [canopy(sim).status_code for _ in range(3)] == [500, 500, 206]


def test_overpass_failure_modes(sim):
    sim.app.fail("overpass", "429", times=1)
    response = overpass(sim)
    assert response.status_code == 429
    assert "rate_limited" in response.text

    sim.app.fail("overpass", "504", times=1)
    response = overpass(sim)
    assert response.status_code == 504
    assert "too busy" in response.text

    sim.app.fail("overpass", "500", times=1)
    assert overpass(sim).status_code == 500

    sim.app.fail("overpass", "400", times=1)
    response = overpass(sim)
    assert response.status_code == 400
    assert "parse error" in response.text

    sim.app.fail("overpass", "html", times=1)
    response = overpass(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")

    full = overpass(sim).json()
    sim.app.fail("overpass", "remark", times=1)
    response = overpass(sim)
    assert response.status_code == 200
    body = response.json()
    assert body["remark"] == 'runtime error: Query timed out in "query" at line 1 after 25 seconds.'
    assert body["version"] == 0.6 and "osm3s" in body
    assert 0 < len(body["elements"]) < len(full["elements"])
    assert "remark" not in overpass(sim).json()


def test_canopy_failure_modes(sim):
    sim.app.fail("canopy", "429", times=1)
    response = canopy(sim)
    assert response.status_code == 503
    assert "<Code>SlowDown</Code>" in response.text

    sim.app.fail("canopy", "500", times=1)
    response = canopy(sim)
    assert response.status_code == 500
    assert "<Code>InternalError</Code>" in response.text

    sim.app.fail("canopy", "404", times=1)
    response = canopy(sim)
    assert response.status_code == 404
    assert "<Code>NoSuchKey</Code>" in response.text
    assert canopy(sim).status_code == 206
    assert sim.app.stats()["canopy"]["bytes_sent"] == 100


HTTP_UPSTREAMS = [
    ("open_meteo", open_meteo),
    ("overpass", overpass),
    ("canopy", canopy),
    ("basemap", basemap),
    ("terrain", terrarium),
]


@pytest.mark.parametrize(("upstream", "call"), HTTP_UPSTREAMS)
def test_hang_times_out_the_client_without_blocking_others(sim, upstream, call):
    sim.app.fail(upstream, "hang", times=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(sim, timeout=0.5)
    assert time.monotonic() - started < 5
    # The hanging request does not block the others.
    assert call(sim).status_code in (200, 206)


WSGI_REQUESTS = {
    "open_meteo": ("GET", "/v1/archive", urlencode(OM_PARAMS), b""),
    "overpass": ("POST", "/api/interpreter", "", urlencode({"data": OVERPASS_QL}).encode()),
    "canopy": ("GET", TILE, "", b""),
    "basemap": ("GET", BASEMAP, "", b""),
    "terrain": ("GET", TERRARIUM, "", b""),
}


def wsgi(app, upstream):
    """Call the WSGI app directly: (status line, body iterator)."""
    method, path, query, body = WSGI_REQUESTS[upstream]
    environ = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        QUERY_STRING=query,
        CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="solar-sim-tests",
    )
    environ["wsgi.input"] = io.BytesIO(body)
    started = {}
    chunks = app(environ, lambda status, headers: started.update(status=status))
    return started["status"], iter(chunks)


def comparable(upstream, body: bytes):
    # Open-Meteo's generationtime_ms changes from one answer to the next.
    return json.loads(body)["daily"] if upstream == "open_meteo" else body


@pytest.mark.parametrize("upstream", sorted(WSGI_REQUESTS))
def test_trickle_and_garbage_keep_status_and_length(sim, upstream):
    status, chunks = wsgi(sim.app, upstream)
    good = b"".join(chunks)
    sim.app.fail(upstream, "garbage", times=1)
    junk_status, chunks = wsgi(sim.app, upstream)
    junk = b"".join(chunks)
    # Open-Meteo's generationtime_ms may take a digit more or less from one answer to the next.
    slack = 4 if upstream == "open_meteo" else 0
    assert junk_status == status and abs(len(junk) - len(good)) <= slack and junk != good
    # A trickle: the normal answer, TRICKLE_BYTES at a time; after a reset, the rest at once.
    sim.app.fail(upstream, "trickle", times=1)
    slow_status, chunks = wsgi(sim.app, upstream)
    first = next(chunks)
    assert len(first) == TRICKLE_BYTES
    sim.app.reset()
    rest = list(chunks)
    assert all(len(chunk) <= TRICKLE_BYTES for chunk in rest)
    assert slow_status == status and comparable(upstream, first + b"".join(rest)) == comparable(
        upstream, good
    )


def test_stop_returns_promptly_with_a_hanging_request():
    app = SimulatorApp(canopy_size=256)
    handle = run_in_thread(app)
    app.fail("overpass", "hang")
    errors = []

    def hang():
        try:
            requests.post(f"{handle.base_url}/api/interpreter", data={"data": OVERPASS_QL}, timeout=30)
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=hang)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    handle.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 3
    assert not thread.is_alive()
    # The same app can be served again, with working latency and failures.
    with run_in_thread(app) as again:
        app.reset()
        app.set_latency(0.2)
        started = time.monotonic()
        response = requests.post(f"{again.base_url}/api/interpreter", data={"data": OVERPASS_QL}, timeout=10)
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.2


def test_latency_all_and_per_upstream(sim):
    sim.app.set_latency(0.3)
    started = time.monotonic()
    assert canopy(sim).status_code == 206
    assert time.monotonic() - started >= 0.3
    sim.app.set_latency(0)
    sim.app.set_latency(0.3, upstream="overpass")
    started = time.monotonic()
    open_meteo(sim)
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    overpass(sim)
    assert time.monotonic() - started >= 0.3
    sim.app.reset()
    started = time.monotonic()
    overpass(sim)
    assert time.monotonic() - started < 0.3


def test_invalid_failure_modes_are_refused(sim):
    with pytest.raises(ValueError):
        sim.app.fail("canopy", "remark")
    with pytest.raises(ValueError):
        sim.app.fail("s3", "500")
    with pytest.raises(ValueError):
        sim.app.fail("basemap", "404")  # a tile server's 404 is a real answer, not a failure mode
    with pytest.raises(ValueError):
        sim.app.fail("terrain", "html")


def test_http_control_endpoints(sim):
    base = sim.base_url
    response = requests.post(
        f"{base}/__sim__/config",
        json={"latency_ms": 0, "fail": {"upstream": "overpass", "mode": "remark", "times": 1}},
        timeout=10,
    )
    assert response.status_code == 200
    assert "remark" in overpass(sim).json()
    assert "remark" not in overpass(sim).json()
    open_meteo(sim)
    canopy(sim)

    stats = requests.get(f"{base}/__sim__/stats", timeout=10).json()
    assert stats["overpass"]["requests"] == 2
    assert stats["open_meteo"]["requests"] == 1
    assert stats["open_meteo"]["weighted_calls"] == 1
    assert stats["canopy"]["bytes_sent"] == 100
    entry = stats["canopy"]["requests_log"][0]
    assert {key: entry[key] for key in ("method", "path", "query", "range", "status")} == {
        "method": "GET",
        "path": TILE,
        "query": "",
        "range": "bytes=0-99",
        "status": 206,
    }
    assert stats["open_meteo"]["requests_log"][0]["query"].startswith("latitude=52.52")
    # Control requests are not counted.
    again = requests.get(f"{base}/__sim__/stats", timeout=10).json()
    assert [again[name]["requests"] for name in ("open_meteo", "overpass", "canopy")] == [1, 2, 1]

    response = requests.post(
        f"{base}/__sim__/config",
        json={"latency_ms": 300, "upstream": "open_meteo", "fail": [{"upstream": "canopy", "mode": "404"}]},
        timeout=10,
    )
    assert response.status_code == 200
    started = time.monotonic()
    open_meteo(sim)
    assert time.monotonic() - started >= 0.3
    assert canopy(sim).status_code == 404

    assert requests.post(f"{base}/__sim__/reset", timeout=10).status_code == 200
    assert canopy(sim).status_code == 206
    stats = requests.get(f"{base}/__sim__/stats", timeout=10).json()
    assert stats["open_meteo"]["requests"] == 0
    assert stats["canopy"]["requests"] == 1

    response = requests.post(
        f"{base}/__sim__/config",
        json={
            "fail": [
                {"upstream": "basemap", "mode": "403", "times": 1},
                {"upstream": "terrain", "mode": "403"},
            ]
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert basemap(sim).status_code == 403
    assert basemap(sim).status_code == 200
    assert terrarium(sim).status_code == terrarium(sim).status_code == 403
    stats = requests.get(f"{base}/__sim__/stats", timeout=10).json()
    assert stats["basemap"]["requests"] == 2 and stats["terrain"]["requests"] == 2

    bad = requests.post(
        f"{base}/__sim__/config", json={"fail": {"upstream": "nope", "mode": "500"}}, timeout=10
    )
    assert bad.status_code == 400
    bad = requests.post(f"{base}/__sim__/config", data="not json", timeout=10)
    assert bad.status_code == 400
    assert requests.get(f"{base}/__sim__/reset", timeout=10).status_code == 405
