"""The ``sun`` kind: a site's hours of sun, derived from buildings and canopy in the cache.

A derived kind (kinds/base.py): a unit ``sun:<lat>:<lng>`` (the site, ``site_snap``)
is computed from its inputs, the buildings cells and the canopy window
around it (``site_input_units``), which ``jobs.tasks.fill_unit`` fills first.
The entry is the 12-band GeoTIFF (stored as is: deflate inside), with a
companion ``sun_summary:<lat>:<lng>``, the JSON summary. Both are fresh as
long as the inputs are, and marked stale when an input is rewritten with a
new ETag; a refresh then recomputes only when ``sun_result_current`` says
the inputs, parameters, time zone or model changed, otherwise it keeps the
stored bytes (and their ETag) and only renews them.

The time zone comes from the climate summary of the site's climate point
when it is cached; it is not an input (docs/sun.md).
"""

import logging

from ...cache import store
from .. import climate
from ..base import Kind, read_inputs
from . import (
    UNIT_PREFIX,
    Ground,
    Site,
    SiteInputs,
    ground_build,
    light_category,
    parameters_from_settings,
    site_from_unit,
    site_grid,
    site_input_units,
    site_snap,
    sun_compute,
    sun_result_current,
)
from .site import MAX_ABS_LATITUDE

logger = logging.getLogger(__name__)

SUMMARY_PREFIX = "sun_summary:"
# The months of the growing season the plans list's light fact averages.
NORTH_SEASON = (4, 5, 6, 7, 8, 9)
SOUTH_SEASON = (10, 11, 12, 1, 2, 3)


def unit_for(lat: float, lng: float) -> str:
    """The site unit of a point (ApplicationError beyond 85° N/S)."""
    return site_snap(lat=lat, lng=lng).unit


def summary_unit(unit: str) -> str:
    return unit.replace(UNIT_PREFIX, SUMMARY_PREFIX, 1)


def data_url(path: str, unit: str) -> str:
    """The canonical URL of an answer about a site (``path``: "sun/", "sun/summary/")."""
    _, lat, lng = unit.split(":")
    return f"/api/v1/{path}?lat={lat}&lng={lng}"


def urls_for_place(lat: float, lng: float) -> dict[str, str]:
    """The site's raster and summary; none beyond 85° N/S."""
    if abs(lat) > MAX_ABS_LATITUDE:
        return {}
    unit = unit_for(lat, lng)
    return {"sun": data_url("sun/", unit), "sun_summary": data_url("sun/summary/", unit)}


def input_units(unit: str) -> list[str]:
    """The buildings cells and the canopy window a site is computed from."""
    return site_input_units(site=site_from_unit(unit)).units


def _timezone(climate_unit: str) -> str | None:
    """The climate summary's time zone, when it is cached (stale is fine: it does not change)."""
    entry = store.read(climate.summary_unit(climate_unit))
    if entry is None or entry.state() == "missing":
        return None
    return entry.json().get("timezone")


def site_ground(site: Site, inputs: SiteInputs, entries: dict[str, store.Entry]) -> Ground:
    """The ground under and around ``site`` from its terrain tiles' entries."""
    grid = site_grid(site=site, parameters=parameters_from_settings())
    return ground_build(site=site, grid=grid, units=inputs.terrain, entries=entries)


def fetch_entries(unit: str, existing: store.Entry | None, pool: str) -> list[store.NewEntry]:
    """The site's GeoTIFF and summary, computed from the stored inputs, or the
    stored ones renewed when nothing they depend on changed."""
    site = site_from_unit(unit)
    inputs = site_input_units(site=site)
    entries = read_inputs(unit, inputs.units)
    etags = {name: entry.etag for name, entry in entries.items()}
    timezone = _timezone(inputs.climate)
    renewed: tuple[bytes, bytes] | None = None
    if existing is not None:
        stored = store.read(summary_unit(unit))
        if (
            stored is not None
            and stored.state() != "missing"
            and sun_result_current(summary=stored.json(), input_etags=etags, timezone=timezone)
        ):
            renewed = existing.raw(), stored.raw()
            logger.info("sun %s: inputs unchanged, renewed", unit)
    if renewed is not None:
        tiff, summary = renewed
    else:
        result = sun_compute(
            site=site,
            timezone=timezone,
            buildings=[entries[name].json() for name in inputs.buildings],
            canopy=entries[inputs.canopy].raw(),
            input_etags=etags,
            ground=site_ground(site, inputs, entries),
        )
        tiff, summary = result.tiff, result.summary_bytes()
        logger.info("sun %s computed (%d bytes, %d inputs)", unit, len(tiff), len(entries))
    return [
        KIND.derived_entry(unit, tiff, entries),
        KIND.derived_entry(
            summary_unit(unit), summary, entries, content_type="application/json", compress=True
        ),
    ]


def units_for_place(lat: float, lng: float) -> list[str]:
    """A plan's site; none beyond 85° N/S, where sun and shade are not computed."""
    return [unit_for(lat, lng)] if abs(lat) <= MAX_ABS_LATITUDE else []


def facts_unit_for_place(lat: float, lng: float) -> str | None:
    return summary_unit(unit_for(lat, lng)) if abs(lat) <= MAX_ABS_LATITUDE else None


def season_months(lat: float) -> tuple[int, ...]:
    """April to September north of the equator, October to March south of it."""
    return NORTH_SEASON if lat >= 0 else SOUTH_SEASON


def place_facts(summary: dict | None) -> dict:
    """The plans list's light fact: the site's ground mean over the growing
    season and its category; absent while the summary is not cached."""
    if summary is None:
        return {}
    months = season_months(summary["site"]["latitude"])
    means = [month["mean"] for month in summary["months"] if month["month"] in months]
    if len(means) != len(months) or any(mean is None for mean in means):
        return {}  # no ground outside buildings in the square
    hours = round(sum(means) / len(means), 1)
    return {"light": {"category": light_category(hours), "hours": hours, "months": list(months)}}


KIND = Kind(
    name="sun",
    unit_prefix=UNIT_PREFIX,
    upstream=None,
    label="Sun and shade (derived)",
    # Unused by its entries, which live as long as their inputs (Kind.derived_entry).
    fresh_setting="BUILDINGS_FRESH_SECONDS",
    stale_setting="BUILDINGS_STALE_SECONDS",
    content_type="image/tiff",
    compress=False,  # deflate inside the TIFF already
    fetch=fetch_entries,
    companions=lambda unit: [summary_unit(unit)],
    units_for_place=units_for_place,
    urls_for_place=urls_for_place,
    urls={
        "sun": "Sun hours of the point's sun site (absent beyond 85° north or south).",
        "sun_summary": "Its summary (hours per month, light shares).",
    },
    facts_unit_for_place=facts_unit_for_place,
    facts=place_facts,
    endpoints=("sun", "sun_summary", "sun_point"),
    also_stored=(SUMMARY_PREFIX,),
    inputs=input_units,
)
