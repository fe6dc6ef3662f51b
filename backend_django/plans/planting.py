"""A plan's planting calendar: every plant in its beds, dated from the plan's frost dates.

The frost dates are the climate summary's ``chance_dates`` at the risk the
gardener takes: at risk 10 the last spring frost is the day after which a
frost comes in one year in ten (later than the median) and the first fall
frost the day before which one comes in one year in ten (earlier); 50 is
the even chance, 90 the bold one. A day the summary gives as null (frost
beyond any day is rarer than the risk: most years have none) means no
frost to wait for, and the calendar says so (plants/calendar.py: the spring
timings count from mid-February, mid-August in the south). Summaries made
before ``chance_dates`` existed give the median and the 10th / 90th
percentiles of the years with a frost instead.

Windows are dated for this year and the next, "this year" in the plan's
time zone (its own, else the climate's, else UTC).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from backend_django.plants.calendar import PlantingCalendar, planting_calendar
from backend_django.plants.ics import WHAT, planting_feed
from backend_django.plants.models import Plant

from .beds import Bed
from .season import DAYS, day_label, day_words

RISKS = (10, 50, 90)
DEFAULT_RISK = 50
_COMMON_YEAR = 2001
# The percentile standing in for a chance date in summaries without them: (spring, fall).
_PERCENTILE_FOR_RISK = {10: ("p90", "p10"), 50: ("median", "median"), 90: ("p10", "p90")}


def clock() -> datetime:
    """Now (a function of its own, so that tests can set the day)."""
    return timezone.now()


def plan_zone(*, plan_timezone: str, climate_summary: dict) -> ZoneInfo:
    for name in (plan_timezone, climate_summary.get("timezone"), "UTC"):
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class FrostDates:
    risk: int
    last_spring_frost: int | None  # day of a common year, None: no frost to wait for
    first_fall_frost: int | None
    southern: bool
    basis: str  # "chance_dates" or "percentiles"
    years: int | None

    def as_date(self, day: int | None) -> date | None:
        return None if day is None else date(_COMMON_YEAR, 1, 1) + timedelta(days=min(day, DAYS) - 1)

    @property
    def note(self) -> str:
        over = f" over {self.years} years" if self.years else ""
        parts = []
        if self.last_spring_frost is None:
            parts.append(f"No spring frost to wait for at a {self.risk} % risk{over}.")
        else:
            parts.append(
                f"A {self.risk} % chance of frost after {day_words(self.last_spring_frost)} in spring{over}."
            )
        if self.first_fall_frost is None:
            parts.append("No fall frost at that risk.")
        else:
            parts.append(
                f"A {self.risk} % chance of frost before {day_words(self.first_fall_frost)} in fall."
            )
        if self.basis == "percentiles":
            parts.append("From the spread of the years with a frost (the climate summary is older).")
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {
            "last_spring_frost": None
            if self.last_spring_frost is None
            else day_label(self.last_spring_frost),
            "first_fall_frost": None if self.first_fall_frost is None else day_label(self.first_fall_frost),
            "hemisphere": "south" if self.southern else "north",
            "basis": self.basis,
            "years": self.years,
            "note": self.note,
        }


def _day(value) -> int | None:
    return None if value is None else max(1, min(round(float(value)), DAYS))


def frost_dates(summary: dict, *, risk: int) -> FrostDates:
    """The last spring and first fall frost at ``risk`` % (module docstring)."""
    southern = summary.get("hemisphere") == "south"
    spring = summary.get("last_spring_frost") or {}
    fall = summary.get("first_fall_frost") or {}
    if "chance_dates" in spring and "chance_dates" in fall:

        def at_risk(frost: dict) -> int | None:
            found = next((item for item in frost["chance_dates"] if item.get("chance") == risk), None)
            return None if found is None else _day(found.get("day_of_year"))

        days = (at_risk(spring), at_risk(fall))
        basis = "chance_dates"
    else:
        spring_key, fall_key = _PERCENTILE_FOR_RISK[risk]
        # Without a median most years have no such frost.
        days = (
            None if spring.get("median") is None else _day(spring.get(spring_key)),
            None if fall.get("median") is None else _day(fall.get(fall_key)),
        )
        basis = "percentiles"
    return FrostDates(risk, days[0], days[1], southern, basis, summary.get("years"))


@dataclass(frozen=True)
class PlanPlant:
    plant: Plant
    beds: tuple[Bed, ...]


def plan_plants(beds: Sequence[Bed], catalogue: Iterable[Plant]) -> list[PlanPlant]:
    """The catalogue's plants in any of the beds, by common name, each with its beds
    (a plant the catalogue no longer has is left out)."""
    by_id = {plant.pk: plant for plant in catalogue}
    found: dict[int, list[Bed]] = {}
    for bed in beds:
        for plant_id in bed.plants:
            if plant_id in by_id:
                found.setdefault(plant_id, []).append(bed)
    plants = [PlanPlant(by_id[plant_id], tuple(in_beds)) for plant_id, in_beds in found.items()]
    return sorted(plants, key=lambda item: (item.plant.common_name.casefold(), item.plant.pk))


def calendars_for(plant: Plant, frost: FrostDates, years: Sequence[int]) -> list[PlantingCalendar]:
    return [
        planting_calendar(
            plant,
            last_spring_frost=frost.as_date(frost.last_spring_frost),
            first_fall_frost=frost.as_date(frost.first_fall_frost),
            year=year,
            southern=frost.southern,
        )
        for year in years
    ]


def _season(calendar: PlantingCalendar) -> dict:
    return {
        "year": calendar.year,
        "last_spring_frost": calendar.last_spring_frost.isoformat(),
        "first_fall_frost": calendar.first_fall_frost.isoformat(),
        "no_spring_frost": calendar.no_spring_frost,
        "no_fall_frost": calendar.no_fall_frost,
        "windows": [
            {
                "kind": window.kind,
                "what": WHAT[window.kind],
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
            }
            for window in calendar.windows
        ],
        "notes": list(calendar.notes),
    }


def plan_calendar(
    *,
    beds: Sequence[Bed],
    catalogue: Iterable[Plant],
    climate_summary: dict,
    climate_url: str,
    zone: ZoneInfo,
    risk: int,
    now: datetime,
) -> dict:
    """The answer of ``plans/{id}/calendar/``."""
    today = now.astimezone(zone).date()
    years = (today.year, today.year + 1)
    frost = frost_dates(climate_summary, risk=risk)
    plants = []
    for item in plan_plants(beds, catalogue):
        plants.append(
            {
                "id": item.plant.pk,
                "common_name": item.plant.common_name,
                "botanical_name": item.plant.botanical_name,
                "beds": [{"id": bed.id, "name": bed.name} for bed in item.beds],
                "seasons": [_season(calendar) for calendar in calendars_for(item.plant, frost, years)],
            }
        )
    return {
        "timezone": zone.key,
        "today": today.isoformat(),
        "risk": risk,
        "frost": {**frost.as_dict(), "source": climate_url},
        "plants": plants,
    }


def plan_calendar_feed(
    *,
    plan_id: str,
    plan_name: str,
    beds: Sequence[Bed],
    catalogue: Iterable[Plant],
    climate_summary: dict,
    zone: ZoneInfo,
    risk: int,
    now: datetime,
) -> bytes:
    """The same windows as an iCalendar feed (plants/ics.py)."""
    today = now.astimezone(zone).date()
    years = (today.year, today.year + 1)
    frost = frost_dates(climate_summary, risk=risk)
    calendars = [
        (item.plant, calendar)
        for item in plan_plants(beds, catalogue)
        for calendar in calendars_for(item.plant, frost, years)
    ]
    return planting_feed(plan_id=plan_id, plan_name=plan_name, calendars=calendars, generated_at=now)
