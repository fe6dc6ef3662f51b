"""The ``shadow`` kind: where the shade lies at one moment, over a site's square.

A derived kind (kinds/base.py) of the same inputs as the site's sun (the
buildings cells and canopy window around it, ``site_input_units``): a unit
``shadow:<site lat>:<site lng>:<YYYYMMDDTHHMMZ>`` is the site's square as a
PNG, a cell dark where it is in shade at that instant (rounded to the sun
model's step, SUN_STEP_MINUTES) and transparent where the sun reaches it;
all dark while the sun is below the horizon. The plan page lays it over the
map as the time scrubber moves.

A shadow is cheap once the site's surface model is built, so it is built in
the request that asks for it when the inputs are cached (``build_now``, like
a buildings box), from a surface kept in this process for the last few
sites (the scrubber asks for many instants of one site); otherwise a job
fills the inputs and the next request builds it.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np

from backend_django.core.exceptions import ApplicationError

from ...cache import store
from ...cache.store import Entry, NewEntry
from ..base import InputsMissing, Kind, read_inputs
from . import (
    Ground,
    Site,
    ground_build,
    parameters_from_settings,
    shade_lit,
    site_from_unit,
    site_grid,
    site_input_units,
    surface_build,
)
from .site import UNIT_PREFIX as SITE_PREFIX
from .surface import Surface

UNIT_PREFIX = "shadow:"
# A shaded cell: a dark, see-through blue-grey over the map (RGBA).
SHADE_RGBA = (24, 30, 48, 150)
# Instants the shadows are shown for: 1900 to 2100 (the sun model's years).
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, tzinfo=UTC)
SURFACES_KEPT = 8


def parse_instant(text: str | None, step_minutes: int) -> datetime:
    """An ISO 8601 instant with its offset (``2026-06-21T14:30:00Z``), in UTC, rounded to the step."""
    if not text:
        raise ApplicationError("at: required, an ISO 8601 date and time with its offset.", code="invalid")
    try:
        # A "+" of an offset arrives as a space when the query was not percent-encoded.
        moment = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError as exc:
        raise ApplicationError(
            f"at: '{text[:40]}' is not an ISO 8601 date and time.", code="invalid"
        ) from exc
    if moment.tzinfo is None:
        raise ApplicationError(
            "at: give the offset too (Z or +02:00): which moment is meant?", code="invalid"
        )
    moment = moment.astimezone(UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ApplicationError("at: between the years 1900 and 2100.", code="invalid")
    step = timedelta(minutes=step_minutes)
    since = moment - EARLIEST
    return EARLIEST + round(since / step) * step


def unit_for(site: Site, instant: datetime) -> str:
    rest = site.unit.removeprefix(SITE_PREFIX)
    return f"{UNIT_PREFIX}{rest}:{instant:%Y%m%dT%H%MZ}"


def site_and_instant(unit: str) -> tuple[Site, datetime]:
    lat, lng, stamp = unit.removeprefix(UNIT_PREFIX).split(":")
    site = site_from_unit(f"{SITE_PREFIX}{lat}:{lng}")
    return site, datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def input_units(unit: str) -> list[str]:
    return site_input_units(site=site_and_instant(unit)[0]).units


def data_url(unit: str) -> str:
    site, instant = site_and_instant(unit)
    digits = site.digits
    return (
        f"/api/v1/sun/shadow/?lat={site.lat:.{digits}f}&lng={site.lng:.{digits}f}"
        f"&at={instant:%Y-%m-%dT%H:%MZ}"
    )


@lru_cache(maxsize=4096)
def sun_position(lat: float, lng: float, instant: datetime) -> tuple[float, float]:
    """(azimuth, altitude) of the sun at ``instant``, degrees (pvlib, NREL SPA)."""
    import pandas as pd
    from pvlib import solarposition

    position = solarposition.get_solarposition(pd.DatetimeIndex([instant]), lat, lng, method="nrel_numpy")
    return float(position["azimuth"].iloc[0]), float(position["elevation"].iloc[0])


# --- the surface, kept per process -------------------------------------------------

_surfaces: OrderedDict[tuple, tuple[Surface, Ground]] = OrderedDict()
_surfaces_lock = threading.Lock()


def _surface(site: Site, inputs: dict[str, Entry]) -> tuple[Surface, Ground]:
    """The site's surface model and ground for exactly these inputs (by ETag), built once per process."""
    key = (site.unit, tuple(sorted((unit, entry.etag) for unit, entry in inputs.items())))
    with _surfaces_lock:
        if key in _surfaces:
            _surfaces.move_to_end(key)
            return _surfaces[key]
    units = site_input_units(site=site)
    grid = site_grid(site=site, parameters=parameters_from_settings())
    ground = ground_build(site=site, grid=grid, units=units.terrain, entries=inputs)
    surface = surface_build(
        grid=grid,
        buildings=[inputs[unit].json() for unit in units.buildings],
        canopy=inputs[units.canopy].raw(),
        ground=ground.relative,
    )
    with _surfaces_lock:
        _surfaces[key] = (surface, ground)
        while len(_surfaces) > SURFACES_KEPT:
            _surfaces.popitem(last=False)
    return surface, ground


# --- the image -------------------------------------------------------------------


def png_rgba(pixels: np.ndarray) -> bytes:
    """An RGBA PNG of ``pixels`` (uint8, height x width x 4): deflate, no filtering."""
    height, width, _ = pixels.shape
    rows = np.concatenate([np.zeros((height, 1), dtype=np.uint8), pixels.reshape(height, width * 4)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def shadow_png(surface: Surface, ground: Ground | None, azimuth: float, altitude: float) -> bytes:
    """The square as a PNG: shaded cells dark, lit cells transparent (north up)."""
    n = surface.grid.cells
    below = altitude <= 0 or (ground is not None and altitude <= float(ground.horizon_at(azimuth)))
    if below:  # night, or the sun behind the hills: shade everywhere
        lit = np.zeros((n, n), dtype=bool)
    else:
        lit = shade_lit(surface=surface, azimuth_degrees=azimuth, altitude_degrees=altitude)
    pixels = np.zeros((n, n, 4), dtype=np.uint8)
    pixels[~lit] = SHADE_RGBA
    return png_rgba(pixels)


def _entry(unit: str, inputs: dict[str, Entry]) -> NewEntry:
    site, instant = site_and_instant(unit)
    azimuth, altitude = sun_position(site.lat, site.lng, instant)
    surface, ground = _surface(site, inputs)
    return KIND.derived_entry(unit, shadow_png(surface, ground, azimuth, altitude), inputs)


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """A worker's fill: the inputs are filled already (jobs/tasks.py); draw from them."""
    return [_entry(unit, read_inputs(unit, input_units(unit)))]


def build_now(unit: str) -> list[str]:
    """Draw and store the shadow in this request when the inputs are cached and return
    []; otherwise the inputs that are missing (a job fetches them)."""
    try:
        inputs = read_inputs(unit, input_units(unit))
    except InputsMissing as missing:
        return missing.missing
    store.write([_entry(unit, inputs)])
    return []


def bounds(site: Site) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the site's square, degrees: where the image lies."""
    return site_grid(site=site, parameters=parameters_from_settings(), margin_m=0).bounds(with_margin=False)


KIND = Kind(
    name="shadow",
    unit_prefix=UNIT_PREFIX,
    upstream=None,
    label="Shadows at a moment (derived)",
    # Unused by its entries, which live as long as their inputs (Kind.derived_entry).
    fresh_setting="BUILDINGS_FRESH_SECONDS",
    stale_setting="BUILDINGS_STALE_SECONDS",
    content_type="image/png",
    compress=False,  # deflate inside the PNG already
    fetch=fetch_entries,
    inputs=input_units,
    endpoints=("sun_shadow",),
)


def clock_text(instant: datetime) -> str:
    """How the instant is written in headers: ISO 8601, UTC, minutes."""
    return f"{instant:%Y-%m-%dT%H:%MZ}"
