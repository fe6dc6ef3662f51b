"""Planting windows for one plant at one place, dated from the place's frost dates.

The catalogue times each planting in weeks from a frost date (start indoors
6 weeks before the last spring frost, plant out 1 week after it, sow again 8
weeks before the first fall frost). This module turns those weeks into dated
windows for a year:

- **A window is two weeks around its day**: from 7 days before the computed
  day to 7 days after it, both included. Frost dates are medians (a
  year's frost comes earlier or later), and a gardener needs a span to plan
  a weekend in, not a single day.
- **Tender plants wait for the last frost**: their outdoor windows
  (transplant, direct sow) never open before the last spring frost.
- **Harvest** follows the planting that the days to maturity count from:
  plant-out when they count from transplanting (tomatoes), else the outdoor
  sowing, else the indoor one. It runs from the planting window's first day
  plus the fewest days to maturity to its last day plus the most. When the
  days count from transplanting but the crop is sown outdoors, its weeks as
  a seedling indoors are added (the count leaves them out). The same rule
  dates the harvest of a fall sowing.
- **Frost ends a tender crop**: its harvest window ends at the first fall
  frost, and a harvest that could only begin after it is left out, with a
  note.
- **The year**: frost dates may come from any year (only month and day
  count; 29 February is the 28th in a common year). The spring windows
  belong to ``year``; when the first fall frost falls on or before the last
  spring frost in the calendar (south of the equator the season runs over
  the new year), it is taken in the next year. Starting indoors can fall in
  the year before.
- **No frost**: where most years have no spring frost there is none to wait
  for, and the cool season is when cool-season crops grow. The spring
  timings then count from mid-February (mid-August south of the equator),
  the end of the cool weeks: hardy crops go in during winter, tender ones as
  it warms. Where there is no fall frost, fall sowings count back from
  mid-December (mid-June in the south), the start of the cool weeks. The
  calendar says so (``no_spring_frost``, ``no_fall_frost`` and a note).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

HALF_WINDOW = timedelta(days=7)

# Month and day standing in for a frost a place does not have (north, south).
NO_SPRING_FROST_STAND_IN = {"north": (2, 15), "south": (8, 15)}
NO_FALL_FROST_STAND_IN = {"north": (12, 15), "south": (6, 15)}

# Window kinds, in the order a season runs.
START_INDOORS = "start_indoors"
TRANSPLANT = "transplant"
DIRECT_SOW = "direct_sow"
HARVEST = "harvest"
FALL_SOWING = "fall_sowing"
FALL_HARVEST = "fall_harvest"
WINDOW_KINDS = (START_INDOORS, TRANSPLANT, DIRECT_SOW, HARVEST, FALL_SOWING, FALL_HARVEST)


class PlantTiming(Protocol):
    """What the calendar reads of a plant (a ``plants.models.Plant`` has it all)."""

    frost_tolerance: str | None
    days_to_maturity_min: int | None
    days_to_maturity_max: int | None
    maturity_from: str
    weeks_start_indoors_before_last_frost: int | None
    weeks_transplant_after_last_frost: int | None
    weeks_direct_sow_after_last_frost: int | None
    fall_sowing: bool
    weeks_fall_sowing_before_first_frost: int | None


@dataclass(frozen=True)
class Window:
    kind: str
    start: date
    end: date  # included


@dataclass(frozen=True)
class PlantingCalendar:
    year: int
    last_spring_frost: date  # the place's, or the stand-in when it has none
    first_fall_frost: date
    no_spring_frost: bool
    no_fall_frost: bool
    windows: tuple[Window, ...]
    notes: tuple[str, ...]

    def window(self, kind: str) -> Window | None:
        return next((window for window in self.windows if window.kind == kind), None)


def planting_calendar(
    plant: PlantTiming,
    *,
    last_spring_frost: date | None,
    first_fall_frost: date | None,
    year: int,
    southern: bool = False,
) -> PlantingCalendar:
    """The plant's dated windows for ``year`` at a place with these frost dates (None: no such frost)."""
    half = "south" if southern else "north"
    notes: list[str] = []

    if last_spring_frost is None:
        spring = date(year, *NO_SPRING_FROST_STAND_IN[half])
        notes.append(
            "No spring frost here in most years: the spring windows count from mid-"
            f"{spring:%B}, the end of the cool season, instead of a last frost."
        )
    else:
        spring = _in_year(last_spring_frost, year)
    if first_fall_frost is None:
        fall = date(year, *NO_FALL_FROST_STAND_IN[half])
        if fall <= spring:
            fall = _in_year(fall, year + 1)
        if plant.fall_sowing:
            notes.append(
                f"No fall frost here in most years: fall sowing counts back from mid-{fall:%B}, "
                "the start of the cool season."
            )
    else:
        fall = _in_year(first_fall_frost, year)
        if fall <= spring:
            fall = _in_year(first_fall_frost, year + 1)

    tender = plant.frost_tolerance == "tender"
    waits_for = spring if tender and last_spring_frost is not None else None
    windows: list[Window] = []

    def weeks_from(anchor: date, weeks: int | None, kind: str, *, outdoors: bool = False) -> Window | None:
        if weeks is None:
            return None
        day = anchor + timedelta(weeks=weeks)
        start, end = day - HALF_WINDOW, day + HALF_WINDOW
        if outdoors and waits_for is not None:
            start = max(start, waits_for)
            end = max(end, start)
        return Window(kind, start, end)

    indoors = weeks_from(spring, _negated(plant.weeks_start_indoors_before_last_frost), START_INDOORS)
    transplant = weeks_from(spring, plant.weeks_transplant_after_last_frost, TRANSPLANT, outdoors=True)
    direct = weeks_from(spring, plant.weeks_direct_sow_after_last_frost, DIRECT_SOW, outdoors=True)
    windows += [window for window in (indoors, transplant, direct) if window is not None]

    frost_kills = fall if tender and first_fall_frost is not None else None
    harvest = _harvest(plant, HARVEST, indoors=indoors, transplant=transplant, direct=direct)
    windows += _until_frost(harvest, frost_kills, notes)

    if plant.fall_sowing:
        fall_sowing = weeks_from(fall, _negated(plant.weeks_fall_sowing_before_first_frost), FALL_SOWING)
        if fall_sowing is not None:  # always for a catalogue plant (plants_fall_sowing_has_weeks)
            windows.append(fall_sowing)
            windows += _until_frost(_harvest(plant, FALL_HARVEST, direct=fall_sowing), frost_kills, notes)

    return PlantingCalendar(
        year=year,
        last_spring_frost=spring,
        first_fall_frost=fall,
        no_spring_frost=last_spring_frost is None,
        no_fall_frost=first_fall_frost is None,
        windows=tuple(windows),
        notes=tuple(notes),
    )


def _harvest(
    plant: PlantTiming,
    kind: str,
    *,
    indoors: Window | None = None,
    transplant: Window | None = None,
    direct: Window | None = None,
) -> Window | None:
    """The harvest of the planting the days to maturity count from (module docstring)."""
    if plant.days_to_maturity_min is None or plant.days_to_maturity_max is None:
        return None
    seedling = timedelta(0)
    planting: Window | None
    if plant.maturity_from == "transplant" and transplant is not None:
        planting = transplant
    elif direct is not None:
        planting = direct
        if plant.maturity_from == "transplant":
            seedling = timedelta(weeks=plant.weeks_start_indoors_before_last_frost or 0)
    else:
        planting = indoors or transplant
    if planting is None:
        return None
    return Window(
        kind,
        planting.start + seedling + timedelta(days=plant.days_to_maturity_min),
        planting.end + seedling + timedelta(days=plant.days_to_maturity_max),
    )


def _until_frost(harvest: Window | None, frost: date | None, notes: list[str]) -> list[Window]:
    """A tender crop's harvest, ended by the first fall frost (None: frost does not end it)."""
    if harvest is None:
        return []
    if frost is None or harvest.end <= frost:
        return [harvest]
    what = "fall harvest" if harvest.kind == FALL_HARVEST else "harvest"
    if harvest.start > frost:
        notes.append(f"The first fall frost ({frost:%d %B}) comes before the {what} could begin.")
        return []
    notes.append(f"The first fall frost ({frost:%d %B}) ends the {what}.")
    return [Window(harvest.kind, harvest.start, frost)]


def _negated(weeks: int | None) -> int | None:
    return None if weeks is None else -weeks


def _in_year(day: date, year: int) -> date:
    """The same month and day in ``year`` (29 February becomes the 28th in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)
