"""Raster map tiles (XYZ, Web Mercator, 256 x 256 PNG) of the simulated world, and Terrarium tiles.

Basemap, by zoom:

- 14 and more: streets (roadway white, arterials along district borders
  yellow, verges grey), blocks by use (gardens,
  parks, fields, paved ground), building footprints, and the canopy in three
  greens by height: the world of ``world.sample`` at each pixel's centre;
- 12 and 13: streets (arterials yellow) and blocks by use, without buildings
  and trees;
- below 12: land and water (the districts whose centre is open sea) and a
  coarse grid of roads along district borders, at most one line every 24
  pixels.

Every street is at least one pixel wide. Terrarium tiles (zoom 0-15) hold the
elevation of ``terrain.elevation`` at each pixel's centre.
"""

from __future__ import annotations

import math

import numpy as np

from . import png, terrain, world

TILE = 256
MAX_ZOOM = 19
TERRARIUM_MAX_ZOOM = 15
DETAIL_ZOOM = 14
STREETS_ZOOM = 12

PALETTE = np.array(
    [
        (170, 211, 223),  # 0 water
        (242, 239, 233),  # 1 land (low zooms)
        (255, 255, 255),  # 2 roadway
        (222, 220, 214),  # 3 verge
        (224, 232, 210),  # 4 gardens
        (200, 235, 190),  # 5 park
        (238, 240, 213),  # 6 field
        (232, 228, 228),  # 7 paved
        (217, 208, 201),  # 8 building
        (174, 212, 156),  # 9 canopy below 10 m
        (140, 190, 126),  # 10 canopy 10-20 m
        (106, 163, 98),  # 11 canopy 20 m and more
        (250, 220, 160),  # 12 arterials, and roads at low zooms
        (226, 222, 216),  # 13 town (blocks at middle zooms)
    ],
    dtype=np.uint8,
)
_BY_CLASS = np.zeros(10, dtype=np.uint8)
_BY_CLASS[world.WATER] = 0
_BY_CLASS[world.ROAD] = 2
_BY_CLASS[world.VERGE] = 3
_BY_CLASS[world.GARDEN] = 4
_BY_CLASS[world.PARK] = 5
_BY_CLASS[world.FIELD] = 6
_BY_CLASS[world.PAVED] = 7
_BY_CLASS[world.BUILDING] = 8
_BY_CLASS[world.LAND] = 1
_BY_CLASS[world.MAJOR] = 12


def tile_valid(z: int, x: int, y: int, max_zoom: int) -> bool:
    return 0 <= z <= max_zoom and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def pixel_centres(z: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray, float]:
    """EPSG:3857 (x, y) of the centres of a tile's pixels (row 0 at the north), and the pixel size."""
    size = 2 * world.HALF / (1 << z)
    pixel = size / TILE
    offsets = (np.arange(TILE) + 0.5) * pixel
    xs = -world.HALF + x * size + offsets
    ys = world.HALF - y * size - offsets
    return np.broadcast_to(xs[None, :], (TILE, TILE)), np.broadcast_to(ys[:, None], (TILE, TILE)), pixel


def basemap_indices(z: int, x: int, y: int) -> np.ndarray:
    """The tile as (256, 256) palette indices."""
    xs, ys, pixel = pixel_centres(z, x, y)
    if z >= STREETS_ZOOM:
        classes, canopy = world.sample(xs, ys, detail=z >= DETAIL_ZOOM, min_half=pixel / 2)
        indices = _BY_CLASS[classes]
        if z < DETAIL_ZOOM:
            indices = np.where(classes == world.GARDEN, 13, indices).astype(np.uint8)
        trees = (canopy > 0) & (classes != world.BUILDING)
        shade = np.select([canopy >= 20, canopy >= 10], [11, 10], 9)
        return np.where(trees, shade, indices).astype(np.uint8)
    # Water where a district's centre is open sea, as the detailed zooms draw it.
    centre_x = (np.floor(xs / world.DISTRICT) + 0.5) * world.DISTRICT
    centre_y = (np.floor(ys / world.DISTRICT) + 0.5) * world.DISTRICT
    water = world.is_sea(*world.to_lnglat(centre_x, centre_y))
    step = world.DISTRICT * 2 ** max(0, math.ceil(math.log2(max(1e-9, 24 * pixel / world.DISTRICT))))
    road = (np.abs(xs - np.round(xs / step) * step) < pixel / 2) | (
        np.abs(ys - np.round(ys / step) * step) < pixel / 2
    )
    return np.select([water, road], [0, 12], 1).astype(np.uint8)


def basemap_png(z: int, x: int, y: int) -> bytes:
    return png.encode(basemap_indices(z, x, y), PALETTE)


def terrarium_png(z: int, x: int, y: int) -> bytes:
    xs, ys, _ = pixel_centres(z, x, y)
    lat, lng = world.to_lnglat(xs, ys)
    return png.encode(terrain.terrarium_rgb(terrain.elevation(lat, lng)))
