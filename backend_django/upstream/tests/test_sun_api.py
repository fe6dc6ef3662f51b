"""The sun endpoints end to end: the API, a real Celery worker, real Valkey and the simulator.

The site's inputs (buildings cells from Overpass, the canopy window from the
S3 tiles) are not cached at first: the sun job fetches them through their own
kinds, then computes. Values are checked against the GeoTIFF read with
rasterio and the footprints from the buildings cells, not against the code
that answers.
"""

import json
import time

import numpy as np
import pytest
from rasterio.io import MemoryFile
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.testing.http_cache import cache_control
from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import buildings, sun
from backend_django.upstream.kinds.sun import kind as sun_kind

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LAT, LNG = 45.5231, -122.6765
SITE = sun.site_snap(lat=LAT, lng=LNG)
UNIT = SITE.unit
SUMMARY_UNIT = sun_kind.summary_unit(UNIT)
INPUTS = sun.site_input_units(site=SITE)


@pytest.fixture
def client():
    return APIClient()


def wait_for_job(client: APIClient, location: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(location).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job at {location} did not finish in {timeout} s")


def computed(client, simulator) -> dict:
    """Ask the summary, wait for its job: the site's data as a worker computed it."""
    response = client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})
    assert response.status_code == 202, response.content
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job
    return job


def hit(client, path: str, **params):
    response = client.get(path, {"lat": LAT, "lng": LNG, **params})
    assert response.status_code == 200, response.content
    return response


def test_a_miss_fetches_the_inputs_through_their_kinds_then_every_endpoint_hits(
    client, simulator, celery_worker_process
):
    response = client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "sun"
    site_lat, site_lng = UNIT.split(":")[1:]
    assert job["result_url"] == f"/api/v1/sun/summary/?lat={site_lat}&lng={site_lng}"
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert wait_for_job(client, response["Location"])["status"] == "succeeded"

    # The inputs came from the upstreams, each once, and are cached as their own kinds.
    stats = simulator.stats()
    assert stats["overpass"]["requests"] == len(INPUTS.buildings) >= 1
    assert stats["canopy"]["requests"] >= 1
    assert all(store.read(unit).state() == "fresh" for unit in INPUTS.units)
    assert stats["open_meteo"]["requests"] == 0  # the climate is not an input

    summary = hit(client, "/api/v1/sun/summary/")
    assert summary["X-Cache"] == "HIT" and summary["Content-Type"] == "application/json"
    body = summary.json()
    assert body["site"] == {"latitude": SITE.lat, "longitude": SITE.lng, "unit": UNIT}
    assert set(body["inputs"]) == set(INPUTS.units)
    assert body["inputs"] == {unit: store.read(unit).etag for unit in INPUTS.units}
    assert [month["month"] for month in body["months"]] == list(range(1, 13))
    assert body["timezone"] is None  # no climate cached: the solar offset stood in

    raster = hit(client, "/api/v1/sun/")
    assert raster["Content-Type"] == "image/tiff" and raster["X-Cache"] == "HIT"
    assert "Content-Encoding" not in raster
    with MemoryFile(raster.content) as memfile, memfile.open() as dataset:
        assert dataset.count == 12 and dataset.crs.to_string() == "EPSG:4326"
        tenths = dataset.read()
        row, col = dataset.index(LNG, LAT)
    # The site's ground mean in July, from the raster itself, matches the summary.
    footprints = footprints_mask(raster.content)
    july = tenths[6][~footprints & (tenths[6] != 255)] / 10
    assert body["months"][6]["mean"] == pytest.approx(july.mean(), abs=0.01)

    point = hit(client, "/api/v1/sun/point/")
    assert point["X-Cache"] == "HIT" and point["Content-Type"] == "application/json"
    spot = point.json()
    assert spot["latitude"] == LAT and spot["longitude"] == LNG
    assert spot["site"] == body["site"]
    assert [month["hours"] for month in spot["months"]] == [
        round(tenths[m, row, col] / 10, 1) for m in range(12)
    ]
    for month in spot["months"]:
        hours = month["hours"]
        expected = (
            "full_sun"
            if hours >= 6
            else "part_sun"
            if hours >= 4
            else "part_shade"
            if hours >= 2
            else "shade"
        )
        assert month["light"] == expected
    assert spot["roof"] is bool(footprints[row, col])
    assert simulator.stats()["overpass"]["requests"] == len(INPUTS.buildings)  # hits ask nothing


def footprints_mask(tiff: bytes) -> np.ndarray:
    """Cells of the raster whose centre lies inside a building way of the cached cells
    (ray casting here, independent of the rasterising in the code under test)."""
    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        transform, height, width = dataset.transform, dataset.height, dataset.width
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xs = transform.c + cols * transform.a
    ys = transform.f + rows * transform.e
    inside = np.zeros((height, width), dtype=bool)
    west, north = transform.c, transform.f
    east, south = west + width * transform.a, north + height * transform.e
    for unit in INPUTS.buildings:
        payload = store.read(unit).json()
        nodes = payload["nodes"]
        for way in payload["ways"]:
            ring = np.array([nodes[str(node_id)] for node_id in way["nodes"]])  # [lat, lon]
            lats, lngs = ring[:, 0], ring[:, 1]
            if lngs.max() < west or lngs.min() > east or lats.max() < south or lats.min() > north:
                continue
            crossing = np.zeros_like(inside)
            for k in range(len(ring) - 1):
                y0, x0, y1, x1 = lats[k], lngs[k], lats[k + 1], lngs[k + 1]
                if y0 == y1:
                    continue
                spans = (ys >= min(y0, y1)) & (ys < max(y0, y1))
                x_at = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
                crossing ^= spans & (xs < x_at)
            inside |= crossing
    return inside


def test_a_spot_on_a_roof_says_so(client, simulator, celery_worker_process):
    computed(client, simulator)
    raster = hit(client, "/api/v1/sun/").content
    footprints = footprints_mask(raster)
    assert footprints.any() and not footprints.all(), "the simulator's Portland has buildings in the square"
    with MemoryFile(raster) as memfile, memfile.open() as dataset:
        transform = dataset.transform
    # A cell well inside a footprint (all 8 neighbours too) and one well outside any.
    core = footprints.copy()
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            core &= np.roll(np.roll(footprints, dr, 0), dc, 1)
    open_ground = ~footprints
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            open_ground &= ~np.roll(np.roll(footprints, dr, 0), dc, 1)
    # Only spots that snap to this site (within half a site step of it).
    cols, rows = np.meshgrid(np.arange(footprints.shape[1]) + 0.5, np.arange(footprints.shape[0]) + 0.5)
    lngs, lats = transform.c + cols * transform.a, transform.f + rows * transform.e
    half = sun.parameters_from_settings().site_grid_degrees / 2 * 0.9
    same_site = (np.abs(lats - SITE.lat) < half) & (np.abs(lngs - SITE.lng) < half)
    for mask, expected in ((core & same_site, True), (open_ground & same_site, False)):
        assert mask.any(), expected
        row, col = (int(v) for v in np.argwhere(mask)[len(np.argwhere(mask)) // 2])
        lng, lat = float(lngs[row, col]), float(lats[row, col])
        spot = hit(client, "/api/v1/sun/point/", lat=round(lat, 6), lng=round(lng, 6)).json()
        assert spot["roof"] is expected, (row, col)


def test_etags_and_304(client, simulator, celery_worker_process):
    computed(client, simulator)
    for path in ("/api/v1/sun/", "/api/v1/sun/summary/", "/api/v1/sun/point/"):
        first = hit(client, path)
        again = client.get(path, {"lat": LAT, "lng": LNG}, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"], path
        assert cache_control(first)["max-age"] > 3600
    assert hit(client, "/api/v1/sun/")["ETag"] == store.read(UNIT).etag
    assert hit(client, "/api/v1/sun/summary/")["ETag"] == store.read(SUMMARY_UNIT).etag
    # Two spots of one site: one raster, two answers with their own ETags.
    other = hit(client, "/api/v1/sun/point/", lat=LAT + 0.0001)
    assert other["ETag"] != hit(client, "/api/v1/sun/point/")["ETag"]
    assert other.json()["site"]["unit"] == UNIT


def wait_for_hit(client, path: str, timeout: float = 90):
    def fresh():
        response = client.get(path, {"lat": LAT, "lng": LNG})
        return response.status_code == 200 and response["X-Cache"] == "HIT" and response

    return wait_until(fresh, timeout=timeout)


def test_a_changed_input_makes_it_stale_and_a_refresh_recomputes(client, simulator, celery_worker_process):
    computed(client, simulator)
    before = hit(client, "/api/v1/sun/summary/")
    tiff_before = hit(client, "/api/v1/sun/").content
    # A buildings refresh that finds fewer buildings (one way gone) in the cell under the site.
    cell = buildings.cell_unit(*buildings.cells_for_bbox(LAT, LNG, LAT, LNG)[0])
    payload = store.read(cell).json()
    assert payload["ways"]
    payload["ways"] = [way for way in payload["ways"] if way["id"] != largest_way_near_site(payload)["id"]]
    store.write([buildings.KIND.entry(cell, buildings.encode(payload))])
    new_etag = store.read(cell).etag

    stale = client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE"
    assert stale["ETag"] == before["ETag"]
    after = wait_for_hit(client, "/api/v1/sun/summary/")
    assert after["ETag"] != before["ETag"]
    assert after.json()["inputs"][cell] == new_etag
    assert hit(client, "/api/v1/sun/").content != tiff_before  # a building fewer: more sun somewhere
    assert simulator.stats()["overpass"]["requests"] == len(INPUTS.buildings)  # the inputs were not refetched


def largest_way_near_site(payload: dict) -> dict:
    def distance(way):
        lat, lng = payload["nodes"][str(way["nodes"][0])]
        return abs(lat - SITE.lat) + abs(lng - SITE.lng)

    return min(payload["ways"], key=distance)


def test_unchanged_inputs_renew_it_without_recomputing(client, simulator, celery_worker_process):
    computed(client, simulator)
    before = hit(client, "/api/v1/sun/summary/")
    tiff_before = store.read(UNIT)
    # Time passes: the inputs and the site stop being fresh.
    client_valkey = get_valkey()
    for unit in [*INPUTS.units, UNIT, SUMMARY_UNIT]:
        client_valkey.hset(store.entry_key(unit), "fu", f"{time.time() - 1:.3f}")
    stale = client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})
    assert stale["X-Cache"] == "STALE"
    after = wait_for_hit(client, "/api/v1/sun/summary/")
    # The inputs were fetched again (the simulator answers the same) ...
    assert simulator.stats()["overpass"]["requests"] == 2 * len(INPUTS.buildings)
    # ... so the stored result stands: same bytes, same ETags, renewed.
    assert after["ETag"] == before["ETag"] and after.content == before.content
    renewed = store.read(UNIT)
    assert renewed.etag == tiff_before.etag and renewed.body == tiff_before.body
    assert renewed.fresh_until > time.time() + 3600
    assert renewed.fresh_until == pytest.approx(
        min(store.read(u).fresh_until for u in INPUTS.units), abs=0.01
    )
    assert store.read(SUMMARY_UNIT).json() == json.loads(before.content)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 85.1, "lng": 0}, "lat"),
        ({"lat": -86, "lng": 0}, "lat"),
        ({"lat": 95, "lng": 0}, "lat"),
        ({"lat": 45, "lng": 181}, "lng"),
        ({"lat": "north", "lng": 0}, "lat"),
        ({"lng": 0}, "lat"),
        ({"lat": 45}, "lng"),
        ({"lat": "nan", "lng": 0}, "lat"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/sun/", "/api/v1/sun/summary/", "/api/v1/sun/point/"])
def test_bad_points_are_refused_with_400(client, simulator, path, params, field):
    response = client.get(path, params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"].startswith(field)
    assert not list(get_valkey().scan_iter(match="ss:job:*"))


def test_a_refused_input_is_remembered_for_the_site_too(client, simulator):
    store.remember_error(INPUTS.buildings[0], "upstream_rejected", "Overpass refused the query", 400)
    response = client.get("/api/v1/sun/", {"lat": LAT, "lng": LNG})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_rejected"
    assert not list(get_valkey().scan_iter(match="ss:job:*"))
    assert simulator.stats()["overpass"]["requests"] == 0


def test_no_refresh_storm_while_an_input_just_failed(client, simulator, celery_worker_process):
    # A stale site whose buildings cell failed to refresh a moment ago.
    store.write(
        [
            store.NewEntry(UNIT, b"II*\x00", "image/tiff", 0, 600, compress=False),
            store.NewEntry(SUMMARY_UNIT, b"{}", "application/json", 0, 600),
        ]
    )
    store.note_failure(INPUTS.buildings[-1])
    for _ in range(3):
        response = client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})
        assert response.status_code == 200 and response["X-Cache"] == "STALE"
    assert not list(get_valkey().scan_iter(match="ss:job:*"))
    # Once the cool-down is over, a stale answer queues the refresh.
    get_valkey().delete(f"{store.FAILED_PREFIX}{INPUTS.buildings[-1]}")
    assert client.get("/api/v1/sun/summary/", {"lat": LAT, "lng": LNG})["X-Cache"] == "STALE"
    (key,) = get_valkey().scan_iter(match="ss:job:*")
    job = wait_for_job(client, f"/api/v1/jobs/{key.decode().removeprefix('ss:job:')}/")
    assert job["status"] == "succeeded" and job["kind"] == "sun"
    assert wait_for_hit(client, "/api/v1/sun/summary/").json()["site"]["unit"] == UNIT  # recomputed
