"""Sites, their parameters and their local metric grid (pure maths, no I/O).

A *site* is a point snapped to SUN_SITE_GRID_DEGREES, so that nearby plans
share one computation. Its raster is a square of SUN_SIZE_M metres centred on
the site, in cells of SUN_CELL_M metres; the surface model around it reaches
a margin further on every side.

The grid is axis-aligned in EPSG:4326 (longitude, latitude), with the cell
size in degrees chosen so that a cell is SUN_CELL_M metres on the ground at
the site's latitude (WGS84 metres per degree). Over a few hundred metres the
difference between this grid and a true local tangent plane is far below a
cell, and the raster can be laid over a map or the building footprints
(which are in degrees) with one affine transform.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import Any

from django.conf import settings

from backend_django.core.exceptions import ApplicationError

UNIT_PREFIX = "sun:"
# Bumped when the model changes what it computes: an entry made by another
# version is recomputed even when its inputs did not change.
MODEL_VERSION = 2  # 2: terrain (the ground under the site, the horizon around it)
# The days are taken in one fixed year so that the same inputs always give the
# same bytes (the sun's path moves by far less than a cell from year to year).
REFERENCE_YEAR = 2025
MAX_ABS_LATITUDE = 85.0  # as far as the canopy tiles (Web Mercator) reach
_METRES_PER_DEGREE_MAX = 111_700  # of latitude, near the poles (WGS84)

# WGS84
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)


@dataclass(frozen=True)
class SunParameters:
    """What a sun computation depends on besides its inputs (all from settings)."""

    site_grid_degrees: float
    size_m: float
    cell_m: float
    step_minutes: int
    min_altitude_degrees: float
    margin_max_m: float
    days: tuple[str, ...]  # "MM-DD", one per month, January first

    def __post_init__(self) -> None:
        if self.site_grid_degrees <= 0:
            raise ValueError("SUN_SITE_GRID_DEGREES must be positive")
        if self.cell_m <= 0 or self.size_m < self.cell_m:
            raise ValueError("SUN_CELL_M must be positive and at most SUN_SIZE_M")
        if self.site_grid_degrees * _METRES_PER_DEGREE_MAX >= self.size_m:
            # Otherwise a point could lie outside the square of the site it snaps to.
            raise ValueError("SUN_SITE_GRID_DEGREES must be smaller than the square (SUN_SIZE_M)")
        if self.step_minutes <= 0 or 1440 % self.step_minutes:
            raise ValueError("SUN_STEP_MINUTES must divide a day (1440 minutes)")
        if not -5 <= self.min_altitude_degrees < 90:
            raise ValueError("SUN_MIN_ALTITUDE_DEGREES must be between -5 and 90")
        if self.margin_max_m < 0:
            raise ValueError("SUN_MARGIN_MAX_M must not be negative")
        if len(self.days) != 12:
            raise ValueError("SUN_DAYS must list 12 days, one per month")
        for month, text in enumerate(self.days, start=1):
            day = date.fromisoformat(f"{REFERENCE_YEAR}-{text}")
            if day.month != month:
                raise ValueError(f"SUN_DAYS: {text} is not in month {month}")

    @property
    def cells(self) -> int:
        """Cells per side of the site's square."""
        return max(1, round(self.size_m / self.cell_m))

    def dates(self) -> list[date]:
        return [date.fromisoformat(f"{REFERENCE_YEAR}-{text}") for text in self.days]

    def as_dict(self) -> dict:
        values = asdict(self)
        values["days"] = list(self.days)
        return values


def parameters_from_settings() -> SunParameters:
    return SunParameters(
        site_grid_degrees=settings.SUN_SITE_GRID_DEGREES,
        size_m=settings.SUN_SIZE_M,
        cell_m=settings.SUN_CELL_M,
        step_minutes=settings.SUN_STEP_MINUTES,
        min_altitude_degrees=settings.SUN_MIN_ALTITUDE_DEGREES,
        margin_max_m=settings.SUN_MARGIN_MAX_M,
        days=tuple(part.strip() for part in settings.SUN_DAYS.split(",") if part.strip()),
    )


# --- sites -------------------------------------------------------------------


@cache
def _digits(step: float) -> int:
    """Decimals needed to write multiples of ``step`` exactly (0.0005 -> 4)."""
    for digits in range(12):
        if abs(round(step, digits) - step) < 1e-12:
            return digits
    return 12


@dataclass(frozen=True)
class Site:
    lat: float
    lng: float
    digits: int = 4

    @property
    def unit(self) -> str:
        return f"{UNIT_PREFIX}{self.lat:.{self.digits}f}:{self.lng:.{self.digits}f}"


def site_snap(*, lat: float, lng: float, parameters: SunParameters | None = None) -> Site:
    """The site a point belongs to: the point snapped to the site grid."""
    # Only the grid matters here: read it alone (a plans page snaps a hundred points).
    step = parameters.site_grid_degrees if parameters is not None else settings.SUN_SITE_GRID_DEGREES
    if not (math.isfinite(lat) and math.isfinite(lng)) or abs(lat) > 90 or abs(lng) > 180:
        raise ApplicationError("lat/lng: not a point on the Earth.", code="invalid")
    if abs(lat) > MAX_ABS_LATITUDE:
        raise ApplicationError(
            f"lat: sun and shade are computed up to {MAX_ABS_LATITUDE:g}° north and south.", code="invalid"
        )
    digits = _digits(step)
    # "+ 0.0" turns -0.0 into 0.0 so both sides of the equator share a unit.
    snapped_lat = round(round(lat / step) * step, digits) + 0.0
    snapped_lng = round(round(lng / step) * step, digits) + 0.0
    return Site(snapped_lat, snapped_lng, digits)


def site_from_unit(unit: str) -> Site:
    """The site of a ``sun:<lat>:<lng>`` unit."""
    prefix, lat, lng = unit.split(":")
    if prefix + ":" != UNIT_PREFIX:
        raise ValueError(f"not a sun unit: {unit!r}")
    digits = len(lat.partition(".")[2])
    return Site(float(lat), float(lng), digits)


# --- the local metric grid ---------------------------------------------------


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of latitude, of longitude) on the WGS84 ellipsoid at ``lat``."""
    phi = math.radians(lat)
    w = 1 - _E2 * math.sin(phi) ** 2
    meridian = _A * (1 - _E2) / w**1.5  # radius of curvature in the meridian
    normal = _A / math.sqrt(w)  # in the prime vertical
    return meridian * math.pi / 180, normal * math.cos(phi) * math.pi / 180


@dataclass(frozen=True)
class SiteGrid:
    """The site's square of ``cells`` x ``cells`` and a ``margin`` of cells around it.

    Row 0 is the northern edge, column 0 the western one (north-up, like the
    GeoTIFF). The full grid (square plus margin) has ``size`` cells a side.
    """

    lat: float
    lng: float
    cell_m: float
    cells: int
    margin: int

    @property
    def size(self) -> int:
        return self.cells + 2 * self.margin

    @property
    def degrees(self) -> tuple[float, float]:
        """(degrees of latitude, of longitude) of one cell."""
        per_lat, per_lng = metres_per_degree(self.lat)
        return self.cell_m / per_lat, self.cell_m / per_lng

    def transform(self, *, with_margin: bool) -> Any:  # rasterio's Affine (rasterio has no types)
        """The affine transform (EPSG:4326) of the square, or of the full grid."""
        from rasterio.transform import Affine

        dlat, dlng = self.degrees
        half = self.size / 2 if with_margin else self.cells / 2
        return Affine(dlng, 0.0, self.lng - half * dlng, 0.0, -dlat, self.lat + half * dlat)

    def bounds(self, *, with_margin: bool) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        dlat, dlng = self.degrees
        half = self.size / 2 if with_margin else self.cells / 2
        return self.lng - half * dlng, self.lat - half * dlat, self.lng + half * dlng, self.lat + half * dlat

    def with_margin(self, margin: int) -> SiteGrid:
        return SiteGrid(self.lat, self.lng, self.cell_m, self.cells, margin)


def site_grid(*, site: Site, parameters: SunParameters, margin_m: float | None = None) -> SiteGrid:
    """The site's grid with ``margin_m`` (default: the largest, SUN_MARGIN_MAX_M) around it."""
    margin_m = parameters.margin_max_m if margin_m is None else margin_m
    return SiteGrid(
        site.lat,
        site.lng,
        parameters.cell_m,
        parameters.cells,
        math.ceil(margin_m / parameters.cell_m - 1e-9),
    )


def margin_choose(*, tallest_m: float, parameters: SunParameters) -> float:
    """Metres of surface model the longest shadow that counts needs around the square.

    The longest shadow is that of the tallest obstacle with the sun at the
    minimum altitude: tallest / tan(min altitude), capped at SUN_MARGIN_MAX_M
    (and the whole cap when the minimum altitude is at or below the horizon).
    """
    if tallest_m <= 0:
        return 0.0
    if parameters.min_altitude_degrees <= 0:
        return parameters.margin_max_m
    longest = tallest_m / math.tan(math.radians(parameters.min_altitude_degrees))
    return min(parameters.margin_max_m, longest)
