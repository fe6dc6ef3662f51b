"""End to end: the API, a real Celery worker, real Valkey and the upstream simulator."""

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.devtools.simulator import data as simdata
from backend_django.testing.clock import run_out_persons_wait
from backend_django.testing.http_cache import assert_hit, assert_stale
from backend_django.upstream.cache import store
from backend_django.upstream.guards import budgets
from backend_django.upstream.kinds import buildings, climate

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LAT, LNG = 45.5231, -122.6765  # snaps to 45.5, -122.7
UNIT = "climate:45.5:-122.7"


@pytest.fixture
def client():
    return APIClient()


def wait_for_job(client: APIClient, location: str, timeout: float = 45) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(location)
        assert response.status_code == 200, response.content
        job = response.json()
        if job["status"] in ("succeeded", "failed"):
            assert "Retry-After" not in response
            return job
        assert response["Retry-After"]
        time.sleep(0.05)
    raise AssertionError(f"job at {location} did not finish in {timeout} s: {job}")


def upstream_requests(simulator, upstream: str) -> int:
    return simulator.stats()[upstream]["requests"]


def entry_keys() -> list[bytes]:
    return list(get_valkey().scan_iter(match=f"{store.ENTRY_PREFIX}*"))


def keys_without_ttl() -> list[bytes]:
    """Application keys that would never expire (the eviction policy needs a TTL on each)."""
    client = get_valkey()
    return [key for key in client.scan_iter(match="ss:*") if client.ttl(key) == -1]


def fetch_climate(client, path="/api/v1/climate/", **headers):
    return client.get(path, {"lat": LAT, "lng": LNG}, **headers)


def test_climate_miss_job_then_hit(client, simulator, celery_worker_process):
    response = fetch_climate(client)
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert int(response["Retry-After"]) >= 1
    assert job["status"] in ("queued", "running")
    assert job["progress"] == {"done": 0, "total": 1}
    assert job["result_url"] == "/api/v1/climate/?lat=45.5&lng=-122.7"

    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job
    assert job["error"] is None
    assert job["progress"] == {"done": 1, "total": 1}
    assert upstream_requests(simulator, "open_meteo") == 1
    asked = parse_qs(simulator.stats()["open_meteo"]["requests_log"][0]["query"])
    assert asked["timezone"] == ["auto"]
    assert asked["start_date"] == [date(date.today().year - 30, 1, 1).isoformat()]
    assert asked["daily"] == ["temperature_2m_max,temperature_2m_min,precipitation_sum"]

    hit = client.get(job["result_url"], HTTP_ACCEPT_ENCODING="gzip")
    assert hit.status_code == 200
    assert hit["X-Cache"] == "HIT"
    assert hit["Content-Encoding"] == "gzip"
    assert hit["Content-Type"] == "application/json"
    assert_hit(hit, max_age=(29 * 86400, 30 * 86400), stale_window=settings.CLIMATE_STALE_SECONDS)
    body = json.loads(gzip.decompress(hit.content))
    # The data is the simulator's for the snapped point's grid cell.
    assert (body["latitude"], body["longitude"]) == simdata.grid_cell(45.5, -122.7)
    times, _, tmin = simdata.daily_temperatures(
        45.5, -122.7, date(date.today().year - 30, 1, 1), date.today() - timedelta(days=5)
    )
    assert body["daily"]["time"] == times
    assert body["daily"]["temperature_2m_min"] == tmin

    # A nearby point, and a client that does not take gzip: same entry, no upstream call.
    plain = client.get("/api/v1/climate/", {"lat": 45.4999, "lng": -122.7301})
    assert plain.status_code == 200 and plain["X-Cache"] == "HIT"
    assert "Content-Encoding" not in plain
    assert json.loads(plain.content) == body
    assert plain["ETag"] == hit["ETag"]
    not_modified = fetch_climate(client, HTTP_IF_NONE_MATCH=hit["ETag"])
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert upstream_requests(simulator, "open_meteo") == 1

    # The summary was computed by the task and stored beside the body.
    summary = fetch_climate(client, "/api/v1/climate/summary/")
    assert summary.status_code == 200 and summary["X-Cache"] == "HIT"
    data = json.loads(summary.content)
    assert data == climate.summarize(body, date.today())
    assert data["years"] == 30
    assert len(data["monthly"]) == 12
    assert upstream_requests(simulator, "open_meteo") == 1
    assert keys_without_ttl() == []


def test_summary_miss_shares_the_fetch(client, simulator, celery_worker_process):
    first = fetch_climate(client, "/api/v1/climate/summary/")
    second = fetch_climate(client)
    assert first.status_code == second.status_code == 202
    assert first.json()["result_url"].startswith("/api/v1/climate/summary/")
    assert wait_for_job(client, first["Location"])["status"] == "succeeded"
    assert wait_for_job(client, second["Location"])["status"] == "succeeded"
    assert upstream_requests(simulator, "open_meteo") == 1


def test_fifty_concurrent_identical_misses_make_one_job_and_one_upstream_call(
    simulator, celery_worker_process
):
    simulator.set_latency(0.5)

    def miss(_):
        response = APIClient().get("/api/v1/climate/", {"lat": LAT, "lng": LNG})
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(miss, range(50)))
    assert {status for status, _ in results} == {202}
    job_ids = {job_id for _, job_id in results}
    assert len(job_ids) == 1
    job = wait_for_job(APIClient(), f"/api/v1/jobs/{job_ids.pop()}/")
    assert job["status"] == "succeeded"
    assert upstream_requests(simulator, "open_meteo") == 1


def test_stale_entry_is_served_then_refreshed_with_a_tail_fetch(client, simulator, celery_worker_process):
    job = wait_for_job(client, fetch_climate(client)["Location"])
    assert job["status"] == "succeeded"
    full = json.loads(fetch_climate(client).content)

    # Age the entry past its freshness, and drop the last 20 days as if they
    # had not been published when it was fetched.
    key = store.entry_key(UNIT)
    entry = store.read(UNIT)
    old = dict(full)
    old["daily"] = {name: values[:-20] for name, values in full["daily"].items()}
    raw = climate.encode(old)
    get_valkey().hset(
        key, mapping={"b": gzip.compress(raw), "e": store.etag_for(raw), "fu": time.time() - 10}
    )
    assert entry is not None

    stale = fetch_climate(client)
    assert stale.status_code == 200
    assert stale["X-Cache"] == "STALE"
    assert_stale(stale, stale_until=entry.stale_until)
    assert len(json.loads(stale.content)["daily"]["time"]) == len(full["daily"]["time"]) - 20

    deadline = time.monotonic() + 30
    while store.read(UNIT).state() != "fresh":
        assert time.monotonic() < deadline, "the stale entry was not refreshed"
        time.sleep(0.05)
    log = simulator.stats()["open_meteo"]["requests_log"]
    assert len(log) == 2
    refresh = parse_qs(log[1]["query"])
    start, end = date.fromisoformat(refresh["start_date"][0]), date.fromisoformat(refresh["end_date"][0])
    assert (end - start).days <= 95, "a refresh must fetch only the recent tail"
    refreshed = json.loads(fetch_climate(client).content)
    assert refreshed["daily"] == full["daily"]


def test_stale_entry_keeps_being_served_while_the_upstream_fails(client, simulator, celery_worker_process):
    assert wait_for_job(client, fetch_climate(client)["Location"])["status"] == "succeeded"
    get_valkey().hset(store.entry_key(UNIT), "fu", time.time() - 10)
    simulator.fail("open_meteo", "500")
    for _ in range(3):
        response = fetch_climate(client)
        assert response.status_code == 200
        assert response["X-Cache"] == "STALE"
        time.sleep(0.3)
    assert store.read(UNIT) is not None


@pytest.mark.parametrize(
    "mode, code",
    [
        ("429", "upstream_rate_limited"),
        ("500", "upstream_unavailable"),
        ("html", "upstream_invalid_response"),
        ("hang", "upstream_timeout"),
    ],
)
def test_open_meteo_failures_fail_the_job_and_cache_nothing(
    client, simulator, celery_worker_process, mode, code
):
    simulator.fail("open_meteo", mode)
    response = fetch_climate(client)
    assert response.status_code == 202
    run_out_persons_wait(response["Location"])  # the clock moves on, not slept
    job = wait_for_job(client, response["Location"], timeout=60)
    assert job["status"] == "failed"
    assert job["error"]["code"] == code, job
    assert job["error"]["message"]
    assert entry_keys() == []
    assert store.remembered_error(UNIT) is None  # transient errors are never remembered
    # The next request starts a new job once the upstream is back.
    simulator.reset()
    retry = fetch_climate(client)
    assert retry.status_code == 202
    assert retry.json()["id"] != job["id"]
    assert wait_for_job(client, retry["Location"])["status"] == "succeeded"


def test_a_definite_4xx_is_remembered_for_ten_minutes(client, simulator, celery_worker_process):
    simulator.fail("open_meteo", "400")
    job = wait_for_job(client, fetch_climate(client)["Location"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "upstream_rejected"
    assert entry_keys() == []
    requests_before = upstream_requests(simulator, "open_meteo")
    assert requests_before == 1  # a definite answer is not retried
    again = fetch_climate(client)
    assert again.status_code == 502
    assert again.json()["error"]["code"] == "upstream_rejected"
    assert upstream_requests(simulator, "open_meteo") == requests_before
    ttl = get_valkey().ttl(store.negative_key(UNIT))
    assert 590 <= ttl <= 600


def test_transient_failure_then_success_is_retried_within_the_job(client, simulator, celery_worker_process):
    simulator.fail("open_meteo", "500", times=1)
    job = wait_for_job(client, fetch_climate(client)["Location"])
    assert job["status"] == "succeeded"
    assert upstream_requests(simulator, "open_meteo") == 2


def test_a_job_that_must_wait_long_goes_back_to_the_queue_and_frees_the_worker(
    client, simulator, celery_worker_process
):
    valkey = get_valkey()
    points = [(46.5, 7.5), (46.6, 7.5)]
    for lat, lng in points:  # as if other workers were fetching these for a while
        valkey.set(f"ss:lock:{climate.unit_for(lat, lng)}", "another-worker", ex=6)
    waiting = [client.get("/api/v1/climate/", {"lat": lat, "lng": lng})["Location"] for lat, lng in points]
    # Both worker processes meet a locked unit; neither keeps its process while it waits.
    seen = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "queued" not in seen:
        job = client.get(waiting[0]).json()
        if job["status"] == "running":
            seen.add("running")
        elif "running" in seen:
            seen.add(job["status"])
        time.sleep(0.02)
    assert seen == {"running", "queued"}, "the waiting job went back to the queue"
    other = wait_for_job(client, fetch_climate(client)["Location"], timeout=20)
    assert other["status"] == "succeeded"
    assert valkey.ttl(f"ss:lock:{climate.unit_for(*points[0])}") > 0, "done while the others still wait"
    for location in waiting:
        assert wait_for_job(client, location)["status"] == "succeeded"
    assert upstream_requests(simulator, "open_meteo") == 3


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "nan", "lng": "10"},
        {"lat": "inf", "lng": "10"},
        {"lat": "10", "lng": "-Infinity"},
        {"lat": "90.5", "lng": "10"},
        {"lat": "10", "lng": "-180.01"},
        {"lat": "ten", "lng": "10"},
        {"lng": "10"},
        {"lat": "", "lng": "10"},
    ],
)
def test_bad_points_are_refused_before_any_upstream_call(client, simulator, params):
    for path in ("/api/v1/climate/", "/api/v1/climate/summary/"):
        response = client.get(path, params)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert ("lat" in error["message"]) or ("lng" in error["message"])
    assert upstream_requests(simulator, "open_meteo") == 0
    assert list(get_valkey().scan_iter(match="ss:job:*")) == []


# --- buildings -------------------------------------------------------------------

BBOX = (47.3695, 8.5385, 47.3725, 8.5425)  # straddles the cell lines at 47.37 and 8.54
BBOX_TEXT = ",".join(str(value) for value in BBOX)


def expected_way_ids(bbox) -> set[int]:
    """Building ways the simulator has whose footprint touches the box."""
    payload = buildings.cell_payload({"elements": simdata.buildings_in_bbox(*bbox)})
    return {
        feature["properties"]["osm_id"]
        for feature in buildings.feature_collection([payload], bbox)["features"]
    }


def test_buildings_miss_job_counts_cells_then_geojson_hit(client, simulator, celery_worker_process):
    response = client.get("/api/v1/buildings/", {"bbox": BBOX_TEXT})
    assert response.status_code == 202, response.content
    cells = buildings.cells_for_bbox(*BBOX)
    assert len(cells) == 4
    assert response.json()["progress"]["total"] == 4
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job
    assert job["progress"] == {"done": 4, "total": 4}
    assert upstream_requests(simulator, "overpass") == 4

    # The box is built in the request from the cached cells (a MISS that asks no upstream), then is a hit.
    built = client.get(job["result_url"])
    assert built.status_code == 200 and built["X-Cache"] == "MISS"
    hit = client.get(job["result_url"])
    assert hit.status_code == 200 and hit["X-Cache"] == "HIT"
    assert hit.content == built.content
    collection = hit.json()
    assert collection["type"] == "FeatureCollection"
    ids = [feature["properties"]["osm_id"] for feature in collection["features"]]
    assert len(ids) == len(set(ids)), "one feature per OSM way"
    assert set(ids) == expected_way_ids(BBOX)
    assert len(ids) > 3
    south, west, north, east = BBOX
    for feature in collection["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert all(west - 1e-9 <= x <= east + 1e-9 and south - 1e-9 <= y <= north + 1e-9 for x, y in ring)
        assert feature["properties"]["height_source"] in ("tag", "levels", "default")
        assert feature["properties"]["height_m"] > 0
    assert {f["properties"]["height_source"] for f in collection["features"]} >= {"tag", "default"}

    # The Overpass drop-in answers the same box from the same cells.
    query = f'[out:json][timeout:25];(way["building"]({BBOX_TEXT}););out body;>;out skel qt;'
    overpass = client.post("/api/v1/overpass/", {"query": query}, format="json")
    assert overpass.status_code == 200 and overpass["X-Cache"] == "HIT"
    elements = overpass.json()["elements"]
    assert {e["id"] for e in elements if e["type"] == "way"} == set(ids)
    assert all({"lat", "lon"} <= set(e) for e in elements if e["type"] == "node")
    assert upstream_requests(simulator, "overpass") == 4
    assert keys_without_ttl() == []


def test_overlapping_boxes_share_cells(client, simulator, celery_worker_process):
    first = client.get("/api/v1/buildings/", {"bbox": "47.3701,8.5401,47.3709,8.5409"})
    assert wait_for_job(client, first["Location"])["status"] == "succeeded"
    second = client.get("/api/v1/buildings/", {"bbox": "47.3702,8.5402,47.3708,8.5408"})
    # Built at once from the first box's cached cell: no job, no second Overpass request.
    assert second.status_code == 200 and second["X-Cache"] == "MISS"
    assert upstream_requests(simulator, "overpass") == 1


@pytest.mark.parametrize(
    "mode, code",
    [
        ("remark", "upstream_runtime_error"),
        ("html", "upstream_invalid_response"),
        ("429", "upstream_rate_limited"),
        ("500", "upstream_unavailable"),
        ("504", "upstream_unavailable"),
        ("hang", "upstream_timeout"),
    ],
)
def test_overpass_failures_cache_nothing(client, simulator, celery_worker_process, mode, code):
    simulator.fail("overpass", mode)
    response = client.get("/api/v1/buildings/", {"bbox": "47.3701,8.5401,47.3709,8.5409"})
    run_out_persons_wait(response["Location"])  # the clock moves on, not slept
    job = wait_for_job(client, response["Location"], timeout=60)
    assert job["status"] == "failed"
    assert job["error"]["code"] == code, job
    assert entry_keys() == []


@pytest.mark.parametrize(
    "bbox",
    [
        "47.38,8.54,47.37,8.55",  # south > north
        "47.37,8.55,47.38,8.54",  # west > east
        "47.0,8.0,47.5,8.5",  # far too large
        "nan,8.54,47.38,8.55",
        "47.37,8.54,47.38",
        "",
    ],
)
def test_bad_boxes_are_refused_before_any_upstream_call(client, simulator, bbox):
    response = client.get("/api/v1/buildings/", {"bbox": bbox})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("bbox")
    assert upstream_requests(simulator, "overpass") == 0


@pytest.mark.parametrize(
    "query",
    [
        "[out:json];node(47.37,8.54,47.38,8.55);out;",
        '[out:json][timeout:25];(way["building"](47.37,8.54,47.38,8.55););out body;>;out skel qt;rel(1);out;',
        '[out:json][timeout:900];(way["highway"](47.37,8.54,47.38,8.55););out body;',
    ],
)
def test_other_overpass_queries_are_refused(client, simulator, query):
    response = client.post("/api/v1/overpass/", {"query": query}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unsupported_query"
    assert 'way["building"]' in error["message"]
    assert upstream_requests(simulator, "overpass") == 0


# --- jobs and limits ----------------------------------------------------------


def test_unknown_job_is_404(client):
    response = client.get("/api/v1/jobs/no-such-job/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_misses_are_throttled_more_strictly_than_hits(client, simulator, settings, celery_worker_process):
    settings.PROXY_FETCH_RATE = "3/min"
    statuses = [client.get("/api/v1/climate/", {"lat": 10 + i, "lng": 10}).status_code for i in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
    throttled = client.get("/api/v1/climate/", {"lat": 20, "lng": 10})
    assert throttled.json()["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1


def test_a_lost_summary_is_rebuilt_although_the_body_is_fresh(client, simulator, celery_worker_process):
    assert wait_for_job(client, fetch_climate(client)["Location"])["status"] == "succeeded"
    get_valkey().delete(store.entry_key(climate.summary_unit(UNIT)))  # evicted, say
    response = fetch_climate(client, "/api/v1/climate/summary/")
    assert response.status_code == 202
    assert wait_for_job(client, response["Location"])["status"] == "succeeded"
    assert fetch_climate(client, "/api/v1/climate/summary/")["X-Cache"] == "HIT"


def test_a_person_is_told_when_the_budget_is_spent_for_hours(
    client, simulator, settings, celery_worker_process
):
    client_valkey = get_valkey()
    now = int(client_valkey.time()[0])
    if 86400 - now % 86400 < 900:
        pytest.skip("too close to midnight UTC: the daily window would reopen within the retry cap")
    day_key = budgets.window_key("open_meteo", "all", 86400, now)
    client_valkey.set(day_key, settings.OPEN_METEO_CALLS_PER_DAY, ex=3600)
    job = wait_for_job(client, fetch_climate(client)["Location"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "budget_exhausted"
    assert upstream_requests(simulator, "open_meteo") == 0


def test_one_client_cannot_spend_the_daily_climate_budget(client, simulator, settings, celery_worker_process):
    settings.PROXY_CLIMATE_FETCHES_PER_DAY = "2/day"
    statuses = [client.get("/api/v1/climate/", {"lat": 30 + i, "lng": 5}).status_code for i in range(3)]
    assert statuses == [202, 202, 429]
    # Cached points and other data kinds are not affected.
    assert client.get("/api/v1/buildings/", {"bbox": "47.3701,8.5401,47.3709,8.5409"}).status_code == 202
