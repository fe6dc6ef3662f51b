"""Terrain: elevation tiles (Terrarium PNGs) for the ground and the horizon of a site.

A unit is ``dem:<z>/<x>/<y>``, one tile of the XYZ pyramid (Web Mercator,
256 x 256 pixels; zoom 15 is about 3.4 m a pixel at 45°), stored as fetched
(a PNG: compressed already) and kept TERRAIN_FRESH_SECONDS (a year: the data
changes rarely). The sun's site reads the tiles around it (kinds/sun/ground.py
says which: the highest zoom under the site and its margin, lower zooms for
the horizon up to TERRAIN_HORIZON_M away), so a plan's prefetch fills them
as the sun's inputs.

The tile arithmetic here is the slippy-map one (OpenStreetMap's wiki, "Slippy
map tilenames"): at zoom z the world is 2^z tiles a side, x from the
antimeridian eastwards, y from the north.
"""

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from .. import guards
from ..cache.store import Entry, NewEntry
from ..clients import terrain as client
from .base import Kind

UNIT_PREFIX = "dem:"
TILE = client.TILE_SIZE
MAX_LAT = 85.05112878


def unit_for(z: int, x: int, y: int) -> str:
    return f"{UNIT_PREFIX}{z}/{x}/{y}"


def tile_of(unit: str) -> tuple[int, int, int]:
    z, x, y = unit.removeprefix(UNIT_PREFIX).split("/")
    return int(z), int(x), int(y)


def world_pixels(lat: ArrayLike, lng: ArrayLike, z: int) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) in the whole world's pixels at zoom ``z`` (fractional; a pixel's
    centre is at +0.5)."""
    size = TILE * 2**z
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)
    column = (np.asarray(lng, dtype=np.float64) + 180.0) / 360.0 * size
    row = (1.0 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2.0 * size
    return column, row


def tiles_covering(
    west: float, south: float, east: float, north: float, z: int
) -> list[tuple[int, int, int]]:
    """The tiles of zoom ``z`` that a box (degrees) touches, row by row."""
    (left, right), (top, bottom) = world_pixels([north, south], [west, east], z)
    last = 2**z - 1
    columns = range(max(0, int(left // TILE)), min(last, int(right // TILE)) + 1)
    rows = range(max(0, int(top // TILE)), min(last, int(bottom // TILE)) + 1)
    return [(z, x, y) for y in rows for x in columns]


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    z, x, y = tile_of(unit)
    with guards.request(client.UPSTREAM, pool=pool):
        png = client.fetch_tile(z, x, y)
    return [KIND.entry(unit, png)]


class Mosaic:
    """Elevations of a set of tiles of one zoom, sampled at any point (bilinear)."""

    def __init__(self, z: int, tiles: dict[tuple[int, int], np.ndarray]):
        self.z = z
        xs = [x for x, _ in tiles]
        ys = [y for _, y in tiles]
        self.x0, self.y0 = min(xs), min(ys)
        width, height = (max(xs) - self.x0 + 1) * TILE, (max(ys) - self.y0 + 1) * TILE
        self.heights = np.full((height, width), np.nan, dtype=np.float64)
        for (x, y), elevations in tiles.items():
            top, left = (y - self.y0) * TILE, (x - self.x0) * TILE
            self.heights[top : top + TILE, left : left + TILE] = elevations

    def sample(self, lat: ArrayLike, lng: ArrayLike) -> np.ndarray:
        """Elevation (m) at each point, interpolated between pixel centres; NaN off the mosaic."""
        column, row = world_pixels(lat, lng, self.z)
        u = column - self.x0 * TILE - 0.5
        v = row - self.y0 * TILE - 0.5
        height, width = self.heights.shape
        u = np.clip(u, 0.0, width - 1.0)
        v = np.clip(v, 0.0, height - 1.0)
        c0 = np.minimum(np.floor(u).astype(np.intp), width - 2) if width > 1 else np.zeros_like(u, np.intp)
        r0 = np.minimum(np.floor(v).astype(np.intp), height - 2) if height > 1 else np.zeros_like(v, np.intp)
        fu, fv = u - c0, v - r0
        h = self.heights
        c1, r1 = np.minimum(c0 + 1, width - 1), np.minimum(r0 + 1, height - 1)
        top = h[r0, c0] * (1 - fu) + h[r0, c1] * fu
        bottom = h[r1, c0] * (1 - fu) + h[r1, c1] * fu
        return top * (1 - fv) + bottom * fv


def mosaic_of(units: list[str], entries: Mapping[str, Entry]) -> Mosaic:
    """The mosaic of these tiles (all of one zoom) from their stored entries."""
    tiles = {}
    z = None
    for unit in units:
        z, x, y = tile_of(unit)
        tiles[(x, y)] = client.decode(entries[unit].raw())
    assert z is not None
    return Mosaic(z, tiles)


KIND = Kind(
    name="terrain",
    unit_prefix=UNIT_PREFIX,
    upstream=client.UPSTREAM,
    label="Elevation tiles (terrain)",
    fresh_setting="TERRAIN_FRESH_SECONDS",
    stale_setting="TERRAIN_STALE_SECONDS",
    content_type="image/png",
    compress=False,  # a PNG is compressed already
    fetch=fetch_entries,
)
