"""What the plan report says: the plan's own answers, gathered for print.

Nothing is computed here that the API computes elsewhere: each bed's sun is
``plan_beds_sun`` (bed_sun.py), the plants and their reasons
``plan_recommendations`` (recommendations.py), the calendar ``plan_calendar``
(planting.py), the climate facts are the climate summary's.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend_django.plants.models import Plant
from backend_django.upstream.kinds import sun

from .. import planting
from ..bed_sun import plan_beds_sun
from ..beds import Bed
from ..recommendations import plan_recommendations
from ..season import GrowingSeason, day_label, growing_season
from .basemap import Basemap

# Other plants that fit a bed, listed after the ones it holds.
SUGGESTIONS_PER_BED = 3
LIGHT_LABELS = {
    "full_sun": "Full sun",
    "part_sun": "Part sun",
    "part_shade": "Part shade",
    "shade": "Shade",
}
SOURCES = (
    (
        "Building footprints and heights",
        "OpenStreetMap contributors, through the Overpass API",
        "Open Database License (ODbL) 1.0",
    ),
    ("Map data and place names", "© OpenStreetMap contributors", "Open Database License (ODbL) 1.0"),
    (
        "Climate (daily temperatures and rain, 30 years)",
        "Open-Meteo historical weather API",
        "Creative Commons Attribution 4.0 (CC BY 4.0)",
    ),
    (
        "Tree canopy heights",
        "Meta and World Resources Institute, High Resolution Canopy Height Maps",
        "Creative Commons Attribution 4.0 (CC BY 4.0)",
    ),
    (
        "Ground elevation (the horizon around the site)",
        "Terrain Tiles (Mapzen, on the AWS open data registry)",
        "open data; attribution as the dataset lists its sources",
    ),
    (
        "Sun hours, growing season, plant fits, calendar",
        "Computed by Solar Sim from the data above and its plant catalogue",
        "yours to use",
    ),
)


@dataclass(frozen=True)
class ReportPlan:
    """The plan as the report shows it (plain values: the worker reads them once)."""

    id: str
    name: str
    address: str
    latitude: float
    longitude: float
    timezone: str
    updated_at: datetime
    beds: Sequence[Bed]


@dataclass(frozen=True)
class BedRow:
    number: int
    id: str
    name: str
    area_m2: float
    months: list[float | None]  # mean hours of direct sun a day, January first
    season_hours: float | None
    light: str | None
    plants: list[dict]  # {"name", "botanical", "reasons", "fits"}
    suggestions: list[dict]  # other plants that fit, best first


@dataclass(frozen=True)
class ReportContent:
    plan: ReportPlan
    units: str  # "metric" or "imperial" (the owner's preference)
    site: sun.Site
    season: dict  # the growing season, as beds/sun/ gives it
    beds: list[BedRow]
    calendar: dict  # planting.plan_calendar's answer
    climate: dict  # frost dates at 10/50/90 %, zone, Köppen
    footprints: dict  # GeoJSON FeatureCollection of the buildings on the site
    growing: GrowingSeason  # the season's days, for the map's hours
    tiff: bytes = field(repr=False, default=b"")
    basemap: Basemap | None = field(repr=False, default=None)  # cached map tiles under the map


def _frost(summary: dict, name: str) -> dict[int, str | None]:
    """The summary's frost dates by chance (MM-DD, None: no frost that likely)."""
    chances = (summary.get(name) or {}).get("chance_dates") or []
    return {
        int(item["chance"]): None if item.get("day_of_year") is None else day_label(int(item["day_of_year"]))
        for item in chances
        if "chance" in item
    }


def climate_facts(summary: dict) -> dict[str, Any]:
    zone = summary.get("hardiness_zone") or {}
    koppen = summary.get("koppen") or None
    return {
        "last_spring_frost": _frost(summary, "last_spring_frost"),
        "first_fall_frost": _frost(summary, "first_fall_frost"),
        "years": summary.get("years"),
        "first_year": summary.get("first_year"),
        "last_year": summary.get("last_year"),
        "hardiness_zone": zone.get("zone"),
        "koppen": koppen,
        "koppen_reason": summary.get("koppen_reason"),
        "hemisphere": summary.get("hemisphere"),
    }


def report_content(
    *,
    plan: ReportPlan,
    units: str,
    site: sun.Site,
    tiff: bytes,
    climate_summary: dict,
    climate_url: str,
    catalogue: Sequence[Plant],
    footprints: dict,
    now: datetime,
    basemap: Basemap | None = None,
) -> ReportContent:
    beds = list(plan.beds)
    sun_body = plan_beds_sun(
        beds=beds, site=site, tiff=tiff, climate_summary=climate_summary, climate_url=climate_url
    )
    fits = plan_recommendations(
        beds=beds,
        site=site,
        tiff=tiff,
        climate_summary=climate_summary,
        climate_url=climate_url,
        catalogue=catalogue,
        limit=None,
    )
    names = {plant.pk: plant for plant in catalogue}
    rows = []
    for number, (bed, bed_sun, bed_fits) in enumerate(
        zip(beds, sun_body["beds"], fits["beds"], strict=True), start=1
    ):
        fitting = {item["id"]: item for item in bed_fits.get("plants", [])}
        held = []
        for plant_id in bed.plants:
            plant = names.get(plant_id)
            if plant is None:
                continue  # dropped from the catalogue since
            fit = fitting.get(plant_id)
            held.append(
                {
                    "name": plant.common_name,
                    "botanical": plant.botanical_name,
                    "fits": fit is not None,
                    "reasons": list(fit["reasons"])
                    if fit is not None
                    else ["Does not fit this bed's light, winters or season by the catalogue's needs."],
                }
            )
        suggestions = [
            {"name": item["common_name"], "botanical": item["botanical_name"], "reasons": item["reasons"]}
            for item in bed_fits.get("plants", [])
            if not item["in_bed"]
        ][:SUGGESTIONS_PER_BED]
        season = bed_sun["growing_season"]
        rows.append(
            BedRow(
                number=number,
                id=bed.id,
                name=bed.name,
                area_m2=bed_sun["area_m2"],
                months=[month["mean"] for month in bed_sun["months"]],
                season_hours=season["mean"],
                light=season["light"],
                plants=held,
                suggestions=suggestions,
            )
        )
    zone = planting.plan_zone(plan_timezone=plan.timezone, climate_summary=climate_summary)
    calendar = planting.plan_calendar(
        beds=beds,
        catalogue=catalogue,
        climate_summary=climate_summary,
        climate_url=climate_url,
        zone=zone,
        risk=planting.DEFAULT_RISK,
        now=now,
    )
    return ReportContent(
        plan=plan,
        units=units,
        site=site,
        season=sun_body["growing_season"],
        beds=rows,
        calendar=calendar,
        climate=climate_facts(climate_summary),
        footprints=footprints,
        growing=growing_season(climate_summary),
        tiff=tiff,
        basemap=basemap,
    )
