"""Each bed's sun: hours of direct sun a day over its cells of the site's sun raster.

The raster (upstream/kinds/sun/output.py) holds, for each 1 m cell of the
plan's sun square, the hours of direct sun on each month's representative
day, in tenths. A bed averages the cells whose centre lies in it (inside or
on its outline); a bed too small to hold a cell centre takes the cell under
its centroid. Cells without data (nodata) are left out.

For each bed, per month: the mean over its cells, the least and the most
sunny cell, and the light category of the mean (the sun module's rules,
``light_category``). Over a span of months (the growing season, the year, a
period asked for): each cell's hours averaged over the span's days (each
month weighted by its days inside the span: ``season.Span.weights``), then
the same statistics over the cells, so ``min`` is the bed's least sunny
spot over the whole span. Means are rounded to 2 decimals, like the
statistics of the spans; a month's least and most are tenths, as stored.

The raster is decoded once per call. Each bed's cells are found with one
vectorised point-in-polygon test over the cell centres of its bounding box
(shapely); then the cells of all beds are put side by side and every
statistic of every bed is a handful of numpy reductions (``reduceat``)
over them, so 50 beds take a few milliseconds (bench/beds_sun.py).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from backend_django.upstream.kinds import sun

from .beds import Bed
from .season import YEAR, GrowingSeason, Span, growing_season, months_span

TENTH = 0.1
NODATA = 255
EMPTY: dict[str, Any] = {"mean": None, "min": None, "max": None, "light": None}


@dataclass(frozen=True)
class BedCells:
    tenths: np.ndarray  # uint8 (12, cells): the bed's cells with data, tenths of an hour per month
    roofs: int  # how many of them lie under a building footprint


class RasterCells:
    """The decoded raster and its cell centres, for finding beds' cells."""

    def __init__(self, tiff: bytes) -> None:
        self.raster = sun.raster_decode(tiff)
        a, _, c, _, e, f = self.raster.transform
        _, rows, cols = self.raster.tenths.shape
        self.a, self.c, self.e, self.f = a, c, e, f
        self.rows, self.cols = rows, cols
        self.xs = c + (np.arange(cols) + 0.5) * a  # centre longitudes, west to east
        self.ys = f + (np.arange(rows) + 0.5) * e  # centre latitudes, north to south

    def window(self, bounds: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """(row0, row1, col0, col1) of the cells a (west, south, east, north) box touches."""
        west, south, east, north = bounds
        col0 = max(0, math.floor((west - self.c) / self.a))
        col1 = min(self.cols, math.ceil((east - self.c) / self.a))
        row0 = max(0, math.floor((north - self.f) / self.e))
        row1 = min(self.rows, math.ceil((south - self.f) / self.e))
        return row0, max(row0, row1), col0, max(col0, col1)

    def bed_cells(self, polygon: shapely.Polygon) -> BedCells:
        """The cells whose centre lies in the polygon (or the one under its centroid)."""
        tenths_all, roofs_all = self.raster.tenths, self.raster.roofs
        row0, row1, col0, col1 = self.window(polygon.bounds)
        shapely.prepare(polygon)
        inside = shapely.intersects_xy(polygon, self.xs[None, col0:col1], self.ys[row0:row1, None])
        tenths = tenths_all[:, row0:row1, col0:col1][:, inside]
        roofs = roofs_all[row0:row1, col0:col1][inside] if roofs_all is not None else None
        if tenths.shape[1] == 0:
            centre = polygon.centroid
            cell = self.raster.cell_of(centre.y, centre.x)
            if cell is not None:
                tenths = tenths_all[:, cell[0], cell[1]][:, None]
                roofs = roofs_all[cell][None] if roofs_all is not None else None
        known = (tenths != NODATA).all(axis=0)
        return BedCells(tenths[:, known], int(roofs[known].sum()) if roofs is not None else 0)


def _statistics(cells: Sequence[BedCells], spans: Sequence[Span]) -> list[list[dict]]:
    """For each bed: the statistics of its 12 months, then of each span."""
    counts = np.array([bed.tenths.shape[1] for bed in cells])
    rows = 12 + len(spans)
    if counts.sum() == 0:
        return [[dict(EMPTY) for _ in range(rows)] for _ in cells]
    hours = np.concatenate([bed.tenths for bed in cells], axis=1).astype(np.float64) * TENTH
    weights = np.array([span.weights for span in spans], dtype=np.float64)
    totals = weights.sum(axis=1)
    # Each cell's hours per month, then averaged over each span by days: (12 + spans, all cells).
    values = np.vstack([hours, (weights @ hours) / np.where(totals > 0, totals, 1)[:, None]])
    filled = counts > 0
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[filled]
    means = (np.add.reduceat(values, starts, axis=1) / counts[filled]).round(2).T.tolist()
    lows = np.minimum.reduceat(values, starts, axis=1).round(2).T.tolist()
    highs = np.maximum.reduceat(values, starts, axis=1).round(2).T.tolist()
    usable = [True] * 12 + [bool(total > 0) for total in totals]
    found = iter(zip(means, lows, highs, strict=True))
    results = []
    for has_cells in filled:
        if not has_cells:
            results.append([dict(EMPTY) for _ in range(rows)])
            continue
        bed_means, bed_lows, bed_highs = next(found)
        results.append(
            [
                {"mean": mean, "min": low, "max": high, "light": sun.light_category(mean)}
                if ok
                else dict(EMPTY)
                for mean, low, high, ok in zip(bed_means, bed_lows, bed_highs, usable, strict=True)
            ]
        )
    return results


def beds_sun(
    *, tiff: bytes, beds: Sequence[Bed], season: GrowingSeason, period: Span | None = None
) -> list[dict]:
    """Every bed's sun from the site's raster (module docstring), in the beds' order."""
    raster = RasterCells(tiff)
    polygons = [bed.polygon for bed in beds]
    cells = [raster.bed_cells(polygon) for polygon in polygons]
    spans = [season.span, YEAR] if period is None else [season.span, YEAR, period]
    statistics = _statistics(cells, spans)
    # Areas in local metres: square degrees scaled by the metres per degree at each bed.
    areas = shapely.area(polygons) if polygons else np.empty(0)
    latitudes = shapely.get_y(shapely.centroid(polygons)) if polygons else np.empty(0)
    answers = []
    for bed, bed_cells, stats, area, latitude in zip(beds, cells, statistics, areas, latitudes, strict=True):
        per_lat, per_lng = sun.metres_per_degree(float(latitude))
        answer = {
            "id": bed.id,
            "name": bed.name,
            "area_m2": round(float(area) * per_lat * per_lng, 2),
            "cells": int(bed_cells.tenths.shape[1]),
            "roof_cells": bed_cells.roofs,
            "months": [{"month": month, **stat} for month, stat in enumerate(stats[:12], start=1)],
            "growing_season": stats[12],
            "year": stats[13],
        }
        if period is not None:
            answer["period"] = stats[14]
        answers.append(answer)
    return answers


def plan_beds_sun(
    *,
    beds: Sequence[Bed],
    site: sun.Site,
    tiff: bytes,
    climate_summary: dict,
    climate_url: str,
    period: tuple[int, int] | None = None,
) -> dict:
    """The answer of ``plans/{id}/beds/sun/``: the season and where it came from, the
    period asked for, and every bed's sun."""
    season = growing_season(climate_summary)
    span = months_span(*period) if period is not None else None
    body: dict = {
        "site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit},
        "growing_season": {**season.as_dict(), "source": climate_url},
    }
    if period is not None and span is not None:
        body["period"] = {"from": period[0], "to": period[1], **span.as_dict()}
    body["beds"] = beds_sun(tiff=tiff, beds=beds, season=season, period=span)
    return body


def beds_season_hours(*, tiff: bytes, beds: Sequence[Bed], season: GrowingSeason) -> list[float | None]:
    """Each bed's mean hours of direct sun a day over the growing season (None without data)."""
    raster = RasterCells(tiff)
    statistics = _statistics([raster.bed_cells(bed.polygon) for bed in beds], [season.span])
    return [stats[12]["mean"] for stats in statistics]
