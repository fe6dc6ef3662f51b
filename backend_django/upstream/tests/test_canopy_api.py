"""Canopy endpoints end to end: API, real Celery worker, real Valkey, the simulator."""

import math
import time

import numpy as np
import pytest
from django.conf import settings
from rasterio.io import MemoryFile
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.devtools.simulator import data as simdata
from backend_django.testing.clock import run_out_persons_wait
from backend_django.testing.http_cache import assert_hit, assert_stale
from backend_django.upstream.cache import store
from backend_django.upstream.guards import budgets
from backend_django.upstream.kinds.canopy import grid

from .test_proxy_api import entry_keys, wait_for_job

PORTLAND = (45.5231, -122.6765)


@pytest.fixture
def client():
    return APIClient()


def fetch(client, lat, lng, **headers):
    return client.get("/api/v1/canopy/", {"lat": lat, "lng": lng}, **headers)


def tile_bytes(simulator, quadkey: str) -> int:
    return simulator.tiles.get(quadkey).size


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_window_miss_job_then_geotiff_hit(client, simulator, celery_worker_process):
    response = fetch(client, *PORTLAND)
    assert response.status_code == 202, response.content
    job = response.json()
    block = grid.block_for(*PORTLAND)
    assert job["progress"] == {"done": 0, "total": 1}
    assert job["result_url"].startswith("/api/v1/canopy/?lat=45.")
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job

    stats = simulator.stats()["canopy"]
    assert stats["bytes_sent"] < tile_bytes(simulator, block.quadkey) / 10
    assert set(stats["bytes_by_tile"]) == {block.quadkey}

    hit = client.get(job["result_url"], HTTP_ACCEPT_ENCODING="gzip")
    assert hit.status_code == 200 and hit["X-Cache"] == "HIT"
    assert hit["Content-Type"] == "image/tiff"
    assert "Content-Encoding" not in hit  # deflate inside the TIFF; not gzipped again
    assert_hit(hit, max_age=(364 * 86400, 365 * 86400), stale_window=settings.CANOPY_STALE_SECONDS)
    with MemoryFile(hit.content) as memfile, memfile.open() as dataset:
        values = dataset.read(1)
        transform = dataset.transform
        assert dataset.crs.to_epsg() == 3857 and dataset.nodata == 255
    pixel = grid.TILE_METRES / simulator.canopy_size
    minx, _, _, maxy = simdata.quadkey_bounds(block.quadkey)
    for row, col in [(0, 0), (values.shape[0] // 2, values.shape[1] // 2), (-1, -1)]:
        x, y = transform @ (col % values.shape[1] + 0.5, row % values.shape[0] + 0.5)
        source_row, source_col = math.floor((maxy - y) / pixel), math.floor((x - minx) / pixel)
        assert values[row, col] == simdata.canopy_height(
            block.quadkey, source_row, source_col, simulator.canopy_size
        )
    assert np.unique(values).size > 1

    # A nearby point of the same block, and a client without gzip: same entry, no upstream bytes.
    lat, lng = block.centre_lnglat()
    again = fetch(client, lat + 0.00001, lng - 0.00001)
    assert again.status_code == 200 and again["X-Cache"] == "HIT"
    assert again.content == hit.content and again["ETag"] == hit["ETag"]
    assert simulator.stats()["canopy"]["bytes_sent"] == stats["bytes_sent"]
    assert simulator.stats()["canopy"]["requests"] == stats["requests"]
    assert fetch(client, *PORTLAND, HTTP_IF_NONE_MATCH=hit["ETag"]).status_code == 304


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_missing_tile_fails_the_job_is_remembered_and_caches_nothing(
    client, simulator, celery_worker_process
):
    lat, lng = -84.9, 175.0
    assert grid.quadkey_for(lat, lng).startswith("3333")
    job = wait_for_job(client, fetch(client, lat, lng)["Location"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "upstream_not_found", job
    assert entry_keys() == []
    requests_before = simulator.stats()["canopy"]["requests"]
    again = fetch(client, lat, lng)
    assert again.status_code == 502
    assert again.json()["error"]["code"] == "upstream_not_found"
    assert simulator.stats()["canopy"]["requests"] == requests_before


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["500", "429"])
def test_upstream_5xx_fails_the_job_and_caches_nothing(client, simulator, celery_worker_process, mode):
    simulator.fail("canopy", mode)
    location = fetch(client, *PORTLAND)["Location"]
    run_out_persons_wait(location)  # the clock moves on, not slept
    job = wait_for_job(client, location)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "upstream_unavailable", job
    assert entry_keys() == []
    assert store.remembered_error(grid.unit_for(*PORTLAND)) is None
    assert get_valkey().zcard(f"{budgets.limit_prefix('canopy')}slots") == 0  # the lease was given back


@pytest.mark.parametrize(
    "params",
    [{"lat": "nan", "lng": "10"}, {"lat": "91", "lng": "10"}, {"lng": "10"}, {"lat": "1", "lng": "x"}],
)
def test_bad_points_are_refused(client, simulator, params):
    response = client.get("/api/v1/canopy/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert simulator.stats()["canopy"]["requests"] == 0
    assert list(get_valkey().scan_iter(match="ss:job:*")) == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_stale_window_is_served_then_refreshed(client, simulator, celery_worker_process):
    job = wait_for_job(client, fetch(client, *PORTLAND)["Location"])
    assert job["status"] == "succeeded"
    unit = grid.unit_for(*PORTLAND)
    first = store.read(unit)
    get_valkey().hset(store.entry_key(unit), "fu", time.time() - 10)
    requests_before = simulator.stats()["canopy"]["requests"]

    stale = fetch(client, *PORTLAND)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"
    assert_stale(stale, stale_until=first.stale_until)
    assert stale.content == first.body
    deadline = time.monotonic() + 30
    while store.read(unit).state() != "fresh":
        assert time.monotonic() < deadline, "the stale window was not refreshed"
        time.sleep(0.05)
    assert simulator.stats()["canopy"]["requests"] > requests_before
    assert store.read(unit).etag == first.etag  # same tile, same window bytes
