"""Cached data for a plan's garden answers, made by hand: a sun raster and a climate summary.

The raster is written with the sun module's own encoder (what a worker
stores) over the site's square; its values are chosen so that every
statistic can be worked out by hand: in month m (0 for January) a cell of
column c holds 20 + 10 m + c tenths of an hour, whatever its row.
"""

import json
from datetime import date, timedelta

import numpy as np

from backend_django.upstream.cache import store
from backend_django.upstream.kinds import climate, sun
from backend_django.upstream.kinds.sun.output import raster_encode

# On the sun site grid (0.0005°): the plan's point is its site, the middle of its 100 m square.
LAT, LNG = 51.4545, -2.588


def site_grid(lat: float = LAT, lng: float = LNG):
    site = sun.site_snap(lat=lat, lng=lng)
    return site, sun.site_grid(site=site, parameters=sun.parameters_from_settings(), margin_m=0)


def gradient_tenths(size: int = 100) -> np.ndarray:
    months = np.arange(12)[:, None, None]
    columns = np.arange(size)[None, None, :]
    return np.broadcast_to(20 + 10 * months + columns, (12, size, size)).astype(np.uint8).copy()


def grid_box(grid, west: float, north: float, east: float, south: float) -> list:
    """A Polygon's coordinates: the box between these (fractional) column and row positions of
    the raster (its georeference, as the GeoTIFF records it)."""
    transform = grid.transform(with_margin=False)

    def corner(col: float, row: float) -> list[float]:
        lng, lat = transform @ (col, row)
        return [lng, lat]

    ring = [corner(west, north), corner(east, north), corner(east, south), corner(west, south)]
    return [[*ring, ring[0]]]


def cell_box(grid, row0: int, row1: int, col0: int, col1: int, inset: float = 0.25) -> list:
    """Around cells rows row0..row1, columns col0..col1 (included), the edges ``inset`` of a cell
    inside the outer cells: exactly those cells' centres lie in it."""
    return grid_box(grid, col0 + inset, row0 + inset, col1 + 1 - inset, row1 + 1 - inset)


def store_sun(
    tenths: np.ndarray, roofs: np.ndarray | None = None, *, lat: float = LAT, lng: float = LNG
) -> str:
    """The site's raster stored as the sun entry; returns its ETag."""
    site, grid = site_grid(lat, lng)
    tiff = raster_encode(tenths=tenths, grid=grid, roofs=roofs)
    store.write([store.NewEntry(site.unit, tiff, "image/tiff", 3600, 3600, compress=False)])
    return store.read(site.unit).etag


def climate_summary(
    *,
    spring: int | None = 100,
    fall: int | None = 300,
    hemisphere: str = "north",
    zone: int | None = 8,
    chances: dict[int, tuple[int | None, int | None]] | None = None,
    timezone: str = "Europe/London",
) -> dict:
    """A climate summary as the climate kind writes it, with the parts the plan's answers read.

    ``chances``: {10|50|90: (spring day, fall day)} for ``chance_dates``; by
    default the medians at 50 % and a week either side at 10 and 90 %.
    """

    def shifted(day: int | None, by: int) -> int | None:
        return None if day is None else day + by

    chances = chances or {
        10: (shifted(spring, 7), shifted(fall, -7)),
        50: (spring, fall),
        90: (shifted(spring, -7), shifted(fall, 7)),
    }

    def chance_dates(index: int) -> list[dict]:
        return [
            {"chance": chance, "day_of_year": days[index], "date": None}
            for chance, days in sorted(chances.items())
        ]

    def frost(median: int | None, index: int) -> dict:
        label = None if median is None else (date(2001, 1, 1) + timedelta(days=median - 1)).strftime("%m-%d")
        return {
            "median": median,
            "median_date": label,
            "p10": shifted(median, -10),
            "p90": shifted(median, 10),
            "years_without_frost": 30 if median is None else 0,
            "chance_dates": chance_dates(index),
        }

    return {
        "timezone": timezone,
        "hemisphere": hemisphere,
        "years": 30,
        "last_spring_frost": frost(spring, 0),
        "first_fall_frost": frost(fall, 1),
        "hardiness_zone": {"zone": None if zone is None else f"{zone}a", "number": zone},
    }


def store_climate(summary: dict, *, lat: float = LAT, lng: float = LNG) -> str:
    unit = climate.summary_unit(climate.unit_for(lat, lng))
    store.write([store.NewEntry(unit, json.dumps(summary).encode(), "application/json", 3600, 3600)])
    return store.read(unit).etag
