"""Basemap raster tiles and Terrarium elevation tiles, over HTTP, decoded by GDAL.

Terrarium elevations are checked against the terrain's documented geometry
(docs/upstream-simulator.md), computed here from the pixels' centres.
"""

import math
import re

import numpy as np
import pytest
import requests

from backend_django.devtools.simulator import SimulatorApp, basemap

from .conftest import decode_png

M_PER_DEGREE = math.pi * 6378137 / 180
RIDGE_POINT = (39.80, -89.65)
SLOPE_POINT = (39.80, -89.40)
PORTLAND = (45.5231, -122.6765)


def tile_of(lat, lng, z):
    n = 1 << z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def pixel_of(lat, lng, z):
    """(tile x, tile y, column, row) of the pixel holding a point."""
    n = 1 << z
    fx = (lng + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(fx), int(fy), int((fx % 1) * 256), int((fy % 1) * 256)


def centre_of(z, x, y, col, row):
    """(lat, lng) of a pixel's centre."""
    n = 1 << z
    lng = (x + (col + 0.5) / 256) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + (row + 0.5) / 256) / n))))
    return lat, lng


def elevations(body: bytes) -> np.ndarray:
    rgb = decode_png(body).astype(float)
    return rgb[..., 0] * 256 + rgb[..., 1] + rgb[..., 2] / 256 - 32768


def get(sim, path, **headers):
    return requests.get(f"{sim.base_url}{path}", headers=headers, timeout=30)


# --- the terrain, by hand ---------------------------------------------------------------


def ridge_by_hand(lat, lng, point, crest_south, height, half_width, half_length):
    north = (lat - point[0]) * M_PER_DEGREE
    east = (lng - point[1]) * M_PER_DEGREE * math.cos(math.radians(point[0]))
    across = abs(north + crest_south)
    beyond = max(0.0, abs(east) - half_length)
    return height * max(0.0, 1 - max(across, beyond) / half_width)


def terrain_by_hand(lat, lng):
    ridge = ridge_by_hand(lat, lng, RIDGE_POINT, 500, 150, 300, 4000)
    slope = ridge_by_hand(lat, lng, SLOPE_POINT, 250, 500 * math.tan(math.radians(20)), 500, 1000)
    return 180 + max(ridge, slope)


@pytest.mark.parametrize("point", [RIDGE_POINT, SLOPE_POINT])
def test_terrarium_tiles_hold_the_documented_terrain(sim, point):
    z = 15
    x, y, col, row = pixel_of(*point, z)
    response = get(sim, f"/terrarium/{z}/{x}/{y}.png")
    assert response.status_code == 200
    heights = elevations(response.content)
    assert heights.shape == (256, 256)
    expected = np.array(
        [[terrain_by_hand(*centre_of(z, x, y, c, r)) for c in range(256)] for r in range(256)]
    )
    # Rounded down to 1/256 m by the encoding.
    assert ((expected - heights) >= -1e-9).all() and ((expected - heights) < 1 / 256 + 1e-9).all()
    assert heights.max() > 180  # the feature is in the tile
    # At the test points themselves (within the pixel holding them, ~3.7 m at zoom 15).
    here = heights[row, col]
    if point == RIDGE_POINT:
        assert here == 180  # flat ground, 200 m north of the ridge's foot
    else:
        assert here == pytest.approx(
            180 + 500 * math.tan(math.radians(20)) - 250 * math.tan(math.radians(20)), abs=1.5
        )


def test_the_slope_is_20_degrees_facing_north_and_the_ridge_150_m_high(sim):
    z = 15
    x, y, col, row = pixel_of(*SLOPE_POINT, z)
    heights = elevations(get(sim, f"/terrarium/{z}/{x}/{y}.png").content)
    # The rows of the point's column on the flank (more than 10 m from its foot and crest).
    flank = [
        r
        for r in range(256)
        if 10 < (centre_of(z, x, y, col, r)[0] - SLOPE_POINT[0]) * M_PER_DEGREE + 250 < 490
    ]
    assert len(flank) >= 20
    north, south = flank[0], flank[-1]  # rows grow southwards
    rise = heights[south, col] - heights[north, col]
    run = (centre_of(z, x, y, col, north)[0] - centre_of(z, x, y, col, south)[0]) * M_PER_DEGREE
    assert math.degrees(math.atan(rise / run)) == pytest.approx(
        20, abs=0.05
    )  # rising southwards: facing north
    # No slope east-west along the flank.
    assert abs(heights[flank[5], col + 20] - heights[flank[5], col - 20]) <= 1 / 256

    x, y, col, row = pixel_of(RIDGE_POINT[0] - 500 / M_PER_DEGREE, RIDGE_POINT[1], z)  # on the crest
    heights = elevations(get(sim, f"/terrarium/{z}/{x}/{y}.png").content)
    assert heights[row, col] == pytest.approx(330, abs=1.0)  # within half a pixel of the crest line


def test_terrarium_elsewhere_is_flat_at_180_m(sim):
    for z, (lat, lng) in [(0, (0, 0)), (10, PORTLAND), (15, PORTLAND)]:
        x, y = tile_of(lat, lng, z)
        assert (elevations(get(sim, f"/terrarium/{z}/{x}/{y}.png").content) == 180).all()


def test_terrarium_is_served_like_s3(sim):
    x, y = tile_of(*RIDGE_POINT, 12)
    path = f"/terrarium/12/{x}/{y}.png"
    head = requests.head(f"{sim.base_url}{path}", timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == "image/png"
    assert head.headers["Server"] == "AmazonS3"
    assert head.headers["Accept-Ranges"] == "bytes"
    assert re.fullmatch(r'"[0-9a-f]{32}"', head.headers["ETag"])
    whole = get(sim, path)
    assert whole.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert int(head.headers["Content-Length"]) == len(whole.content)
    part = get(sim, path, Range="bytes=0-99")
    assert part.status_code == 206 and part.content == whole.content[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.content)}"
    assert get(sim, path, **{"If-None-Match": head.headers["ETag"]}).status_code == 304
    for missing in (
        "/terrarium/16/0/0.png",
        "/terrarium/3/8/0.png",
        "/terrarium/3/0/8.png",
        "/terrarium/a/b/c.png",
    ):
        response = get(sim, missing)
        assert response.status_code == 404, missing
        assert "<Code>NoSuchKey</Code>" in response.text
        assert f"<Key>{missing.lstrip('/')}</Key>" in response.text
    stats = sim.app.stats()["terrain"]
    assert stats["requests"] == 8 and stats["not_modified"] == 1
    assert stats["bytes_sent"] == len(whole.content) + 100


# --- basemap ---------------------------------------------------------------------------

COLOURS = {name: tuple(basemap.PALETTE[index]) for name, index in (
    ("water", 0), ("land", 1), ("road", 2), ("verge", 3), ("garden", 4), ("park", 5), ("building", 8),
    ("low_road", 12), ("tree_low", 9), ("tree_mid", 10), ("tree_high", 11),
)}  # fmt: skip


def colours_in(rgb: np.ndarray) -> set[str]:
    found = {tuple(int(v) for v in colour) for colour in np.unique(rgb.reshape(-1, 3), axis=0)}
    return {name for name, colour in COLOURS.items() if tuple(int(v) for v in colour) in found}


def test_a_street_level_tile_draws_the_town(sim):
    x, y = tile_of(*PORTLAND, 17)
    response = get(sim, f"/basemap/17/{x}/{y}.png", **{"User-Agent": "solar-sim-tests"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert "max-age=" in response.headers["Cache-Control"]
    assert response.headers["Expires"].endswith("GMT")
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    rgb = decode_png(response.content)
    assert rgb.shape == (256, 256, 3)
    assert {"road", "verge", "garden", "building"} <= colours_in(rgb)
    assert colours_in(rgb) & {"tree_low", "tree_mid", "tree_high"}


def test_low_zooms_show_land_water_and_a_coarse_road_grid(sim):
    rgb = decode_png(get(sim, "/basemap/2/0/2.png").content)  # the South Pacific and South America
    assert {"water", "land", "low_road"} <= colours_in(rgb)
    # The pixel at 20° S 150° W is open sea; the one at Portland is land.
    _, _, col, row = pixel_of(-20.0, -150.0, 2)
    assert tuple(rgb[row, col]) == COLOURS["water"]
    x, y, col, row = pixel_of(*PORTLAND, 5)
    assert tuple(decode_png(get(sim, f"/basemap/5/{x}/{y}.png").content)[row, col]) in (
        COLOURS["land"],
        COLOURS["low_road"],
    )


def test_basemap_caching_headers_304_and_404(sim):
    x, y = tile_of(*PORTLAND, 15)
    path = f"/basemap/15/{x}/{y}.png"
    first = get(sim, path)
    again = get(sim, path, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert get(sim, path, **{"If-None-Match": '"other"'}).status_code == 200
    head = requests.head(f"{sim.base_url}{path}", timeout=30)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(first.content)
    missing_tiles = ("20/0/0.png", "4/16/0.png", "4/0/16.png", "4/-1/0.png", "4/0/0.jpg")
    for missing in (f"/basemap/{tile}" for tile in missing_tiles):
        assert get(sim, missing).status_code == 404, missing
    stats = sim.app.stats()["basemap"]
    assert stats["not_modified"] == 1 and stats["requests"] == 9
    assert stats["bytes_sent"] == 2 * len(first.content)


def test_tiles_are_the_same_bytes_from_another_simulator():
    first, second = SimulatorApp(canopy_size=256), SimulatorApp(canopy_size=256)
    for kind, z, point in (("basemap", 16, PORTLAND), ("terrain", 15, RIDGE_POINT)):
        tile = (z, *tile_of(*point, z))
        assert first.png_tiles[kind].get(*tile) == second.png_tiles[kind].get(*tile)


def test_basemap_failure_modes(sim):
    x, y = tile_of(*PORTLAND, 14)
    path = f"/basemap/14/{x}/{y}.png"
    for mode, status, text in (
        ("429", 429, "Too Many Requests"),
        ("403", 403, "blocked"),
        ("500", 500, "Error"),
    ):
        sim.app.fail("basemap", mode, times=1)
        response = get(sim, path)
        assert response.status_code == status and text in response.text
        assert response.headers["Content-Type"].startswith("text/html")
    sim.app.fail("basemap", "html", times=1)
    response = get(sim, path)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    good = get(sim, path)
    sim.app.fail("basemap", "garbage", times=1)
    junk = get(sim, path)
    assert junk.status_code == 200 and len(junk.content) == len(good.content) and junk.content != good.content
    assert [entry["status"] for entry in sim.app.stats()["basemap"]["requests_log"]] == [
        429,
        403,
        500,
        200,
        200,
        200,
    ]


def test_terrarium_failure_modes(sim):
    path = "/terrarium/10/200/300.png"
    for mode, status, code in (
        ("403", 403, "AccessDenied"),
        ("404", 404, "NoSuchKey"),
        ("429", 503, "SlowDown"),
        ("500", 500, "InternalError"),
    ):
        sim.app.fail("terrain", mode, times=1)
        response = get(sim, path)
        assert response.status_code == status and f"<Code>{code}</Code>" in response.text
        assert response.headers["Content-Type"] == "application/xml"
    assert get(sim, path).status_code == 200
