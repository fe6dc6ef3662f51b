"""Deterministic data served by the upstream simulator.

Everything here is a pure function of its arguments (no clock, no randomness,
no process-seeded ``hash()``), so tests of other modules can compute what the
simulator will answer.

Open-Meteo
    ``grid_cell`` snaps a point to the centre of its 0.1 degree cell
    (``x.x5``), like the reanalysis grid of the real archive API.
    ``daily_temperatures`` gives daily max/min 2 m temperatures for that cell:
    a seasonal sine by latitude (southern hemisphere reversed, colder and with a
    larger amplitude towards the poles, colder with elevation), a per-year and a
    per-day anomaly from a hash of (cell, date), and a few ``None`` values.
    Points with ``|lat| < 18`` never frost; from about ``|lat| > 27`` every
    winter has frost; around ``|lat|`` 20-25 some winters do and some do not
    (e.g. (22.0, 10.0): 9 of 29 winters).

Overpass
    ``buildings_in_bbox`` returns the elements of
    ``(way["building"](s,w,n,e);); out body; >; out skel qt;`` over a world of
    rectangular buildings on a global grid of ``BUILDING_PITCH`` degrees. Way
    and node ids derive from the global grid indices, so the same building has
    the same ids whatever box asks for it. Some slots are empty; buildings may
    spill up to ``BUILDING_SPILL`` degrees below/left of their slot, so some
    cross the 0.01 degree cell lines.

Canopy
    ``canopy_height(quadkey, row, col)`` is the uint8 height of a pixel,
    ``canopy_array`` the whole raster. ``quadkey_bounds`` gives a quadkey's
    tile in EPSG:3857 metres and ``quadkey_for`` the quadkey of a point.
    ``canopy_tile_exists``: every 9-digit quadkey exists except those starting
    with ``MISSING_QUADKEY_PREFIX`` ("3333", the far south-east corner of the
    world: open ocean and Antarctica, where the real data set has no tiles).
"""

from __future__ import annotations

import hashlib
import math
import struct
from datetime import date, timedelta

import numpy as np

# --- hashing -------------------------------------------------------------------


def _digest(*parts: object) -> bytes:
    text = "|".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _unit(value: int, bits: int = 32) -> float:
    """Map an unsigned integer to [0, 1)."""
    return value / float(1 << bits)


# --- Open-Meteo ----------------------------------------------------------------

GRID_STEP = 0.1
DAILY_VARIABLES = ("temperature_2m_max", "temperature_2m_min", "temperature_2m_mean")


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
    lat_c, lng_c = grid_cell(lat, lng)
    (value,) = struct.unpack("<I", _digest("elev", f"{lat_c:.2f}", f"{lng_c:.2f}")[:4])
    return float(value % 600)


def _cell_climate(lat_c: float, lng_c: float) -> tuple[float, float, float]:
    """(annual mean, seasonal amplitude, diurnal half range) of a cell."""
    a = abs(lat_c)
    elevation = cell_elevation(lat_c, lng_c)
    digest = _digest("climate", f"{lat_c:.2f}", f"{lng_c:.2f}")
    offset = (_unit(struct.unpack("<I", digest[:4])[0]) - 0.5) * 1.0  # +/-0.5 degC
    mean = 28.0 - 0.5 * a - 0.0065 * elevation + offset
    amplitude = min(20.0, 0.3 * a)
    half_range = 4.0 + (digest[4] % 3)
    return mean, amplitude, half_range


def daily_temperatures(
    lat: float, lng: float, start: date, end: date
) -> tuple[list[str], list[float | None], list[float | None]]:
    """Daily (times, tmax, tmin) for the grid cell of (lat, lng), start..end inclusive."""
    lat_c, lng_c = grid_cell(lat, lng)
    mean, amplitude, half_range = _cell_climate(lat_c, lng_c)
    north = lat_c >= 0
    cell = f"{lat_c:.2f},{lng_c:.2f}"
    times: list[str] = []
    tmax: list[float | None] = []
    tmin: list[float | None] = []
    year_anomaly: dict[int, float] = {}
    day = start
    one = timedelta(days=1)
    while day <= end:
        if day.year not in year_anomaly:
            (y,) = struct.unpack("<I", _digest("year", cell, day.year)[:4])
            year_anomaly[day.year] = (_unit(y) - 0.5) * 3.0  # +/-1.5
        iso = day.isoformat()
        digest = _digest("day", cell, iso)
        w, e1, e2 = struct.unpack("<III", digest[:12])
        doy = day.timetuple().tm_yday
        wave = math.cos(2 * math.pi * (doy - 20) / 365.25)  # 1 around 20 January
        seasonal = -amplitude * wave if north else amplitude * wave
        base = mean + seasonal + year_anomaly[day.year] + (_unit(w) - 0.5) * 6.0  # +/-3
        high = round(base + half_range + (_unit(e1) - 0.5) * 2.0, 1)
        low = round(base - half_range + (_unit(e2) - 0.5) * 2.0, 1)
        times.append(iso)
        tmax.append(None if digest[12] == 0 and digest[13] < 64 else high)
        tmin.append(None if digest[14] == 0 and digest[15] < 64 else low)
        day += one
    return times, tmax, tmin


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

BUILDING_PITCH = 0.0004
BUILDING_SPILL = 0.0001  # a building may start this far below/left of its slot
_MAX_EXTENT = 0.0002  # largest side of a building
_LAT_SLOTS = round(180 / BUILDING_PITCH)  # 450000
_LNG_SLOTS = round(360 / BUILDING_PITCH)  # 900000
_BUILDING_KINDS = ("yes", "yes", "yes", "house", "house", "residential", "apartments", "garage", "shed")


def building_way_id(i: int, j: int) -> int:
    """OSM way id of the building in global slot (i, j) (i = lat index, j = lng index)."""
    return (i + _LAT_SLOTS // 2) * (_LNG_SLOTS + 1) + (j + _LNG_SLOTS // 2) + 1


def _building(i: int, j: int) -> dict | None:
    """The building of slot (i, j): its way id, ring of (node id, lat, lon), tags; or None."""
    digest = _digest("bldg", i, j)
    if digest[0] % 10 < 3:  # 30 % of the slots are empty
        return None
    r1, r2, r3, r4 = struct.unpack("<HHHH", digest[1:9])
    # Offsets within [-SPILL, PITCH - SPILL - MAX_EXTENT]: buildings of two slots never overlap.
    room = BUILDING_PITCH - BUILDING_SPILL - _MAX_EXTENT
    s = i * BUILDING_PITCH - BUILDING_SPILL + _unit(r1, 16) * (room + BUILDING_SPILL)
    w = j * BUILDING_PITCH - BUILDING_SPILL + _unit(r2, 16) * (room + BUILDING_SPILL)
    n = s + 0.00006 + _unit(r3, 16) * (_MAX_EXTENT - 0.00006)
    e = w + 0.00006 + _unit(r4, 16) * (_MAX_EXTENT - 0.00006)
    s, w, n, e = (round(v, 7) for v in (s, w, n, e))
    way_id = building_way_id(i, j)
    corners = [(s, w), (s, e), (n, e), (n, w)]
    ring = [(way_id * 4 + k, lat, lon) for k, (lat, lon) in enumerate(corners)]
    tags: dict[str, str] = {"building": _BUILDING_KINDS[digest[9] % len(_BUILDING_KINDS)]}
    levels = 1 + digest[10] % 8
    kind = digest[11] % 20
    if kind < 4:  # height in metres, plain number
        tags["height"] = str(round(levels * 3.1, 1))
    elif kind < 6:  # height with units
        tags["height"] = f"{levels * 3} m"
    elif kind < 7:  # both
        tags["height"] = str(levels * 3 + 1)
        tags["building:levels"] = str(levels)
    elif kind < 12:  # levels only
        tags["building:levels"] = str(levels)
    # else: neither
    if digest[12] % 4 == 0:
        tags["addr:housenumber"] = str(1 + digest[13])
    if digest[14] % 16 == 0:
        tags["name"] = f"Building {way_id}"
    if digest[15] % 8 == 0:
        tags["roof:shape"] = "gabled"
    return {"id": way_id, "ring": ring, "tags": tags}


def buildings_in_bbox(s: float, w: float, n: float, e: float) -> list[dict]:
    """Overpass elements: the buildings with a node inside the box (ways), then their nodes."""
    # A slot's building lies within [index * PITCH - SPILL, (index + 1) * PITCH - SPILL).
    i_lo = math.floor((s - BUILDING_PITCH) / BUILDING_PITCH)
    i_hi = math.floor((n + BUILDING_SPILL) / BUILDING_PITCH)
    j_lo = math.floor((w - BUILDING_PITCH) / BUILDING_PITCH)
    j_hi = math.floor((e + BUILDING_SPILL) / BUILDING_PITCH)
    ways: list[dict] = []
    nodes: dict[int, dict] = {}
    for i in range(i_lo, i_hi + 1):
        for j in range(j_lo, j_hi + 1):
            building = _building(i, j)
            if building is None:
                continue
            ring = building["ring"]
            if not any(s <= lat <= n and w <= lon <= e for _, lat, lon in ring):
                continue
            node_ids = [node_id for node_id, _, _ in ring]
            ways.append(
                {
                    "type": "way",
                    "id": building["id"],
                    "nodes": [*node_ids, node_ids[0]],
                    "tags": building["tags"],
                }
            )
            for node_id, lat, lon in ring:
                nodes[node_id] = {"type": "node", "id": node_id, "lat": lat, "lon": lon}
    ways.sort(key=lambda way: way["id"])
    return ways + [nodes[key] for key in sorted(nodes)]


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


def _quadkey_offset(quadkey: str) -> int:
    return int(quadkey, 4) % 41


def canopy_height(quadkey: str, row: int, col: int) -> int:
    """Canopy height (m, uint8) of pixel (row, col) of the quadkey's tile."""
    offset = _quadkey_offset(quadkey)
    if ((row // 256) * 3 + (col // 256) * 5 + offset) % 7 == 0:
        return 0  # clearings, fields, water
    return ((row // 64) * 7 + (col // 64) * 13 + offset) % 41


def canopy_array(quadkey: str, size: int) -> np.ndarray:
    """The whole ``size`` x ``size`` raster of the quadkey's tile (``canopy_height`` everywhere)."""
    offset = _quadkey_offset(quadkey)
    index = np.arange(size, dtype=np.int64)
    rows = index[:, None]
    cols = index[None, :]
    heights = ((rows // 64) * 7 + (cols // 64) * 13 + offset) % 41
    clear = ((rows // 256) * 3 + (cols // 256) * 5 + offset) % 7 == 0
    return np.where(clear, 0, heights).astype(np.uint8)
