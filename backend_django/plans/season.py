"""Spans of the year a plan's numbers are averaged over: the growing season, months, the year.

The sun raster holds one representative day per month, so a span is the
days it covers in each month: an average over it weights each month by its
days inside it (``Span.weights``). Days are counted in a common year
(365 days; a day of year 366 counts as 365).

**The growing season** comes from the plan's climate summary
(upstream/kinds/climate: the median day of year of the last spring frost and
of the first fall frost over its 30 years): from the day after the last
spring frost to the day before the first fall frost, the frost-free days,
as many as the summary's season between them. North of the equator it runs
within the calendar year; south of it, from the southern spring over the
new year into autumn. Where most years have no spring frost the season
starts with the (hemisphere's) year, 1 January in the north and 1 July in
the south; where most have no fall frost it ends with it (31 December, 30
June); with neither, it is the whole year.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAYS = 365
_FIRST = date(2001, 1, 1)  # a common year
# The month (0-11) of each day of a common year.
MONTH_OF_DAY = np.array([(_FIRST + timedelta(days=day)).month - 1 for day in range(DAYS)])
MONTH_DAYS = np.bincount(MONTH_OF_DAY, minlength=12)
# Where the southern growing year starts: 1 July.
SOUTHERN_YEAR_START = date(2001, 7, 1).timetuple().tm_yday


def day_label(day: int) -> str:
    """A day of a common year as MM-DD ("04-12")."""
    return (_FIRST + timedelta(days=day - 1)).strftime("%m-%d")


def day_words(day: int) -> str:
    """A day of a common year in words ("12 April")."""
    moment = _FIRST + timedelta(days=day - 1)
    return f"{moment.day} {moment:%B}"


def _wrap(day: int) -> int:
    return (day - 1) % DAYS + 1


@dataclass(frozen=True)
class Span:
    """Days ``start`` to ``end`` of a common year, both included, over the new year when
    ``end`` comes before ``start``; ``days`` 0 for an empty span."""

    start: int
    end: int
    days: int

    @property
    def weights(self) -> np.ndarray:
        """Days of each month (January first) inside the span."""
        if self.days == 0:
            return np.zeros(12, dtype=np.int64)
        offsets = (np.arange(self.days) + self.start - 1) % DAYS
        return np.bincount(MONTH_OF_DAY[offsets], minlength=12)

    def as_dict(self) -> dict:
        return {"start": day_label(self.start), "end": day_label(self.end), "days": self.days}


def span_between(start: int, end: int) -> Span:
    """Days ``start`` to ``end`` (1-365, wrapping over the new year)."""
    return Span(start, end, (end - start) % DAYS + 1)


YEAR = Span(1, DAYS, DAYS)


def months_span(first: int, last: int) -> Span:
    """Months ``first`` to ``last`` (1-12, both included; 11 to 2 runs over the new year)."""
    start = int(MONTH_DAYS[: first - 1].sum()) + 1
    end = int(MONTH_DAYS[:last].sum())
    return span_between(start, end)


@dataclass(frozen=True)
class GrowingSeason:
    span: Span
    basis: str  # "frost_dates", "no_frost", "no_spring_frost", "no_fall_frost"
    hemisphere: str
    last_spring_frost: int | None  # median day of year, as the summary gives it
    first_fall_frost: int | None
    years: int | None
    note: str

    def as_dict(self) -> dict:
        return {
            **self.span.as_dict(),
            "basis": self.basis,
            "hemisphere": self.hemisphere,
            "last_spring_frost": None
            if self.last_spring_frost is None
            else day_label(self.last_spring_frost),
            "first_fall_frost": None if self.first_fall_frost is None else day_label(self.first_fall_frost),
            "years": self.years,
            "note": self.note,
        }


def _median_day(frost: dict | None) -> int | None:
    median = (frost or {}).get("median")
    return None if median is None else min(int(median), DAYS)


def growing_season(summary: dict) -> GrowingSeason:
    """The frost-free season of a climate summary (module docstring)."""
    spring = _median_day(summary.get("last_spring_frost"))
    fall = _median_day(summary.get("first_fall_frost"))
    south = summary.get("hemisphere") == "south"
    year_start = SOUTHERN_YEAR_START if south else 1
    start = year_start if spring is None else _wrap(spring + 1)
    end = _wrap(year_start - 1) if fall is None else _wrap(fall - 1)
    if spring is not None and fall is not None:
        # Frost dates a day apart (or crossed) leave no frost-free day.
        gap = (fall - spring) % DAYS if south else fall - spring
        span = Span(start, end, 0) if gap <= 1 else span_between(start, end)
    else:
        span = span_between(start, end)

    years = summary.get("years")
    over = f"; medians of {years} years" if years else ""
    if spring is None and fall is None:
        basis, note = "no_frost", "No frost in most years: the whole year."
    elif spring is None:
        basis = "no_spring_frost"
        note = (
            f"No spring frost in most years: from {day_words(start)} to the day before the median "
            f"first fall frost ({day_words(fall or 1)}){over}."
        )
    elif fall is None:
        basis = "no_fall_frost"
        note = (
            f"No fall frost in most years: from the day after the median last spring frost "
            f"({day_words(spring)}) to {day_words(end)}{over}."
        )
    else:
        basis = "frost_dates"
        note = (
            f"From the day after the median last spring frost ({day_words(spring)}) to the day "
            f"before the median first fall frost ({day_words(fall)}){over}."
        )
    return GrowingSeason(
        span=span,
        basis=basis,
        hemisphere="south" if south else "north",
        last_spring_frost=spring,
        first_fall_frost=fall,
        years=years,
        note=note,
    )
