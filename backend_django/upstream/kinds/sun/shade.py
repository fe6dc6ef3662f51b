"""Lit or shaded: a ray from every cell of the square towards the sun, over the surface.

A cell is in shade when, somewhere along the horizontal line from it towards
the sun's azimuth, the surface rises above the ray climbing at the sun's
altitude: ``H(p + d·u) > h(p) + d·tan(altitude)`` for some distance d > 0
(or the cell's own surface stands above the height its sun is counted at,
i.e. the ground under a tree crown).

The march steps one cell along the ray's major axis (the grid axis it moves
along most) and the nearest cell on the other, like a line drawn on the
grid, so no cell along the way is jumped over. All cells of the square march
together: each step is a shifted view of the height array (a slice, no
copy), compared in one vectorised operation; the ray stops where it has
climbed above the tallest point of the surface, or at the margin.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .solar import SunPath
from .surface import Surface

if TYPE_CHECKING:
    from .ground import Ground

_EPSILON = 1e-3  # metres: a surface this close to the ray's start does not shade it


def _ray(surface: Surface, azimuth_degrees: float, altitude_degrees: float) -> tuple[np.ndarray, ...]:
    """(row offsets, column offsets, ray climb in metres) of the steps that can find shade."""
    grid = surface.grid
    azimuth = math.radians(azimuth_degrees)
    d_row, d_col = -math.cos(azimuth), math.sin(azimuth)  # rows grow southwards
    major = max(abs(d_row), abs(d_col))
    step_m = grid.cell_m / major
    # A sun below the horizon (a negative minimum altitude) rides on it: the flat
    # ground is the horizon and never shades itself.
    climb = math.tan(math.radians(max(altitude_degrees, 0.0))) * step_m
    rise_needed = surface.tallest_m - float(surface.evaluate.min(initial=0.0))
    if rise_needed <= _EPSILON:
        steps = 0
    else:
        steps = math.ceil(rise_needed / climb) if climb > 0 else grid.margin
        steps = min(steps, math.floor(grid.margin * grid.cell_m / step_m + 1e-9))
    k = np.arange(1, steps + 1, dtype=np.float64)
    rows = np.floor(k * (d_row / major) + 0.5).astype(np.intp)
    cols = np.floor(k * (d_col / major) + 0.5).astype(np.intp)
    return rows, cols, (k * climb).astype(np.float32)


def shade_lit(*, surface: Surface, azimuth_degrees: float, altitude_degrees: float) -> np.ndarray:
    """bool (cells, cells): which cells of the square see the sun at this position."""
    heights, evaluate = surface.heights, surface.evaluate + _EPSILON
    m, n = surface.grid.margin, surface.grid.cells
    rows, cols, climbs = _ray(surface, azimuth_degrees, altitude_degrees)
    # The highest "surface minus climb" met along each cell's ray so far;
    # the cell is shaded when it stands above the cell's own height.
    highest = surface.square.copy()
    scratch = np.empty_like(highest)
    for index in range(len(climbs)):
        r, c = m + rows[index], m + cols[index]
        np.subtract(heights[r : r + n, c : c + n], climbs[index], out=scratch)
        np.maximum(highest, scratch, out=highest)
        if index % 32 == 31 and (highest > evaluate).all():
            break  # everything is in shade already
    return highest <= evaluate


def shade_lit_counts(*, surface: Surface, path: SunPath, ground: Ground | None = None) -> np.ndarray:
    """uint16 (days, cells, cells): steps with the cell in direct sun, per day of the path.

    With ``ground``, a step with the sun below the far horizon (hills and
    mountains beyond the margin) lights no cell."""
    n = surface.grid.cells
    counts = np.zeros((len(path.days), n, n), dtype=np.uint16)
    above = (
        np.ones(len(path.altitude), dtype=bool)
        if ground is None
        else path.altitude > ground.horizon_at(path.azimuth)
    )
    for day, azimuth, altitude, clear in zip(path.day_index, path.azimuth, path.altitude, above, strict=True):
        if clear:
            counts[day] += shade_lit(surface=surface, azimuth_degrees=azimuth, altitude_degrees=altitude)
    return counts
