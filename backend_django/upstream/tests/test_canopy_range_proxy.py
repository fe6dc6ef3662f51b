"""The canopy Range proxy (GET|HEAD /api/v1/canopy/<quadkey>/) against the simulator."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.upstream.guards import breaker as health
from backend_django.upstream.guards import budgets
from backend_django.upstream.http import range_proxy

QUADKEY = "021230223"
URL = f"/api/v1/canopy/{QUADKEY}/"
BLOCK = 256 * 1024


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def tile(simulator):
    return simulator.tiles.get(QUADKEY)


def canopy_log(simulator) -> list[dict]:
    return simulator.stats()["canopy"]["requests_log"]


def block_keys() -> list[bytes]:
    return sorted(get_valkey().scan_iter(match=f"{range_proxy.BLOCK_PREFIX}*"))


def test_head_answers_size_etag_and_accept_ranges_from_cached_metadata(client, simulator, tile):
    for _ in range(2):
        response = client.head(URL)
        assert response.status_code == 200
        assert int(response["Content-Length"]) == tile.size
        assert response["ETag"] == tile.etag
        assert response["Accept-Ranges"] == "bytes"
        assert response["Content-Type"] == "image/tiff"
        assert response["Last-Modified"]
    assert [entry["method"] for entry in canopy_log(simulator)] == ["HEAD"]
    ttl = get_valkey().ttl(range_proxy.meta_key(QUADKEY))
    assert 364 * 86400 < ttl <= 365 * 86400


def test_range_is_answered_206_from_cached_blocks(client, simulator, tile):
    response = client.get(URL, HTTP_RANGE="bytes=100-299")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-299/{tile.size}"
    assert response["Accept-Ranges"] == "bytes" and response["ETag"] == tile.etag
    assert response.content == tile.body[100:300]
    assert response["X-Cache"] == "MISS"
    log = canopy_log(simulator)
    assert [(e["method"], e["range"]) for e in log] == [("HEAD", None), ("GET", f"bytes=0-{BLOCK - 1}")]
    assert block_keys() == [f"{range_proxy.BLOCK_PREFIX}{QUADKEY}:0".encode()]
    assert 364 * 86400 < get_valkey().ttl(range_proxy.block_key(QUADKEY, 0)) <= 365 * 86400

    # An overlapping range costs no upstream bytes.
    sent = simulator.stats()["canopy"]["bytes_sent"]
    again = client.get(URL, HTTP_RANGE="bytes=200-4000")
    assert again.status_code == 206 and again["X-Cache"] == "HIT"
    assert again.content == tile.body[200:4001]
    assert simulator.stats()["canopy"]["bytes_sent"] == sent

    # A range over blocks 0-2 fetches only the missing run (1-2) in one request.
    wide = client.get(URL, HTTP_RANGE=f"bytes={BLOCK - 10}-{2 * BLOCK + 10}")
    assert wide.status_code == 206
    assert wide.content == tile.body[BLOCK - 10 : 2 * BLOCK + 11]
    assert canopy_log(simulator)[-1]["range"] == f"bytes={BLOCK}-{3 * BLOCK - 1}"
    assert len(canopy_log(simulator)) == 3


def test_open_and_suffix_ranges(client, simulator, tile):
    tail = client.get(URL, HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206
    assert tail["Content-Range"] == f"bytes {tile.size - 100}-{tile.size - 1}/{tile.size}"
    assert tail.content == tile.body[-100:]
    rest = client.get(URL, HTTP_RANGE=f"bytes={tile.size - 50}-")
    assert rest.status_code == 206 and rest.content == tile.body[-50:]
    past = client.get(URL, HTTP_RANGE=f"bytes={tile.size - 5}-{tile.size + 1000}")
    assert past.status_code == 206 and past.content == tile.body[-5:]


def test_unsatisfiable_several_and_too_long_ranges_get_416(client, simulator, tile, settings):
    beyond = client.get(URL, HTTP_RANGE=f"bytes={tile.size}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{tile.size}"
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"
    several = client.get(URL, HTTP_RANGE="bytes=0-1,5-6")
    assert several.status_code == 416
    assert several.json()["error"]["code"] == "multiple_ranges"
    settings.CANOPY_MAX_RANGE_BYTES = 1000
    too_long = client.get(URL, HTTP_RANGE="bytes=0-1000")
    assert too_long.status_code == 416
    assert too_long.json()["error"]["code"] == "range_too_large"
    assert "1000" in too_long.json()["error"]["message"]
    assert client.get(URL, HTTP_RANGE="bytes=0-999").status_code == 206
    # Only the HEAD and the one accepted range reached the bucket.
    assert [e["method"] for e in canopy_log(simulator)] == ["HEAD", "GET"]


def test_no_range_on_a_large_tile_is_refused_with_an_explanation(client, simulator, tile, settings):
    settings.CANOPY_MAX_RANGE_BYTES = 512 * 1024
    assert tile.size > settings.CANOPY_MAX_RANGE_BYTES
    response = client.get(URL)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "range_required"
    assert "Range: bytes=" in error["message"] and str(tile.size) in error["message"]
    assert [e["method"] for e in canopy_log(simulator)] == ["HEAD"]


def test_no_range_on_a_tile_under_the_cap_is_the_whole_tile(client, simulator, tile):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.content == tile.body
    assert "Content-Range" not in response


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/canopy/0123456789/",
        "/api/v1/canopy/../x/",
        "/api/v1/canopy/..%2Fx/",
        "/api/v1/canopy/%2e%2e%2f021230223/",
        "/api/v1/canopy/02123022/",
        "/api/v1/canopy/0212302230/",
        "/api/v1/canopy/021230224/",
        "/api/v1/canopy/0212302%343/",  # %34 = "4"
        "/api/v1/canopy/021230223%00/",
        "/api/v1/canopy/021230223%0A/",
        "/api/v1/canopy/021230223.tif/",
        "/api/v1/canopy/%EF%BC%90%EF%BC%92%EF%BC%91230223/",  # full-width digits
        "/api/v1/canopy/021230223%2F..%2F021230222/",
    ],
)
def test_bad_quadkeys_are_400_without_an_upstream_request(client, simulator, path):
    for method in (client.get, client.head):
        response = method(path, HTTP_RANGE="bytes=0-99")
        assert response.status_code == 400, (path, response.status_code)
    assert client.get(path).json()["error"]["code"] == "invalid"
    assert simulator.stats()["canopy"]["requests"] == 0


def test_missing_tile_is_404_remembered_and_not_cached(client, simulator):
    url = "/api/v1/canopy/333300000/"
    response = client.get(url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "upstream_not_found"
    assert client.head(url).status_code == 404
    assert simulator.stats()["canopy"]["requests"] == 1  # the 404 is remembered for a while
    assert get_valkey().exists(range_proxy.meta_key("333300000")) == 0
    assert block_keys() == []


@pytest.mark.parametrize("mode, status", [("500", 502), ("429", 502), ("hang", 504)])
def test_upstream_failures_are_5xx_and_cache_nothing(client, simulator, mode, status):
    simulator.fail("canopy", mode)
    response = client.get(URL, HTTP_RANGE="bytes=0-99")
    assert response.status_code == status
    assert response.json()["error"]["code"].startswith("upstream_")
    assert response["Cache-Control"] == "no-store"
    assert get_valkey().exists(range_proxy.meta_key(QUADKEY)) == 0
    assert block_keys() == []
    assert get_valkey().zcard(f"{budgets.limit_prefix('canopy')}slots") == 0
    simulator.reset()
    assert client.get(URL, HTTP_RANGE="bytes=0-99").status_code == 206


def test_while_the_bucket_is_down_it_is_not_asked_and_one_probe_brings_it_back(client, simulator, settings):
    simulator.fail("canopy", "500")
    for _ in range(settings.UPSTREAM_BREAKER_FAILURES - 1):
        assert client.get(URL, HTTP_RANGE="bytes=0-99").status_code == 502
    # The failure that takes it down is answered as the outage it starts.
    assert client.get(URL, HTTP_RANGE="bytes=0-99").status_code == 503
    assert len(canopy_log(simulator)) == settings.UPSTREAM_BREAKER_FAILURES
    # The breaker the workers' canopy fetches use is now open.
    assert health.state_of("canopy")["state"] == "down"

    for request in (lambda: client.get(URL, HTTP_RANGE="bytes=0-99"), lambda: client.head(URL)):
        down = request()
        assert down.status_code == 503
        assert down["Cache-Control"] == "no-store"
        assert 1 <= int(down["Retry-After"]) <= settings.UPSTREAM_BREAKER_MAX_COOL_OFF + 1
    error = client.get(URL, HTTP_RANGE="bytes=0-99").json()["error"]
    assert error["code"] == "upstream_unavailable"
    assert error["message"].startswith("The canopy height map is not answering; please try again after ")
    assert len(canopy_log(simulator)) == settings.UPSTREAM_BREAKER_FAILURES  # S3 was not asked

    simulator.reset()
    deadline = time.monotonic() + settings.UPSTREAM_BREAKER_MAX_COOL_OFF + 5
    while (answer := client.get(URL, HTTP_RANGE="bytes=0-99")).status_code == 503:
        assert time.monotonic() < deadline, "the breaker did not let a probe through after its cool-off"
        time.sleep(0.1)
    assert answer.status_code == 206
    assert health.state_of("canopy")["state"] == "up"
    # The probe (the HEAD), then the bytes.
    assert [entry["method"] for entry in canopy_log(simulator)] == ["HEAD", "GET"]


def test_a_busy_slot_does_not_count_as_a_bucket_failure(client, simulator, tile, settings):
    settings.CANOPY_MAX_CONCURRENT = 0  # every request finds the S3 slots taken
    for _ in range(settings.UPSTREAM_BREAKER_FAILURES + 1):
        busy = client.get(URL, HTTP_RANGE="bytes=0-99")
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "upstream_busy"
    assert health.state_of("canopy")["state"] == "up"
    assert canopy_log(simulator) == []


def test_a_block_fetch_failure_caches_no_block(client, simulator, tile):
    assert client.head(URL).status_code == 200
    simulator.fail("canopy", "500", times=1)
    assert client.get(URL, HTTP_RANGE="bytes=0-99").status_code == 502
    assert block_keys() == []
    assert client.get(URL, HTTP_RANGE="bytes=0-99").content == tile.body[:100]


def test_concurrent_misses_of_the_same_block_fetch_it_once(simulator, tile):
    assert APIClient().head(URL).status_code == 200
    simulator.set_latency(0.3, upstream="canopy")

    def read(start):
        response = APIClient().get(URL, HTTP_RANGE=f"bytes={start}-{start + 999}")
        return response.status_code, response.content

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(read, [BLOCK + 1000 * i for i in range(6)]))
    assert [status for status, _ in results] == [206] * 6
    for i, (_, content) in enumerate(results):
        assert content == tile.body[BLOCK + 1000 * i : BLOCK + 1000 * i + 1000]
    gets = [entry for entry in canopy_log(simulator) if entry["method"] == "GET"]
    assert [entry["range"] for entry in gets] == [f"bytes={BLOCK}-{2 * BLOCK - 1}"]


def test_ranges_that_reach_the_upstream_count_against_the_fetch_limit(client, simulator, tile, settings):
    settings.PROXY_FETCH_RATE = "2/min"
    assert client.get(URL, HTTP_RANGE="bytes=0-99").status_code == 206  # fetches block 0
    assert client.get(URL, HTTP_RANGE=f"bytes={BLOCK}-{BLOCK + 99}").status_code == 206  # block 1
    refused = client.get(URL, HTTP_RANGE=f"bytes={2 * BLOCK}-{2 * BLOCK + 99}")  # block 2: a third fetch
    assert refused.status_code == 429
    fetched = [e for e in canopy_log(simulator) if e["method"] == "GET"]
    assert len(fetched) == 2
    # Cached bytes are not limited by it.
    assert client.get(URL, HTTP_RANGE="bytes=10-20").status_code == 206


def test_concurrent_heads_of_one_tile_make_one_upstream_head(simulator, tile):
    # Slow enough that, each asking S3, they would fill its 4 slots and some get 503.
    simulator.set_latency(1.5, upstream="canopy")
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: APIClient().head(URL), range(8)))
    assert [response.status_code for response in responses] == [200] * 8
    assert {int(response["Content-Length"]) for response in responses} == {tile.size}
    assert {response["ETag"] for response in responses} == {tile.etag}
    assert [entry["method"] for entry in canopy_log(simulator)] == ["HEAD"]
    assert get_valkey().zcard(f"{budgets.limit_prefix('canopy')}slots") == 0


def test_waiters_on_a_failed_head_get_its_error_and_the_next_request_asks_again(simulator, tile):
    simulator.set_latency(0.5, upstream="canopy")
    simulator.fail("canopy", "500", times=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: APIClient().head(URL), range(4)))
    assert [response.status_code for response in responses] == [502] * 4
    assert len(canopy_log(simulator)) == 1
    assert get_valkey().exists(range_proxy.meta_key(QUADKEY)) == 0
    assert APIClient().head(URL).status_code == 200  # a transient failure is not remembered
    assert len(canopy_log(simulator)) == 2


def test_heads_of_tiles_not_cached_count_against_the_fetch_limit(client, simulator, settings):
    settings.PROXY_FETCH_RATE = "3/min"
    quadkeys = ["021230220", "021230221", "021230222", "021230223", "021230230"]
    statuses = [client.head(f"/api/v1/canopy/{quadkey}/").status_code for quadkey in quadkeys]
    assert statuses[:3] == [200] * 3
    assert statuses[3:] == [429, 429]
    assert [entry["method"] for entry in canopy_log(simulator)] == ["HEAD"] * 3
    # A tile whose metadata is cached is not limited by it, and a GET of it
    # that reaches S3 for its bytes counts once.
    assert client.head(f"/api/v1/canopy/{quadkeys[0]}/").status_code == 200
    settings.PROXY_FETCH_RATE = "6/min"  # 5 counted so far (the refused ones too, as for misses)
    assert client.get(f"/api/v1/canopy/{quadkeys[0]}/", HTTP_RANGE="bytes=0-99").status_code == 206
    assert client.get(f"/api/v1/canopy/{quadkeys[1]}/", HTTP_RANGE="bytes=0-99").status_code == 429
