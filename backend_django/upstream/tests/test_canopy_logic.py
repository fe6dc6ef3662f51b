"""Canopy windows: the grid maths, and reading windows from the simulator's tiles."""

import math

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile

from backend_django.devtools.simulator import data as simdata
from backend_django.upstream.clients.http import UpstreamError
from backend_django.upstream.kinds.canopy import grid, window

PORTLAND = (45.5231, -122.6765)


def expected_value(x: float, y: float, size: int) -> int:
    """The simulator's canopy height at EPSG:3857 point (x, y), or 255 outside any tile."""
    half = grid.WEB_MERCATOR_HALF
    tx = math.floor((x + half) / grid.TILE_METRES)
    ty = math.floor((half - y) / grid.TILE_METRES)
    if not (0 <= tx < grid.TILES_PER_SIDE and 0 <= ty < grid.TILES_PER_SIDE):
        return window.NODATA
    quadkey = grid.quadkey_of_tile(tx, ty)
    if not simdata.canopy_tile_exists(quadkey):
        return window.NODATA
    pixel = grid.TILE_METRES / size
    col = math.floor((x + half - tx * grid.TILE_METRES) / pixel)
    row = math.floor((half - ty * grid.TILE_METRES - y) / pixel)
    return simdata.canopy_height(quadkey, row, col, size)


def check_against_pattern(tiff: bytes, size: int) -> np.ndarray:
    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        values = dataset.read(1)
        transform = dataset.transform
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            x, y = transform @ (col + 0.5, row + 0.5)
            assert values[row, col] == expected_value(x, y, size), (row, col)
    return values


def test_quadkeys_match_the_simulator():
    for lat, lng in [PORTLAND, (-33.9, 18.4), (0.0, 0.0), (64.1, -21.9), (-84.9, 179.9), (85.0, -180.0)]:
        assert grid.quadkey_for(lat, lng) == simdata.quadkey_for(lat, lng)
        quadkey = grid.quadkey_for(lat, lng)
        assert grid.quadkey_of_tile(*grid.tile_of_quadkey(quadkey)) == quadkey


def test_points_of_a_block_share_a_unit_and_the_window_covers_them(settings):
    block = grid.block_for(*PORTLAND)
    assert block.unit == grid.unit_for(*PORTLAND)
    assert block.unit.startswith(f"canopy:{simdata.quadkey_for(*PORTLAND)}:")
    assert grid.unit_for(*block.centre_lnglat()) == block.unit
    assert grid.parse_unit(block.unit) == block
    # ~76 m blocks: a point 10 m away is in the same block or a neighbour.
    nearby = grid.block_for(PORTLAND[0] + 0.00001, PORTLAND[1] + 0.00001)
    assert abs(nearby.row - block.row) <= 1 and abs(nearby.col - block.col) <= 1
    minx, miny, maxx, maxy = block.window_bounds()
    # Every point of the block has at least +/- 0.003° around it.
    for corner in ((0, 0), (0, 1), (1, 0), (1, 1)):
        size = grid.block_metres()
        cx, cy = block.centre()
        x = cx + (corner[0] - 0.5) * size * 0.999
        y = cy + (corner[1] - 0.5) * size * 0.999
        lat, lng = grid.to_lnglat(x, y)
        west, south = grid.to_mercator(lat - 0.003, lng - 0.003)
        east, north = grid.to_mercator(lat + 0.003, lng + 0.003)
        assert minx <= west and east <= maxx and miny <= south and north <= maxy
        assert grid.unit_for(lat, lng) == block.unit


def test_window_values_and_geotiff_format(simulator):
    unit = grid.unit_for(*PORTLAND)
    tiff = window.read_window(unit)
    values = check_against_pattern(tiff, simulator.canopy_size)
    assert values.shape[0] > 8 and values.shape[1] > 8
    assert len(set(values.flat)) > 0
    assert window.NODATA not in values
    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        assert dataset.crs.to_epsg() == 3857
        assert dataset.dtypes == ("uint8",)
        assert dataset.nodata == 255
        assert dataset.compression == rasterio.enums.Compression.deflate
        pixel = grid.TILE_METRES / simulator.canopy_size
        assert dataset.transform.a == pytest.approx(pixel)
        assert dataset.transform.e == pytest.approx(-pixel)
        left, bottom, right, top = dataset.bounds
    minx, miny, maxx, maxy = grid.parse_unit(unit).window_bounds()
    assert left <= minx < left + pixel and right - pixel < maxx <= right
    assert bottom <= miny < bottom + pixel and top - pixel < maxy <= top
    # Only a small part of the tile was read.
    stats = simulator.stats()["canopy"]
    tile_size = simulator.tiles.get(grid.parse_unit(unit).quadkey).size
    assert stats["bytes_sent"] < tile_size / 10
    assert all(entry["method"] == "HEAD" or entry["range"] for entry in stats["requests_log"])


def test_a_window_across_tile_corners_is_mosaicked(simulator):
    quadkey = simdata.quadkey_for(*PORTLAND)
    minx, _, _, maxy = simdata.quadkey_bounds(quadkey)
    lat, lng = grid.to_lnglat(minx + 5, maxy - 5)  # the tile's top-left block
    block = grid.block_for(lat, lng)
    assert (block.quadkey, block.row, block.col) == (quadkey, 0, 0)
    assert len(grid.tiles_touching(block.window_bounds())) == 4
    values = check_against_pattern(window.read_window(block.unit), simulator.canopy_size)
    assert window.NODATA not in values
    assert len(simulator.stats()["canopy"]["bytes_by_tile"]) == 4


def test_a_missing_neighbour_is_nodata(simulator):
    # Tile (479, 480) exists; its right neighbour (480, 480) starts with 3333 and does not.
    quadkey = grid.quadkey_of_tile(479, 480)
    assert simdata.canopy_tile_exists(quadkey)
    _, miny, maxx, maxy = simdata.quadkey_bounds(quadkey)
    lat, lng = grid.to_lnglat(maxx - 5, (miny + maxy) / 2)
    values = check_against_pattern(window.read_window(grid.unit_for(lat, lng)), simulator.canopy_size)
    assert window.NODATA in values
    assert (values != window.NODATA).any()


@pytest.mark.parametrize(
    "mode, code, transient",
    [
        ("404", "upstream_not_found", False),
        ("500", "upstream_unavailable", True),
        ("429", "upstream_unavailable", True),
    ],
)
def test_upstream_failures_become_upstream_errors(simulator, mode, code, transient):
    simulator.fail("canopy", mode)
    with pytest.raises(UpstreamError) as caught:
        window.read_window(grid.unit_for(*PORTLAND))
    assert caught.value.code == code
    assert caught.value.transient is transient
    # GDAL remembers nothing of the failure: the next read asks again and works.
    simulator.reset()
    assert window.read_window(grid.unit_for(*PORTLAND))


def test_a_tile_that_does_not_exist_is_not_found(simulator):
    lat, lng = grid.to_lnglat(*grid.parse_unit(f"canopy:{grid.quadkey_of_tile(500, 500)}:5:5").centre())
    assert grid.quadkey_for(lat, lng).startswith("3333")
    with pytest.raises(UpstreamError) as caught:
        window.read_window(grid.unit_for(lat, lng))
    assert caught.value.code == "upstream_not_found"
    assert not caught.value.transient
