"""The ground under and around a site: its elevations, slope and aspect, and the far horizon.

From the terrain kind's elevation tiles (kinds/terrain.py):

- under the site's grid (the square and its margin), the highest zoom
  (SITE_ZOOM, about 3.4 m a pixel at 45°) sampled at every cell's centre:
  the ground the surface model's buildings and trees stand on, so a slope
  shades itself and the cells below it;
- beyond the margin, the **horizon**: for each azimuth (every
  HORIZON_STEP_DEGREES) the highest elevation angle of the terrain seen from
  the site's centre, out to TERRAIN_HORIZON_M (20 km), from NEAR_ZOOM tiles
  up to NEAR_M and FAR_ZOOM tiles beyond; the earth's curvature lowers far
  terrain by (1 - k) d² / 2R (k = 0.13, standard refraction). The sun below
  the horizon is blocked for every cell of the square.

Elevation tiles model the ground as the data source measured it: where it
blends lidar surface models, tall trees and buildings are partly in it
(docs/sun.md, "What it ignores").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from numpy.typing import ArrayLike

from ...cache.store import Entry
from .. import terrain
from .site import Site, SiteGrid, metres_per_degree

SITE_ZOOM = 15
NEAR_ZOOM = 13
FAR_ZOOM = 10
NEAR_M = 3000.0  # the horizon nearer than this comes from NEAR_ZOOM tiles
NEAR_STEP_M = 10.0  # samples along an azimuth, near and far
FAR_STEP_M = 60.0
HORIZON_STEP_DEGREES = 2.0
REFRACTION = 0.13
EARTH_RADIUS_M = 6371008.8
FLAT_BELOW_DEGREES = 0.5  # a square sloping less has no aspect


@dataclass(frozen=True)
class TerrainUnits:
    """The elevation tiles a site reads, by use."""

    site: list[str]  # SITE_ZOOM, under the grid (square and margin)
    near: list[str]  # NEAR_ZOOM, the horizon up to NEAR_M
    far: list[str]  # FAR_ZOOM, beyond, up to TERRAIN_HORIZON_M

    @property
    def units(self) -> list[str]:
        return [*self.site, *self.near, *self.far]


def _box(lat: float, lng: float, reach_m: float) -> tuple[float, float, float, float]:
    per_lat, per_lng = metres_per_degree(lat)
    return (
        max(-180.0, lng - reach_m / per_lng),
        max(-85.0, lat - reach_m / per_lat),
        min(180.0, lng + reach_m / per_lng),
        min(85.0, lat + reach_m / per_lat),
    )


def terrain_units(*, site: Site, grid: SiteGrid) -> TerrainUnits:
    """The elevation tiles ``site`` needs (``grid``: its widest grid)."""

    def units(box: tuple[float, float, float, float], zoom: int) -> list[str]:
        west, south, east, north = box
        return [terrain.unit_for(*tile) for tile in terrain.tiles_covering(west, south, east, north, zoom)]

    return TerrainUnits(
        site=units(grid.bounds(with_margin=True), SITE_ZOOM),
        near=units(_box(site.lat, site.lng, NEAR_M), NEAR_ZOOM),
        far=units(_box(site.lat, site.lng, settings.TERRAIN_HORIZON_M), FAR_ZOOM),
    )


@dataclass(frozen=True)
class Ground:
    relative: np.ndarray  # float32 (size, size): ground above its lowest point in the grid, metres
    base_m: float  # elevation of that lowest point, metres above sea level
    elevation_m: float  # elevation at the site's centre
    slope_degrees: float  # of the square, from a plane fitted to its ground
    aspect_degrees: float | None  # which way the square faces (downhill; 0 north, 90 east); None if flat
    horizon_degrees: np.ndarray  # the terrain's elevation angle per azimuth bin (0, step, ...)

    def horizon_at(self, azimuth_degrees: ArrayLike) -> np.ndarray:
        """The horizon's elevation angle at each azimuth, interpolated between bins."""
        step = HORIZON_STEP_DEGREES
        position = (np.asarray(azimuth_degrees, dtype=np.float64) % 360.0) / step
        low = np.floor(position).astype(np.intp) % len(self.horizon_degrees)
        high = (low + 1) % len(self.horizon_degrees)
        fraction = position - np.floor(position)
        return self.horizon_degrees[low] * (1 - fraction) + self.horizon_degrees[high] * fraction

    def summary(self) -> dict:
        return {
            "elevation_m": round(self.elevation_m, 1),
            "slope_degrees": round(self.slope_degrees, 1),
            "aspect_degrees": None if self.aspect_degrees is None else round(self.aspect_degrees, 1),
            "horizon_step_degrees": HORIZON_STEP_DEGREES,
            "horizon_degrees": [round(float(value), 2) for value in self.horizon_degrees],
            "zooms": {"site": SITE_ZOOM, "near": NEAR_ZOOM, "far": FAR_ZOOM},
            "horizon_reach_m": settings.TERRAIN_HORIZON_M,
        }


def _cell_centres(grid: SiteGrid) -> tuple[np.ndarray, np.ndarray]:
    transform = grid.transform(with_margin=True)
    index = np.arange(grid.size) + 0.5
    lngs = transform.c + index * transform.a
    lats = transform.f + index * transform.e
    return np.meshgrid(lats, lngs, indexing="ij")


def _plane(ground: np.ndarray, cell_m: float) -> tuple[float, float | None]:
    """(slope, aspect) in degrees of the plane fitted to ``ground`` (rows north first)."""
    rows, cols = ground.shape
    north = -(np.arange(rows) - (rows - 1) / 2) * cell_m
    east = (np.arange(cols) - (cols - 1) / 2) * cell_m
    y, x = np.meshgrid(north, east, indexing="ij")
    design = np.column_stack([x.ravel(), y.ravel(), np.ones(x.size)])
    (a, b, _), *_ = np.linalg.lstsq(design, ground.ravel().astype(np.float64), rcond=None)
    slope = math.degrees(math.atan(math.hypot(a, b)))
    if slope < FLAT_BELOW_DEGREES:
        return slope, None
    return slope, math.degrees(math.atan2(-a, -b)) % 360.0  # downhill, clockwise from north


def horizon(
    *, lat: float, lng: float, observer_m: float, start_m: float, near: terrain.Mosaic, far: terrain.Mosaic
) -> np.ndarray:
    """The terrain's elevation angle (degrees) per azimuth bin, seen from (lat, lng) at
    ``observer_m``, for terrain from ``start_m`` out to TERRAIN_HORIZON_M."""
    azimuths = np.radians(np.arange(0.0, 360.0, HORIZON_STEP_DEGREES))
    per_lat, per_lng = metres_per_degree(lat)
    reach = float(settings.TERRAIN_HORIZON_M)
    best = np.full(len(azimuths), -90.0)
    for mosaic, first, last, step in (
        (near, start_m, min(NEAR_M, reach), NEAR_STEP_M),
        (far, NEAR_M, reach, FAR_STEP_M),
    ):
        if last <= first:
            continue
        distances = np.arange(first, last + step / 2, step)
        d, a = np.meshgrid(distances, azimuths)  # (azimuths, distances)
        heights = mosaic.sample(lat + d * np.cos(a) / per_lat, lng + d * np.sin(a) / per_lng)
        drop = (1 - REFRACTION) * d**2 / (2 * EARTH_RADIUS_M)
        angles = np.degrees(np.arctan2(heights - observer_m - drop, d))
        angles = np.where(np.isnan(angles), -90.0, angles)
        best = np.maximum(best, angles.max(axis=1))
    return best


def ground_build(*, site: Site, grid: SiteGrid, units: TerrainUnits, entries: Mapping[str, Entry]) -> Ground:
    """The ground of ``grid`` (the site's widest grid) and the site's horizon, from the tiles' entries."""
    lats, lngs = _cell_centres(grid)
    absolute = terrain.mosaic_of(units.site, entries).sample(lats, lngs)
    if np.isnan(absolute).any():  # a tile the data set lacks: the ground there is the rest's lowest
        absolute = np.where(np.isnan(absolute), np.nanmin(absolute), absolute)
    base = float(absolute.min())
    relative = (absolute - base).astype(np.float32)
    m, n = grid.margin, grid.cells
    square = absolute[m : m + n, m : m + n]
    centre = float(terrain.mosaic_of(units.site, entries).sample(site.lat, site.lng))
    slope, aspect = _plane(square, grid.cell_m)
    sky = horizon(
        lat=site.lat,
        lng=site.lng,
        observer_m=centre,
        start_m=(grid.margin + n / 2) * grid.cell_m,
        near=terrain.mosaic_of(units.near, entries),
        far=terrain.mosaic_of(units.far, entries),
    )
    return Ground(relative, base, centre, slope, aspect, sky)
