"""Sun positions from pvlib (NREL's Solar Position Algorithm) for a site's days.

Each representative day runs from local midnight for 24 hours in steps of
SUN_STEP_MINUTES; the sun's position is taken in the middle of each step, and
a step counts when the sun's centre is above SUN_MIN_ALTITUDE_DEGREES
(true, geometric altitude: atmospheric refraction is ignored).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

logger = logging.getLogger(__name__)

_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def timezone_resolve(value: str | int | float | None, *, lng: float) -> tzinfo:
    """A time zone from an IANA name ("Europe/Paris"), a UTC offset in seconds
    (Open-Meteo's ``utc_offset_seconds``) or as text ("+05:30", "UTC-3").

    Without one (or with a name this machine does not know) the site's mean
    solar offset, longitude / 15 hours rounded, stands in: the days then start
    at about local midnight, which is all the time zone decides here.
    """
    if isinstance(value, bool):
        value = None
    if isinstance(value, int | float):
        return timezone(timedelta(seconds=round(value)))
    if isinstance(value, str) and value.strip():
        text = value.strip()
        match = _OFFSET_RE.match(text)
        if match:
            sign, hours, minutes = match.groups()
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
            if delta <= timedelta(hours=14):
                return timezone(-delta if sign == "-" else delta)
        else:
            try:
                return ZoneInfo(text)
            except (ZoneInfoNotFoundError, ValueError):
                logger.warning("sun: unknown time zone %r; using the solar offset of %.4f", text, lng)
    return timezone(timedelta(hours=max(-12, min(12, round(lng / 15)))))


@dataclass(frozen=True)
class SunPath:
    """The steps with the sun up on the site's days (only those: the rest count as dark)."""

    days: tuple[date, ...]
    step_hours: float
    day_index: np.ndarray  # int, which of ``days`` each step belongs to
    azimuth: np.ndarray  # degrees clockwise from north
    altitude: np.ndarray  # degrees above the horizon (true, not refracted)

    def daylight_hours(self) -> np.ndarray:
        """Hours per day with the sun above the minimum altitude (what an open site gets)."""
        return np.bincount(self.day_index, minlength=len(self.days)) * self.step_hours


def sun_path_compute(
    *,
    lat: float,
    lng: float,
    timezone: str | int | float | None,
    days: Sequence[date],
    step_minutes: int,
    min_altitude_degrees: float,
    elevation_m: float | None = None,
) -> SunPath:
    import pandas as pd
    from pvlib import solarposition

    tz = timezone_resolve(timezone, lng=lng)
    per_day = 1440 // step_minutes
    offsets = pd.to_timedelta((np.arange(per_day) + 0.5) * step_minutes, unit="min")
    stamps = []
    for day in days:
        midnight = pd.Timestamp(datetime(day.year, day.month, day.day, tzinfo=tz))
        # Absolute steps from local midnight: a day with a clock change still has 24 hours.
        stamps.append((midnight + offsets).tz_convert(None))  # naive UTC
    times = pd.DatetimeIndex(np.concatenate([s.to_numpy() for s in stamps])).tz_localize("UTC")
    position = solarposition.get_solarposition(
        times, lat, lng, altitude=elevation_m or 0.0, method="nrel_numpy"
    )
    altitude = position["elevation"].to_numpy(dtype=float)
    azimuth = position["azimuth"].to_numpy(dtype=float)
    day_index = np.repeat(np.arange(len(days)), per_day)
    up = altitude > min_altitude_degrees
    return SunPath(tuple(days), step_minutes / 60, day_index[up], azimuth[up], altitude[up])
