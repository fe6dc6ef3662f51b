"""Deterministic data served by the upstream simulator.

Everything here is a pure function of its arguments (no clock, no randomness,
no process-seeded ``hash()``), so tests of other modules can compute what the
simulator will answer.

Open-Meteo
    ``grid_cell`` snaps a point to the centre of its 0.1 degree cell
    (``x.x5``), like the reanalysis grid of the real archive API.
    ``daily_series`` gives the cell's daily max/min 2 m temperatures and
    precipitation from ``climate.py``: weather around climate normals
    interpolated from a table of real stations (``climate.STATIONS``), with
    realistic frost dates and annual lowest minima, and a few ``None`` values.
    ``cell_elevation`` is the cell's elevation in that interpolation.

Overpass
    ``buildings_in_bbox`` returns the elements of
    ``(way["building"](s,w,n,e);); out body; >; out skel qt;`` over the
    simulated town of ``world.py``: houses and garages on residential lots,
    larger buildings on other blocks, never on a street. Way and node ids
    derive from the building's place in the town's grid, so the same building
    has the same ids whatever box asks for it.

Canopy
    ``canopy_height(quadkey, row, col, size)`` is the uint8 height of a pixel
    of a ``size``-pixel tile, ``canopy_array`` the whole raster: the town's
    trees (``world.canopy_at``) sampled at the pixels' centres.
    ``quadkey_bounds`` gives a quadkey's tile in EPSG:3857 metres and
    ``quadkey_for`` the quadkey of a point. ``canopy_tile_exists``: every
    9-digit quadkey exists except those starting with ``MISSING_QUADKEY_PREFIX``
    ("3333", the far south-east corner of the world: open ocean and
    Antarctica, where the real data set has no tiles).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from . import climate, world

# --- Open-Meteo ----------------------------------------------------------------

GRID_STEP = 0.1
DAILY_VARIABLES = ("temperature_2m_max", "temperature_2m_min", "temperature_2m_mean", "precipitation_sum")
DAILY_UNITS = {
    "temperature_2m_max": "°C",
    "temperature_2m_min": "°C",
    "temperature_2m_mean": "°C",
    "precipitation_sum": "mm",
}


def _cell_index(value: float, lowest: int, highest: int) -> int:
    # round() first so that 37.7 (37.699999...) lands in cell 377, not 376.
    index = math.floor(round(value / GRID_STEP, 9))
    return max(lowest, min(highest, index))


def grid_cell(lat: float, lng: float) -> tuple[float, float]:
    """Centre of the 0.1 degree grid cell holding (lat, lng), rounded to 2 decimals."""
    i = _cell_index(lat, -900, 899)
    j = _cell_index(lng, -1800, 1799)
    return round(i * GRID_STEP + GRID_STEP / 2, 2), round(j * GRID_STEP + GRID_STEP / 2, 2)


def cell_elevation(lat: float, lng: float) -> float:
    """Elevation (m) the simulator reports for the grid cell of (lat, lng)."""
    return float(climate.normals_for(*grid_cell(lat, lng)).elevation)


def daily_series(lat: float, lng: float, start: date, end: date) -> dict[str, list]:
    """Daily ``time``, ``temperature_2m_max``, ``temperature_2m_min``, ``temperature_2m_mean``
    (°C) and ``precipitation_sum`` (mm) for the grid cell of (lat, lng), start..end inclusive."""
    series = climate.daily_series(*grid_cell(lat, lng), start, end)
    series["temperature_2m_mean"] = [
        None if hi is None or lo is None else round((hi + lo) / 2, 1)
        for hi, lo in zip(series["temperature_2m_max"], series["temperature_2m_min"], strict=True)
    ]
    return series


def daily_temperatures(
    lat: float, lng: float, start: date, end: date
) -> tuple[list[str], list[float | None], list[float | None]]:
    """Daily (times, tmax, tmin) for the grid cell of (lat, lng), start..end inclusive."""
    series = climate.daily_series(*grid_cell(lat, lng), start, end)
    return series["time"], series["temperature_2m_max"], series["temperature_2m_min"]


def timezone_for(lng: float) -> tuple[str, int, str]:
    """The (IANA name, utc_offset_seconds, abbreviation) ``timezone=auto`` resolves to."""
    hours = max(-12, min(12, round(lng / 15)))
    if hours == 0:
        return "GMT", 0, "GMT"
    # Etc/GMT names have the sign reversed: UTC+3 is Etc/GMT-3.
    name = f"Etc/GMT{-hours:+d}"
    return name, hours * 3600, f"{hours:+03d}"


def weighted_calls(variables: int, days: int) -> float:
    """Open-Meteo's weight of one request for one location."""
    return max(1.0, (variables / 10) * (days / 14))


# --- Overpass ------------------------------------------------------------------

building_way_id = world.building_way_id


def buildings_in_bbox(s: float, w: float, n: float, e: float) -> list[dict]:
    """Overpass elements: the buildings with a node inside the box (ways, by id), then their nodes."""
    return world.buildings_in_bbox(s, w, n, e)


# --- Canopy --------------------------------------------------------------------

CANOPY_ZOOM = 9
MISSING_QUADKEY_PREFIX = "3333"
WEB_MERCATOR_HALF = 20037508.342789244  # metres, half the world's width in EPSG:3857
_MAX_LAT = 85.05112878


def _quadkey_valid(quadkey: str) -> bool:
    return len(quadkey) > 0 and all(ch in "0123" for ch in quadkey)


def quadkey_tile(quadkey: str) -> tuple[int, int, int]:
    """(x, y, zoom) of a Bing quadkey."""
    if not _quadkey_valid(quadkey):
        raise ValueError(f"not a quadkey: {quadkey!r}")
    x = y = 0
    for digit in quadkey:
        d = int(digit)
        x = (x << 1) | (d & 1)
        y = (y << 1) | (d >> 1)
    return x, y, len(quadkey)


def quadkey_bounds(quadkey: str) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the quadkey's tile in EPSG:3857 metres."""
    x, y, zoom = quadkey_tile(quadkey)
    size = 2 * WEB_MERCATOR_HALF / (1 << zoom)
    minx = -WEB_MERCATOR_HALF + x * size
    maxy = WEB_MERCATOR_HALF - y * size
    return minx, maxy - size, minx + size, maxy


def quadkey_for(lat: float, lng: float, zoom: int = CANOPY_ZOOM) -> str:
    """The Bing quadkey of the tile holding (lat, lng) at ``zoom``."""
    lat = max(-_MAX_LAT, min(_MAX_LAT, lat))
    n = 1 << zoom
    x = int((lng + 180.0) / 360.0 * n)
    sin_lat = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)) * n)
    x = max(0, min(n - 1, x))
    y = max(0, min(n - 1, y))
    digits = []
    for level in range(zoom, 0, -1):
        mask = 1 << (level - 1)
        digits.append(str((1 if x & mask else 0) + (2 if y & mask else 0)))
    return "".join(digits)


def canopy_tile_exists(quadkey: str) -> bool:
    """Whether the simulated bucket holds ``chm/{quadkey}.tif``."""
    return (
        len(quadkey) == CANOPY_ZOOM
        and _quadkey_valid(quadkey)
        and not quadkey.startswith(MISSING_QUADKEY_PREFIX)
    )


def _pixel_centres(quadkey: str, rows, cols, size: int):
    minx, _, maxx, maxy = quadkey_bounds(quadkey)
    pixel = (maxx - minx) / size
    return minx + (np.asarray(cols) + 0.5) * pixel, maxy - (np.asarray(rows) + 0.5) * pixel


def canopy_height(quadkey: str, row, col, size: int):
    """Canopy height (m, uint8) of pixel (row, col) of the quadkey's tile of ``size`` pixels
    (the world's at the pixel's centre); rows and columns may be arrays."""
    x, y = _pixel_centres(quadkey, row, col, size)
    heights = world.canopy_at(x, y)
    return int(heights) if heights.ndim == 0 else heights


def canopy_rows(quadkey: str, size: int, first: int, stop: int) -> np.ndarray:
    """Rows ``first`` to ``stop - 1`` of the quadkey's tile of ``size`` pixels (``canopy_height`` there)."""
    x, y = _pixel_centres(quadkey, np.arange(first, stop)[:, None], np.arange(size)[None, :], size)
    return world.canopy_at(*np.broadcast_arrays(x, y))


def canopy_array(quadkey: str, size: int) -> np.ndarray:
    """The whole ``size`` x ``size`` raster of the quadkey's tile (``canopy_height`` everywhere)."""
    index = np.arange(size)
    x, y = _pixel_centres(quadkey, index[:, None], index[None, :], size)
    return world.canopy_at(*np.broadcast_arrays(x, y))
