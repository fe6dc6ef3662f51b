"""The simulated town: buildings, streets and trees agree, and the canopy leaves gardens in the sun.

Buildings come from the Overpass answer, streets from the basemap tile (decoded
with GDAL's PNG driver) and trees from the canopy sampled at points computed
here from the footprints: three routes that must describe one town.
"""

import math

import numpy as np
import pytest

from backend_django.devtools.simulator import basemap, world
from backend_django.devtools.simulator.data import buildings_in_bbox

from .conftest import decode_png

RADIUS = 6378137.0
# Points in towns of several climates and latitudes.
PLACES = {
    "Portland": (45.5231, -122.6765),
    "Berlin": (52.52, 13.405),
    "Sydney": (-33.87, 151.21),
    "Singapore": (1.29, 103.85),
    "Springfield": (39.80, -89.65),
    "Tromsø": (69.65, 18.95),
}


def mercator(lat, lng):
    lat = np.radians(np.asarray(lat, dtype=float))
    return np.radians(np.asarray(lng, dtype=float)) * RADIUS, np.log(np.tan(np.pi / 4 + lat / 2)) * RADIUS


def ground_grid(lat, lng, half_m, step_m):
    """EPSG:3857 points every ``step_m`` ground metres over a square of ``2 * half_m`` around a point."""
    x, y = mercator(lat, lng)
    scale = 1 / math.cos(math.radians(lat))  # Mercator metres per ground metre
    offsets = np.arange(-half_m, half_m, step_m) * scale
    return np.meshgrid(x + offsets, y + offsets)


def footprints(elements):
    nodes = {el["id"]: (el["lat"], el["lon"]) for el in elements if el["type"] == "node"}
    for way in (el for el in elements if el["type"] == "way"):
        ring = [nodes[node_id] for node_id in way["nodes"]]
        lats = [lat for lat, _ in ring]
        lngs = [lng for _, lng in ring]
        yield way, min(lats), min(lngs), max(lats), max(lngs)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_canopy_covers_a_fifth_to_two_fifths_of_the_ground(place):
    # A square kilometre at 2 m steps (250,000 points).
    xs, ys = ground_grid(*PLACES[place], half_m=500, step_m=2)
    share = float((world.canopy_at(xs, ys) > 0).mean())
    assert 0.20 <= share <= 0.40, share


def test_buildings_are_rectangles_off_the_streets_as_the_basemap_draws_them():
    z = 18
    lat, lng = PLACES["Portland"]
    n = 1 << z
    tx = int((lng + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    rgb = decode_png(basemap.basemap_png(z, tx, ty))
    assert rgb.shape == (256, 256, 3)
    colours = {
        name: np.array(basemap.PALETTE[index]) for name, index in (("road", 2), ("verge", 3), ("major", 12))
    }
    street = np.zeros(rgb.shape[:2], dtype=bool)
    for colour in colours.values():
        street |= (rgb == colour).all(axis=2)
    building = (rgb == basemap.PALETTE[8]).all(axis=2)
    assert street.mean() > 0.05 and building.mean() > 0.05

    # The tile's corners in degrees, computed here.
    def lng_of(px):
        return px / n * 360 - 180

    def lat_of(py):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / n))))

    west, east = lng_of(tx), lng_of(tx + 1)
    north, south = lat_of(ty), lat_of(ty + 1)
    elements = buildings_in_bbox(south, west, north, east)
    checked = 0
    for way, s, w, nn, e in footprints(elements):
        nodes = [el for el in elements if el["type"] == "node" and el["id"] in way["nodes"]]
        assert len(way["nodes"]) == 5 and len(nodes) == 4  # closed rectangles
        # Pixels whose centre lies inside the footprint (a pixel is ~0.4 m here).
        cols = np.arange(256)
        centre_lng = west + (cols + 0.5) / 256 * (east - west)
        centre_lat = np.array([lat_of(ty + (row + 0.5) / 256) for row in range(256)])
        inside = (centre_lat[:, None] > s) & (centre_lat[:, None] < nn) & (centre_lng > w) & (centre_lng < e)
        if not inside.any():
            continue
        assert not (inside & street).any(), way["id"]
        assert building[inside].all(), way["id"]
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("place", ["Portland", "Berlin", "Sydney"])
def test_no_tree_inside_a_building_and_a_sunny_garden_next_to_each_house(place):
    lat, lng = PLACES[place]
    elements = buildings_in_bbox(lat - 0.002, lng - 0.003, lat + 0.002, lng + 0.003)
    boxes = list(footprints(elements))
    assert len(boxes) > 50
    sunny_houses = houses = 0
    for way, s, w, n, e in boxes:
        # A grid of points inside the footprint, 0.5 m from its walls: no canopy there.
        lats = np.linspace(s, n, 7)[1:-1]
        lngs = np.linspace(w, e, 7)[1:-1]
        xs, ys = mercator(*np.meshgrid(lats, lngs))
        assert not world.canopy_at(xs, ys).any(), way["id"]
        if way["tags"]["building"] not in ("house", "detached", "semidetached_house"):
            continue
        houses += 1
        # Behind or beside the house, within 25 m of it: a 4 m x 4 m square of open ground.
        lat_c, lng_c = (s + n) / 2, (w + e) / 2
        xs, ys = ground_grid(lat_c, lng_c, half_m=25, step_m=1)
        canopy = world.canopy_at(xs, ys)
        classes, _ = world.sample(xs, ys)
        open_ground = (canopy == 0) & (classes == world.GARDEN)
        windows = np.lib.stride_tricks.sliding_window_view(open_ground, (4, 4))
        if windows.all(axis=(2, 3)).any():
            sunny_houses += 1
    assert houses >= 20
    assert sunny_houses >= 0.9 * houses


def test_buildings_and_streets_are_deterministic_and_water_is_empty():
    box = (45.52, -122.68, 45.523, -122.676)
    assert buildings_in_bbox(*box) == buildings_in_bbox(*box)
    # The open Pacific (one of the geocoder's seas): no buildings, no trees.
    assert buildings_in_bbox(-20.003, -150.003, -20.0, -150.0) == []
    xs, ys = ground_grid(-20.0, -150.0, half_m=200, step_m=5)
    classes, canopy = world.sample(xs, ys)
    assert (classes == world.WATER).all() and not canopy.any()


def test_the_basemap_png_decodes_identically_with_gdal():
    rgb = decode_png(basemap.basemap_png(16, 10435, 23439))
    assert (rgb == basemap.PALETTE[basemap.basemap_indices(16, 10435, 23439)]).all()
