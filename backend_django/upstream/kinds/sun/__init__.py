"""Sun and shade: hours of direct sun per day, month by month, over a site's square.

Computed from data the cache already holds (docs/sun.md):

- ``site.py``: sites (a point snapped to SUN_SITE_GRID_DEGREES), the
  parameters (settings), the local metric grid, the margin;
- ``surface.py``: the surface model from the buildings kind's cell payloads
  and the canopy kind's window GeoTIFF;
- ``solar.py``: sun positions (pvlib, NREL SPA) on a representative day of
  each month;
- ``shade.py``: lit or shaded, every cell, every step (a vectorised march
  towards the sun);
- ``output.py``: the 12-band GeoTIFF, the summary, reading one spot back.

The entry points are here: ``site_snap`` (point -> site),
``site_input_units`` (the buildings cells and canopy window a site reads),
``sun_compute`` (inputs -> GeoTIFF + summary), ``sun_result_current``
(whether a stored result still matches its inputs), ``sun_point_read`` and
``sun_roof_read``. The derived kind that stores and serves it: ``kind.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .. import buildings as buildings_kind
from .. import climate as climate_kind
from ..canopy import grid as canopy_grid
from .ground import Ground, TerrainUnits, ground_build, terrain_units
from .output import (
    CATEGORIES,
    light_category,
    month_statistics,
    raster_decode,
    raster_encode,
    sun_point_read,
    sun_roof_read,
    tenths_from_counts,
)
from .shade import shade_lit, shade_lit_counts
from .site import (
    MODEL_VERSION,
    REFERENCE_YEAR,
    UNIT_PREFIX,
    Site,
    SunParameters,
    margin_choose,
    metres_per_degree,
    parameters_from_settings,
    site_from_unit,
    site_grid,
    site_snap,
)
from .solar import SunPath, sun_path_compute, timezone_resolve
from .surface import Surface, surface_build

__all__ = [
    "CATEGORIES",
    "MODEL_VERSION",
    "REFERENCE_YEAR",
    "UNIT_PREFIX",
    "Ground",
    "Site",
    "SiteInputs",
    "SunParameters",
    "SunPath",
    "SunResult",
    "Surface",
    "ground_build",
    "light_category",
    "margin_choose",
    "metres_per_degree",
    "parameters_from_settings",
    "raster_decode",
    "shade_lit",
    "shade_lit_counts",
    "site_from_unit",
    "site_grid",
    "site_input_units",
    "site_snap",
    "sun_compute",
    "sun_path_compute",
    "sun_point_read",
    "sun_result_current",
    "sun_roof_read",
    "surface_build",
    "timezone_resolve",
]


@dataclass(frozen=True)
class SiteInputs:
    """The cache units a site's computation reads."""

    buildings: list[str]  # buildings cells (``bcell:<row>:<col>``) under the square and the widest margin
    canopy: str  # the canopy window (``canopy:<quadkey>:<row>:<col>``) of the site's block
    terrain: TerrainUnits  # elevation tiles: the ground under the grid, the horizon around (ground.py)
    # The climate point, read only for its summary's time zone: the result records
    # the time zone itself, so a climate refresh (a new ETag every month) does not
    # make the sun out of date.
    climate: str

    @property
    def units(self) -> list[str]:
        """The units whose ETags the result depends on (buildings, canopy, terrain)."""
        return [*self.buildings, self.canopy, *self.terrain.units]


def site_input_units(*, site: Site, parameters: SunParameters | None = None) -> SiteInputs:
    """The buildings cells and the canopy window ``sun_compute`` needs for ``site``.

    The buildings cover the square and the largest margin (SUN_MARGIN_MAX_M);
    the canopy window is the one of the block holding the site, which reaches
    CANOPY_WINDOW_DEGREES (plus half a block) around it: trees beyond it are
    not known and count as none.
    """
    parameters = parameters or parameters_from_settings()
    widest = site_grid(site=site, parameters=parameters)
    west, south, east, north = widest.bounds(with_margin=True)
    cells = buildings_kind.cells_for_bbox(
        max(-90.0, south), max(-180.0, west), min(90.0, north), min(180.0, east)
    )
    return SiteInputs(
        buildings=[buildings_kind.cell_unit(*cell) for cell in cells],
        canopy=canopy_grid.unit_for(site.lat, site.lng),
        terrain=terrain_units(site=site, grid=widest),
        climate=climate_kind.unit_for(site.lat, site.lng),
    )


@dataclass(frozen=True)
class SunResult:
    tiff: bytes  # the 12-band GeoTIFF (output.py)
    summary: dict

    def summary_bytes(self) -> bytes:
        return json.dumps(self.summary, separators=(",", ":"), allow_nan=False).encode()


def sun_compute(
    *,
    site: Site,
    timezone: str | int | float | None,
    buildings: Iterable[dict],
    canopy: bytes | None,
    input_etags: Mapping[str, str] | None = None,
    parameters: SunParameters | None = None,
    elevation_m: float | None = None,
    ground: Ground | None = None,
) -> SunResult:
    """Hours of direct sun per day for each month over the site's square.

    ``buildings``: the decoded payloads of the buildings cells
    (``site_input_units(...).buildings``; ``buildings.cell_payload``'s format);
    ``canopy``: the canopy window GeoTIFF bytes, or None; ``timezone``: the
    climate summary's ``timezone`` (an IANA name) or a UTC offset;
    ``input_etags``: the ETag of every input unit, recorded in the summary so
    a later run can tell whether they changed (``sun_result_current``);
    ``ground``: the terrain under and around the site (ground.py), or None
    for flat ground with an open horizon.
    """
    parameters = parameters or parameters_from_settings()
    widest = site_grid(site=site, parameters=parameters)
    surface = surface_build(
        grid=widest,
        buildings=list(buildings),
        canopy=canopy,
        ground=None if ground is None else ground.relative,
    )
    margin_m = margin_choose(tallest_m=surface.relief_m, parameters=parameters)
    surface = surface.cropped(site_grid(site=site, parameters=parameters, margin_m=margin_m).margin)
    path = sun_path_compute(
        lat=site.lat,
        lng=site.lng,
        timezone=timezone,
        days=parameters.dates(),
        step_minutes=parameters.step_minutes,
        min_altitude_degrees=parameters.min_altitude_degrees,
        elevation_m=elevation_m,
    )
    counts = shade_lit_counts(surface=surface, path=path, ground=ground)
    tenths = tenths_from_counts(counts, path.step_hours)
    tiff = raster_encode(tenths=tenths, grid=surface.grid, roofs=surface.roofs)
    summary = _summary(
        site=site,
        timezone=timezone,
        parameters=parameters,
        surface=surface,
        path=path,
        tenths=tenths,
        input_etags=input_etags or {},
        terrain=ground,
    )
    return SunResult(tiff=tiff, summary=summary)


def _summary(
    *,
    site: Site,
    timezone: str | int | float | None,
    parameters: SunParameters,
    surface: Surface,
    path: SunPath,
    tenths: np.ndarray,
    input_etags: Mapping[str, str],
    terrain: Ground | None,
) -> dict:
    ground = ~surface.roofs
    # In tenths like the raster, so an open cell's hours and the daylight agree.
    daylight = tenths_from_counts(np.bincount(path.day_index, minlength=len(path.days)), path.step_hours) / 10
    months = []
    for index, day in enumerate(path.days):
        months.append(
            {
                "month": day.month,
                "day": day.isoformat(),
                "daylight_hours": round(float(daylight[index]), 1),
                **month_statistics(tenths[index], ground),
            }
        )
    west, south, east, north = surface.grid.bounds(with_margin=False)
    return {
        "model": MODEL_VERSION,
        "site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit},
        "timezone": timezone,
        "raster": {
            "crs": "EPSG:4326",
            "width": surface.grid.cells,
            "height": surface.grid.cells,
            "cell_m": surface.grid.cell_m,
            "bounds": [west, south, east, north],
            "bands": "months, January first",
            "scale": 0.1,
            "nodata": 255,
        },
        "surface": {
            "tallest_m": round(surface.tallest_m, 2),
            "margin_m": round(surface.grid.margin * surface.grid.cell_m, 2),
            "roof_share": round(float(surface.roofs.mean()), 4),
            "canopy_coverage": round(surface.canopy_coverage, 4),
        },
        "parameters": parameters.as_dict(),
        "terrain": None if terrain is None else terrain.summary(),
        "inputs": dict(sorted(input_etags.items())),
        "months": months,
    }


def sun_result_current(
    *,
    summary: Mapping,
    input_etags: Mapping[str, str],
    timezone: str | int | float | None,
    parameters: SunParameters | None = None,
) -> bool:
    """Whether a stored summary was computed by this model, with these parameters
    and time zone, from inputs with exactly these ETags (then there is nothing
    to recompute)."""
    parameters = parameters or parameters_from_settings()
    return (
        summary.get("model") == MODEL_VERSION
        and summary.get("timezone") == timezone
        and summary.get("parameters") == parameters.as_dict()
        and summary.get("inputs") == dict(sorted(input_etags.items()))
    )
