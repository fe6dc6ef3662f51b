"""Which plants fit a bed: its sun, the place's winters and the length of its season.

A plant fits when all of these hold:

- **Sun**: the bed's mean hours of direct sun a day over the growing season
  reach the plant's minimum; and a plant that asks for shade is not put
  where it gets two light categories more than it asks for (a part-shade
  plant in full sun, a shade plant in part sun or full sun) — it scorches.
- **Winter**: a plant with a coldest zone (perennials, some biennials)
  survives the place's USDA zone: its coldest zone is at or below it. With
  the zone unknown it is offered, saying so. Annuals live through no winter.
- **Season**: a tender plant with days to maturity (frost kills it) gets a
  harvest before the first fall frost: the frost-free season is at least
  the days from the last spring frost to the first day of its harvest
  window in the planting calendar (plants.calendar), the earliest planting
  of the quickest varieties. Hardy and half-hardy plants grow on either side
  of the frost-free season, so its length does not limit them.

Best first: the score is how close the bed's sun is to the plant's ideal
(1 at the ideal, a twelfth less per hour away; a full-sun plant minds no
sun beyond its ideal) times how comfortably the season fits (1 when even
the latest planting of the slowest varieties is ready before the frost,
down to 0.5 when only the quickest just make it). Ties go to the plant that
wants more sun (a sunny bed is the place for it), then by common name. Each
plant comes with its reasons, in words.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

from .calendar import HARVEST, PlantTiming, planting_calendar
from .models import light_for_hours

# Darkest first: a plant may stand one category sunnier than it asks for, not two.
LIGHT_ORDER = ("shade", "part_shade", "part_sun", "full_sun")
HOURS_PER_SCORE_POINT = 12.0
DASH = "\u2013"  # an en dash, between the ends of a range of days
# Any year's last frost serves to measure days from it; this one is not a leap year.
REFERENCE_LAST_FROST = date(2001, 4, 15)


class CataloguePlant(PlantTiming, Protocol):
    common_name: str
    light: str
    sun_hours_min: float
    sun_hours_ideal: float
    hardiness_zone_min: int | None


@dataclass(frozen=True)
class Recommendation:
    plant: CataloguePlant
    score: float
    reasons: tuple[str, ...]


def plants_for_bed(
    *,
    sun_hours: float,
    zone: int | None,
    frost_free_days: int | None,
    catalogue: Iterable[CataloguePlant],
) -> list[Recommendation]:
    """The plants of ``catalogue`` that fit the bed, best first (module docstring).

    ``sun_hours``: the bed's mean hours of direct sun a day over the growing
    season; ``zone``: the place's USDA zone number (None: unknown);
    ``frost_free_days``: days between the last spring and first fall frost
    (None: unknown; a place without frost has 365).
    """
    if not 0 <= sun_hours <= 24:
        raise ValueError(f"sun_hours must be from 0 to 24, got {sun_hours}.")
    if zone is not None and not 0 <= zone <= 14:
        raise ValueError(f"zone must be from 0 to 14, got {zone}.")
    if frost_free_days is not None and not 0 <= frost_free_days <= 366:
        raise ValueError(f"frost_free_days must be from 0 to 366, got {frost_free_days}.")

    fits = []
    for plant in catalogue:
        recommendation = _fit(plant, sun_hours, zone, frost_free_days)
        if recommendation is not None:
            fits.append(recommendation)
    fits.sort(key=lambda fit: (-fit.score, -fit.plant.sun_hours_ideal, fit.plant.common_name))
    return fits


def _fit(plant: CataloguePlant, hours: float, zone: int | None, days: int | None) -> Recommendation | None:
    if hours < plant.sun_hours_min:
        return None
    bed_light = light_for_hours(hours)
    if LIGHT_ORDER.index(bed_light) - LIGHT_ORDER.index(plant.light) >= 2:
        return None
    reasons = [
        f"{hours:.1f} h of sun a day over the growing season; needs at least "
        f"{plant.sun_hours_min:g} h, best with {plant.sun_hours_ideal:g} h"
    ]
    off_ideal = hours - plant.sun_hours_ideal
    if plant.light == "full_sun":
        off_ideal = min(off_ideal, 0.0)  # more sun than its ideal does a sun-lover no harm
    sun_score = max(0.0, 1 - abs(off_ideal) / HOURS_PER_SCORE_POINT)

    coldest = plant.hardiness_zone_min
    if coldest is not None:
        if zone is not None and zone < coldest:
            return None
        yours = "not known yet" if zone is None else str(zone)
        reasons.append(f"survives winters down to zone {coldest}; your zone is {yours}")

    season_score = 1.0
    need = _season_needed(plant)
    if need is not None:
        first, last = need
        if days is None:
            reasons.append(
                f"needs {first}{DASH}{last} frost-free days to harvest; your season is not known yet"
            )
        elif days < first:
            return None
        else:
            reasons.append(f"your season has {days} frost-free days; needs {first}{DASH}{last} to harvest")
            if days < last:
                season_score = 0.5 + 0.5 * (days - first) / (last - first)
    elif days is not None and plant.frost_tolerance in ("hardy", "half_hardy"):
        reasons.append("takes frost, so the length of the frost-free season does not limit it")

    return Recommendation(plant=plant, score=round(sun_score * season_score, 3), reasons=tuple(reasons))


@dataclass(unsafe_hash=True)
class _Timing:
    """A plant's timing alone (plants.calendar.PlantTiming), hashable; never changed."""

    frost_tolerance: str | None
    days_to_maturity_min: int | None
    days_to_maturity_max: int | None
    maturity_from: str
    weeks_start_indoors_before_last_frost: int | None
    weeks_transplant_after_last_frost: int | None
    weeks_direct_sow_after_last_frost: int | None
    fall_sowing: bool
    weeks_fall_sowing_before_first_frost: int | None


def _season_needed(plant: CataloguePlant) -> tuple[int, int] | None:
    """Days from the last spring frost to the first and last day of a tender plant's harvest window."""
    if plant.frost_tolerance != "tender" or plant.days_to_maturity_min is None:
        return None
    timing = _Timing(*(getattr(plant, name) for name in _Timing.__dataclass_fields__))
    return _season_needed_by_timing(timing)


@lru_cache(maxsize=4096)
def _season_needed_by_timing(timing: _Timing) -> tuple[int, int] | None:
    """The same for a timing: the same for every bed, so worked out once per timing."""
    calendar = planting_calendar(
        timing, last_spring_frost=REFERENCE_LAST_FROST, first_fall_frost=None, year=REFERENCE_LAST_FROST.year
    )
    harvest = calendar.window(HARVEST)
    if harvest is None:
        return None
    return (harvest.start - REFERENCE_LAST_FROST).days, (harvest.end - REFERENCE_LAST_FROST).days
