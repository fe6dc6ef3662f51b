"""Buildings boxes stored once (boxes.py): a buildings hit is one stored entry that follows its cells.

End to end: the API, a real Celery worker, real Valkey and the simulated
Overpass. What the box holds is checked against GeoJSON assembled
independently from the simulator's own buildings.
"""

import gzip
import json
import time

import pytest
from rest_framework.test import APIClient

from backend_django.devtools.simulator import data as simdata
from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import boxes, buildings

from .test_proxy_api import BBOX, BBOX_TEXT, expected_way_ids, upstream_requests, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UNIT = boxes.box_unit(BBOX)
CELLS = [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(*BBOX)]


@pytest.fixture
def client():
    return APIClient()


def fill(client) -> dict:
    response = client.get("/api/v1/buildings/", {"bbox": BBOX_TEXT})
    assert response.status_code == 202
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job
    return job


def independent_collection(bbox) -> dict:
    """The box's GeoJSON from the simulator's buildings, not from the cache."""
    payload = buildings.cell_payload({"elements": simdata.buildings_in_bbox(*bbox)})
    return buildings.feature_collection([payload], bbox)


def test_a_buildings_hit_sends_the_one_stored_entry(
    client, simulator, celery_worker_process, valkey_commands
):
    job = fill(client)
    assert job["progress"] == {"done": len(CELLS), "total": len(CELLS)}  # the cells, from Overpass
    assert store.read(UNIT) is None  # the box is built by the next request...
    first = client.get(job["result_url"], HTTP_ACCEPT_ENCODING="gzip")
    assert first.status_code == 200 and first["X-Cache"] == "MISS"  # built in this request
    entry = store.read(UNIT)
    assert entry is not None
    # ...and sent as stored: the gzip bytes of the one entry.
    assert first["Content-Encoding"] == "gzip" and first.content == entry.body
    assert first["ETag"] == entry.etag
    collection = json.loads(gzip.decompress(first.content))
    expected = independent_collection(BBOX)
    assert {f["properties"]["osm_id"] for f in collection["features"]} == expected_way_ids(BBOX)
    assert sorted(collection["features"], key=lambda f: f["properties"]["osm_id"]) == sorted(
        expected["features"], key=lambda f: f["properties"]["osm_id"]
    )
    # Fresh exactly as long as its cells.
    cells = [store.read(cell) for cell in CELLS]
    assert entry.fresh_until == pytest.approx(min(cell.fresh_until for cell in cells), abs=1)

    # A repeated hit: one Lua call at most (none from a tracked copy), never the cells.
    for _ in range(3):
        sent_before = len(valkey_commands)
        again = client.get(job["result_url"], HTTP_ACCEPT_ENCODING="gzip")
        assert again.status_code == 200 and again.content == entry.body
        assert valkey_commands[sent_before:] in ([], ["EVALSHA"])
    # Without gzip: the same JSON, decompressed.
    assert json.loads(client.get(job["result_url"]).content) == collection
    assert upstream_requests(simulator, "overpass") == len(CELLS)


def test_a_box_whose_cells_are_cached_is_built_in_the_request(client, simulator, celery_worker_process):
    fill(client)
    inner = (BBOX[0] + 0.0005, BBOX[1] + 0.0005, BBOX[2] - 0.0005, BBOX[3] - 0.0005)
    response = client.get("/api/v1/buildings/", {"bbox": ",".join(map(str, inner))})
    assert response.status_code == 200 and response["X-Cache"] == "MISS"
    assert store.read(boxes.box_unit(inner)) is not None
    assert {f["properties"]["osm_id"] for f in response.json()["features"]} == expected_way_ids(inner)
    assert upstream_requests(simulator, "overpass") == len(CELLS)


def test_the_box_follows_its_cells(client, simulator, celery_worker_process):
    job = fill(client)
    first = client.get(job["result_url"])
    assert first["X-Cache"] == "MISS"
    entry = store.read(UNIT)

    # A cell rewritten with the same bytes (a refresh that found nothing new): the box stays fresh.
    cell = CELLS[0]
    store.write([buildings.KIND.entry(cell, store.read(cell).raw())])
    assert store.read(UNIT).state() == "fresh" and store.read(UNIT).etag == entry.etag

    # A cell whose buildings changed (one way gone, a way of that cell alone): the box is stale at once...
    ways_before = {f["properties"]["osm_id"] for f in first.json()["features"]}
    payloads = {unit: store.read(unit).json() for unit in CELLS}
    cells_of_way: dict[int, list[str]] = {}
    for unit, payload in payloads.items():
        for way in payload["ways"]:
            cells_of_way.setdefault(way["id"], []).append(unit)
    gone = next(way for way, units in sorted(cells_of_way.items()) if len(units) == 1 and way in ways_before)
    cell = cells_of_way[gone][0]
    changed = dict(payloads[cell], ways=[way for way in payloads[cell]["ways"] if way["id"] != gone])
    store.write([buildings.KIND.entry(cell, buildings.encode(changed))])
    assert store.read(UNIT).state() == "stale"
    stale = client.get(job["result_url"])
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"
    assert stale.content == first.content  # served while it is recomputed

    # ...recomputed by the refresh job from the changed cell (the fresh cells are not fetched again).
    requests_before = upstream_requests(simulator, "overpass")
    wait_until(lambda: store.read(UNIT).state() == "fresh", "the box recomputed", timeout=30)
    refreshed = client.get(job["result_url"])
    assert refreshed["X-Cache"] == "HIT" and refreshed["ETag"] != entry.etag
    ways_after = {f["properties"]["osm_id"] for f in refreshed.json()["features"]}
    assert ways_after == ways_before - {gone}
    assert upstream_requests(simulator, "overpass") == requests_before
    assert time.time() < store.read(UNIT).fresh_until
