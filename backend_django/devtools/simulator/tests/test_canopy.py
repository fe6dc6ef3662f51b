import re

import numpy as np
import pytest
import rasterio
import requests
from rasterio.io import MemoryFile
from rasterio.windows import Window

from backend_django.devtools.simulator.data import (
    canopy_array,
    canopy_height,
    canopy_tile_exists,
    quadkey_bounds,
    quadkey_for,
)
from backend_django.devtools.simulator.tiles import TileStore

from .conftest import CANOPY_SIZE

QUADKEY = "023010203"


def tile_url(sim, quadkey=QUADKEY):
    return f"{sim.base_url}/chm/{quadkey}.tif"


@pytest.fixture
def full_body(sim):
    body = requests.get(tile_url(sim), timeout=30).content
    sim.app.reset()
    return body


def test_quadkey_helpers():
    assert quadkey_for(37.77, -122.41) == "023010203"
    assert quadkey_for(0.0001, 0.0001, zoom=1) == "1"  # north-east
    assert quadkey_for(-0.0001, 0.0001, zoom=1) == "3"  # south-east
    assert quadkey_for(-85.0, 179.9, zoom=9) == "333333333"
    minx, miny, maxx, maxy = quadkey_bounds("0")
    assert (minx, maxy) == pytest.approx((-20037508.342789244, 20037508.342789244))
    assert (maxx, miny) == pytest.approx((0, 0), abs=1e-6)
    minx, miny, maxx, maxy = quadkey_bounds(QUADKEY)
    assert maxx - minx == pytest.approx(2 * 20037508.342789244 / 512)
    assert canopy_tile_exists(QUADKEY)
    assert not canopy_tile_exists("333301203")
    assert not canopy_tile_exists("02301020")  # 8 digits
    assert not canopy_tile_exists("023010204")
    heights = canopy_array(QUADKEY, 512)
    assert heights.dtype == np.uint8
    assert heights[300, 17] == canopy_height(QUADKEY, 300, 17, 512)
    assert (
        canopy_height(QUADKEY, np.array([300, 301]), np.array([17, 18]), 512) == heights[[300, 301], [17, 18]]
    ).all()
    assert heights.max() <= 40 and (heights == 0).any()


def test_head_like_s3(sim, full_body):
    response = requests.head(tile_url(sim), timeout=30)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(full_body) > CANOPY_SIZE * CANOPY_SIZE
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "image/tiff"
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.content == b""
    stats = sim.app.stats()["canopy"]
    assert stats["requests"] == 1 and stats["bytes_sent"] == 0
    assert stats["requests_log"][0]["method"] == "HEAD"


def test_range_requests(sim, full_body):
    size = len(full_body)
    etag = requests.head(tile_url(sim), timeout=30).headers["ETag"]
    cases = [
        ("bytes=0-15", 0, 15),
        ("bytes=1000-200999", 1000, 200999),
        (f"bytes={size - 10}-", size - 10, size - 1),
        ("bytes=-100", size - 100, size - 1),
        (f"bytes=5-{size + 1000}", 5, size - 1),  # clamped like S3
    ]
    for header, first, last in cases:
        response = requests.get(tile_url(sim), headers={"Range": header}, timeout=30)
        assert response.status_code == 206, header
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert int(response.headers["Content-Length"]) == last - first + 1
        assert response.headers["ETag"] == etag
        assert response.content == full_body[first : last + 1]
    stats = sim.app.stats()["canopy"]
    expected = sum(last - first + 1 for _, first, last in cases)
    assert stats["bytes_sent"] == expected
    assert stats["bytes_by_tile"] == {QUADKEY: expected}
    assert stats["requests_log"][1]["range"] == "bytes=0-15"
    assert stats["requests_log"][1]["status"] == 206


def test_unsatisfiable_range_and_whole_body(sim, full_body):
    size = len(full_body)
    response = requests.get(tile_url(sim), headers={"Range": f"bytes={size}-"}, timeout=30)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"
    assert "<Code>InvalidRange</Code>" in response.text
    response = requests.get(tile_url(sim), timeout=30)
    assert response.status_code == 200
    assert response.content == full_body
    # Multiple ranges are not supported by S3: the whole object.
    response = requests.get(tile_url(sim), headers={"Range": "bytes=0-1,5-6"}, timeout=30)
    assert response.status_code == 200
    assert len(response.content) == size
    etag = response.headers["ETag"]
    assert requests.get(tile_url(sim), headers={"If-None-Match": etag}, timeout=30).status_code == 304


def test_missing_tile_is_s3_no_such_key(sim):
    response = requests.get(tile_url(sim, "333301203"), timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/xml"
    assert (
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>" in response.text
    )
    assert "<Key>chm/333301203.tif</Key>" in response.text
    assert requests.head(tile_url(sim, "333301203"), timeout=30).status_code == 404
    assert requests.get(f"{sim.base_url}/chm/not-a-quadkey.tif", timeout=30).status_code == 404


def test_tiff_structure_and_values(full_body):
    with MemoryFile(full_body) as memfile, memfile.open() as dataset:
        check_dataset(dataset)


@pytest.mark.parametrize("quadkey", ["021230030", "120120120", "300000000"])
def test_tiles_rendered_row_by_row_are_whole_geotiffs(quadkey):
    """Rows are rendered when first read; the bytes still make one GeoTIFF, GDAL reads it whole."""
    tile = TileStore(256).get(quadkey)
    assert tile.read(10, 20) == tile.body[10:21]
    assert len(tile.body) == tile.size
    with MemoryFile(tile.body) as memfile, memfile.open() as dataset:
        assert tuple(dataset.bounds) == pytest.approx(quadkey_bounds(quadkey))
        assert (dataset.read(1) == canopy_array(quadkey, 256)).all()


def test_a_tile_is_a_town_with_trees_on_a_fifth_to_two_fifths_of_it(full_body):
    """Every pixel samples the town at its centre: the share of pixels with trees is the share of
    the ground under crowns, 20-40 %, and the trees are 5-30 m tall."""
    with MemoryFile(full_body) as memfile, memfile.open() as dataset:
        heights = dataset.read(1)
    trees = heights[heights > 0]
    assert 0.20 <= trees.size / heights.size <= 0.40
    assert 5 <= np.median(trees) <= 20 and trees.max() <= 30


def test_tiff_through_vsicurl(sim):
    env = rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", CPL_VSIL_CURL_ALLOWED_EXTENSIONS=".tif")
    with env, rasterio.open(f"/vsicurl/{tile_url(sim)}") as dataset:
        check_dataset(dataset)
        window = dataset.read(1, window=Window(600, 700, 50, 20))
    expected = np.array(
        [[canopy_height(QUADKEY, r, c, CANOPY_SIZE) for c in range(600, 650)] for r in range(700, 720)]
    )
    assert (window == expected).all()
    stats = sim.app.stats()["canopy"]
    # GDAL read ranges, not the whole file.
    assert any(entry["status"] == 206 for entry in stats["requests_log"])
    assert stats["bytes_sent"] < CANOPY_SIZE * CANOPY_SIZE


def check_dataset(dataset):
    assert dataset.count == 1
    assert dataset.dtypes == ("uint8",)
    assert dataset.crs.to_epsg() == 3857
    assert (dataset.width, dataset.height) == (CANOPY_SIZE, CANOPY_SIZE)
    assert tuple(dataset.bounds) == pytest.approx(quadkey_bounds(QUADKEY))
    assert dataset.block_shapes == [(1, CANOPY_SIZE)]
    assert dataset.profile["tiled"] is False
    assert dataset.nodata is None
    assert dataset.overviews(1) == []
    assert dataset.compression is None
    for row, col in [(0, 0), (10, 900), (513, 257), (CANOPY_SIZE - 1, CANOPY_SIZE - 1)]:
        value = dataset.read(1, window=Window(col, row, 1, 1))[0, 0]
        assert value == canopy_height(QUADKEY, row, col, CANOPY_SIZE)
