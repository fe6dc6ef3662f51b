"""Climate: 30 years of daily temperatures from Open-Meteo, and frost statistics.

The point is snapped to a 0.1° grid (the reanalysis resolution) so that
neighbours share one cache entry. The stored body is Open-Meteo's own answer
covering CLIMATE_YEARS full calendar years plus the current year to date; a
refresh fetches only the recent tail and merges it in, because past days never
change apart from the last few months.
"""

import json
import logging
import math
import statistics
from datetime import date, timedelta

from django.conf import settings

from ... import guards
from ...cache.store import Entry, NewEntry
from ...clients import open_meteo
from ..base import Kind
from . import koppen

logger = logging.getLogger(__name__)

UNIT_PREFIX = "climate:"
SUMMARY_PREFIX = "climate_summary:"
ARCHIVE_LAG_DAYS = 5  # the archive trails real time by about five days
SPRING_END_DOY = 172  # spring window: days 1-172 in the north, 173-366 in the south
FROST_CHANCES = (10, 50, 90)  # percent: the frost dates by chance in the summary


def snap(lat: float, lng: float) -> tuple[float, float]:
    """The 0.1° grid point a coordinate belongs to."""
    # "+ 0.0" turns -0.0 into 0.0, so both sides of the equator share a key.
    return round(lat * 10) / 10 + 0.0, round(lng * 10) / 10 + 0.0


def unit_for(lat: float, lng: float) -> str:
    slat, slng = snap(lat, lng)
    return f"{UNIT_PREFIX}{slat:.1f}:{slng:.1f}"


def summary_unit(unit: str) -> str:
    """The summary's entry, stored beside the climate body it was computed from."""
    return unit.replace(UNIT_PREFIX, SUMMARY_PREFIX, 1)


def data_url(lat: float, lng: float) -> str:
    """The canonical URL of the climate body of a point (its 0.1° grid point)."""
    slat, slng = snap(lat, lng)
    return f"/api/v1/climate/?lat={slat:.1f}&lng={slng:.1f}"


def summary_url(lat: float, lng: float) -> str:
    slat, slng = snap(lat, lng)
    return f"/api/v1/climate/summary/?lat={slat:.1f}&lng={slng:.1f}"


def parse_unit(unit: str) -> tuple[float, float]:
    _, lat, lng = unit.split(":")
    return float(lat), float(lng)


def full_range(today: date) -> tuple[date, date]:
    """Jan 1 CLIMATE_YEARS years back, to the newest day the archive has."""
    return date(today.year - settings.CLIMATE_YEARS, 1, 1), today - timedelta(days=ARCHIVE_LAG_DAYS)


def tail_range(body: dict, today: date) -> tuple[date, date] | None:
    """The recent days a refresh re-fetches: the revision window plus any gap; None when
    the whole range must be fetched again (a body without a variable we now ask for:
    a climate stored before precipitation was, once)."""
    if any(variable not in body["daily"] for variable in open_meteo.DAILY_VARIABLES):
        return None
    times = body["daily"]["time"]
    end = today - timedelta(days=ARCHIVE_LAG_DAYS)
    if not times:
        return None
    last = date.fromisoformat(times[-1])
    start = min(last + timedelta(days=1), end - timedelta(days=settings.CLIMATE_REFRESH_TAIL_DAYS))
    first_wanted = full_range(today)[0]
    if last < first_wanted or start > end:
        return None
    return start, end


def merge_tail(body: dict, tail: dict, today: date) -> dict:
    """``body`` with the days of ``tail`` replaced or appended, trimmed to the window."""
    daily, new = body["daily"], tail["daily"]
    keys = [key for key in daily if isinstance(daily[key], list)]
    by_day = {day: i for i, day in enumerate(daily["time"])}
    merged = {key: list(daily[key]) for key in keys}
    for j, day in enumerate(new["time"]):
        if day in by_day:
            for key in keys:
                merged[key][by_day[day]] = new[key][j]
        else:
            for key in keys:
                merged[key].append(new[key][j])
    first = full_range(today)[0].isoformat()
    start = next((i for i, day in enumerate(merged["time"]) if day >= first), len(merged["time"]))
    result = dict(body)
    result["daily"] = {key: merged[key][start:] for key in keys}
    return result


def _day_of_year(day: date) -> int:
    return day.timetuple().tm_yday


def _percentiles(values: list[int]) -> dict:
    if not values:
        return {"median": None, "p10": None, "p90": None}
    if len(values) == 1:
        return {"median": values[0], "p10": values[0], "p90": values[0]}
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return {
        "median": round(statistics.median(values)),
        "p10": round(deciles[0]),
        "p90": round(deciles[-1]),
    }


def _quantile(values: list[float], q: float) -> float | None:
    """The q-quantile of sorted ``values`` by linear interpolation between order
    statistics ("inclusive", as statistics.quantiles computes the deciles), or
    None when it falls on or next to an infinite value."""
    if not values:
        return None
    position = q * (len(values) - 1)
    low = math.floor(position)
    fraction = position - low
    high = min(low + 1, len(values) - 1)
    if math.isinf(values[low]) or (fraction > 0 and math.isinf(values[high])):
        return None
    return values[low] + fraction * (values[high] - values[low])


def _chance_dates(days: list[int], years_without: int, *, spring: bool) -> list[dict]:
    """The days of year by which frost has a FROST_CHANCES % chance of still coming.

    Spring: in that share of the years the last frost came later than the day.
    Fall: in that share of the years the first frost came earlier. Years
    without such a frost count in the denominator (they never frost beyond
    any day), so a day is None when frost beyond every day is rarer than the
    chance (e.g. the 90 % day where most winters are frost-free).
    """
    if spring:
        values = [-math.inf] * years_without + sorted(days)
    else:
        values = sorted(days) + [math.inf] * years_without
    dates = []
    for chance in FROST_CHANCES:
        day = _quantile(values, 1 - chance / 100 if spring else chance / 100)
        doy = None if day is None else round(day)
        dates.append({"chance": chance, "day_of_year": doy, "date": _label(doy)})
    return dates


def _hardiness_zone(annual_minimums: list[float]) -> dict:
    """The USDA plant hardiness zone from the mean of the annual extreme minimum temperatures.

    Zones are 10 °F bands from zone 1 at -60 °F, each halved into a (colder)
    and b (warmer) 5 °F halves: 7a is 0 to 5 °F, 7b 5 to 10 °F. The bands go
    on past 13b (14a from 70 °F); everything colder than 1a is zone 0
    (0b from -65 °F, 0a below).
    """
    if not annual_minimums:
        return {
            "zone": None,
            "number": None,
            "half": None,
            "mean_annual_min_c": None,
            "mean_annual_min_f": None,
        }
    mean_c = statistics.fmean(annual_minimums)
    mean_f = mean_c * 9 / 5 + 32
    half_index = max(-2, math.floor((mean_f + 60) / 5 + 1e-9))  # 0 = 1a, 1 = 1b, 2 = 2a, ...
    number, half = half_index // 2 + 1, "ab"[half_index % 2]
    return {
        "zone": f"{number}{half}",
        "number": number,
        "half": half,
        "mean_annual_min_c": round(mean_c, 1),
        "mean_annual_min_f": round(mean_f, 1),
    }


def _label(doy: int | None) -> str | None:
    """A day of year as month-day in a common (non-leap) year, e.g. "04-12"."""
    if doy is None:
        return None
    return (date(2001, 1, 1) + timedelta(days=min(doy, 365) - 1)).strftime("%m-%d")


def summarize(body: dict, today: date) -> dict:
    """Frost dates, monthly normals, growing season and hardiness zone from a climate body.

    Frost is a day with a minimum at or below 0 °C. In the north the last
    spring frost is the last frost on days 1-172 and the first fall frost the
    first one from day 173; in the south the windows swap and the season
    spans the new year. Only full calendar years count.

    Each frost has two views: ``median``/``p10``/``p90``, the spread of its
    day of year over the years that had one (the middle 80 % of those years
    lie between p10 and p90), and ``chance_dates``, the days by which frost
    has a 10, 50 and 90 % chance of still coming, over all years. The
    hardiness zone is the USDA one: the mean over the years of each year's
    lowest daily minimum, in 10 °F zones halved into a and b.
    """
    daily = body["daily"]
    first_year = today.year - settings.CLIMATE_YEARS
    last_year = today.year - 1
    north = body.get("latitude", 0) >= 0
    per_year: dict[int, list[tuple[date, float | None, float | None]]] = {}
    for day_text, tmax, tmin in zip(
        daily["time"], daily["temperature_2m_max"], daily["temperature_2m_min"], strict=True
    ):
        day = date.fromisoformat(day_text)
        if first_year <= day.year <= last_year:
            per_year.setdefault(day.year, []).append((day, tmax, tmin))

    # A year counts when most of its minimums are known.
    years = sorted(year for year, days in per_year.items() if sum(d[2] is not None for d in days) >= 300)
    spring: list[int] = []
    fall: list[int] = []
    seasons: list[int] = []
    no_spring_frost = no_fall_frost = 0
    for year in years:
        frosts = [_day_of_year(d) for d, _, tmin in per_year[year] if tmin is not None and tmin <= 0]
        days_in_year = 366 if date(year, 12, 31).timetuple().tm_yday == 366 else 365
        in_first_half = [doy for doy in frosts if doy <= SPRING_END_DOY]
        in_second_half = [doy for doy in frosts if doy > SPRING_END_DOY]
        if north:
            last_spring = max(in_first_half) if in_first_half else None
            first_fall = min(in_second_half) if in_second_half else None
            start = last_spring or 0
            end = first_fall or days_in_year + 1
            seasons.append(end - start - 1)
        else:
            last_spring = max(in_second_half) if in_second_half else None
            first_fall = min(in_first_half) if in_first_half else None
            # The southern season runs from spring (late in the year) into
            # next year's autumn.
            next_year = [
                _day_of_year(d)
                for d, _, tmin in per_year.get(year + 1, [])
                if tmin is not None and tmin <= 0 and _day_of_year(d) <= SPRING_END_DOY
            ]
            if year + 1 in per_year:
                start = last_spring or SPRING_END_DOY
                end = (min(next_year) if next_year else SPRING_END_DOY + 1) + days_in_year
                seasons.append(end - start - 1)
        if last_spring is None:
            no_spring_frost += 1
        else:
            spring.append(last_spring)
        if first_fall is None:
            no_fall_frost += 1
        else:
            fall.append(first_fall)

    rain = _monthly_precipitation(daily, years)
    monthly = []
    for month in range(1, 13):
        month_rain = None if rain is None else rain[month - 1]
        mins = [
            tmin for year in years for d, _, tmin in per_year[year] if d.month == month and tmin is not None
        ]
        maxs = [
            tmax for year in years for d, tmax, _ in per_year[year] if d.month == month and tmax is not None
        ]
        mean = round((statistics.fmean(mins) + statistics.fmean(maxs)) / 2, 1) if mins and maxs else None
        monthly.append(
            {
                "month": month,
                "mean_min": round(statistics.fmean(mins), 1) if mins else None,
                "mean_max": round(statistics.fmean(maxs), 1) if maxs else None,
                # The month's mean temperature (the mean of its means of minimums and maximums).
                "mean": mean,
                "precipitation_mm": None if month_rain is None else round(month_rain, 1),
            }
        )
    koppen, koppen_reason = _koppen(monthly, rain, north)

    annual_minimums = [min(tmin for _, _, tmin in per_year[year] if tmin is not None) for year in years]
    last_spring_stats = _percentiles(spring)
    first_fall_stats = _percentiles(fall)
    return {
        "latitude": body.get("latitude"),
        "longitude": body.get("longitude"),
        "elevation": body.get("elevation"),
        "timezone": body.get("timezone"),
        "hemisphere": "north" if north else "south",
        "years": len(years),
        "first_year": years[0] if years else None,
        "last_year": years[-1] if years else None,
        "last_spring_frost": {
            **last_spring_stats,
            "median_date": _label(last_spring_stats["median"]),
            "years_without_frost": no_spring_frost,
            "chance_dates": _chance_dates(spring, no_spring_frost, spring=True),
        },
        "first_fall_frost": {
            **first_fall_stats,
            "median_date": _label(first_fall_stats["median"]),
            "years_without_frost": no_fall_frost,
            "chance_dates": _chance_dates(fall, no_fall_frost, spring=False),
        },
        "growing_season_days": _percentiles(seasons),
        "hardiness_zone": {**_hardiness_zone(annual_minimums), "years": len(annual_minimums)},
        "koppen": koppen,
        "koppen_reason": koppen_reason,
        "monthly": monthly,
    }


def _monthly_precipitation(daily: dict, years: list[int]) -> list[float | None] | None:
    """Mean monthly precipitation totals (mm) over ``years``: each year-month's sum when most
    of its days are known, averaged over the years; None when the body has no precipitation."""
    if "precipitation_sum" not in daily:
        return None
    wanted = set(years)
    sums: dict[tuple[int, int], list[float]] = {}
    for day_text, amount in zip(daily["time"], daily["precipitation_sum"], strict=True):
        year, month = int(day_text[:4]), int(day_text[5:7])
        if year in wanted and amount is not None:
            sums.setdefault((year, month), []).append(amount)
    totals: list[float | None] = []
    for month in range(1, 13):
        per_year = [sum(values) for (year, m), values in sums.items() if m == month and len(values) >= 25]
        totals.append(statistics.fmean(per_year) if per_year else None)
    return totals


def _koppen(
    monthly: list[dict], rain: list[float | None] | None, north: bool
) -> tuple[dict | None, str | None]:
    """The Köppen-Geiger class of the normals (koppen.py), or None and why not."""
    if rain is None:
        return None, "The stored climate has no precipitation yet; its next refresh fetches it."
    temperatures = [month["mean"] for month in monthly if month["mean"] is not None]
    known_rain = [value for value in rain if value is not None]
    if len(temperatures) < 12 or len(known_rain) < 12:
        return None, "Some months have too few days of data to classify the climate."
    found = koppen.koppen_class(temperatures, known_rain, hemisphere="north" if north else "south")
    return {"code": found.code, "name": found.name}, None


def fetch_unit(unit: str, existing: dict | None, today: date) -> tuple[dict, float]:
    """Fetch what ``unit`` needs: the tail when a body exists, else everything.

    Returns the new body and the weight the fetch cost (for the logs).
    """
    lat, lng = parse_unit(unit)
    if existing is not None:
        window = tail_range(existing, today)
        if window is not None:
            tail = open_meteo.fetch_daily(lat, lng, *window)
            return merge_tail(existing, tail, today), open_meteo.weighted_calls(*window)
    start, end = full_range(today)
    return open_meteo.fetch_daily(lat, lng, start, end), open_meteo.weighted_calls(start, end)


def weight_of(unit: str, existing: dict | None, today: date) -> float:
    if existing is not None:
        window = tail_range(existing, today)
        if window is not None:
            return open_meteo.weighted_calls(*window)
    return open_meteo.weighted_calls(*full_range(today))


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """The climate body (a tail refresh merged into ``existing`` when there is one) and its summary."""
    today = date.today()
    existing_body = existing.json() if existing is not None else None
    with guards.request(open_meteo.UPSTREAM, pool=pool, weight=weight_of(unit, existing_body, today)):
        body, weight = fetch_unit(unit, existing_body, today)
    logger.info("climate %s fetched (%d days, %.1f weighted calls)", unit, len(body["daily"]["time"]), weight)
    return [KIND.entry(unit, encode(body)), KIND.entry(summary_unit(unit), encode(summarize(body, today)))]


def place_facts(summary: dict | None) -> dict:
    """The plans list's climate facts: the last spring frost (None until the summary is cached)."""
    if summary is None:
        return {"last_spring_frost": None}
    frost = summary["last_spring_frost"]
    return {
        "last_spring_frost": {
            "median": frost["median"],
            "median_date": frost["median_date"],
            "p10": frost["p10"],
            "p90": frost["p90"],
            "years_without_frost": frost["years_without_frost"],
            "years": summary["years"],
        }
    }


KIND = Kind(
    name="climate",
    unit_prefix=UNIT_PREFIX,
    upstream="open_meteo",
    label="Open-Meteo (climate)",
    fresh_setting="CLIMATE_FRESH_SECONDS",
    stale_setting="CLIMATE_STALE_SECONDS",
    content_type="application/json",
    fetch=fetch_entries,
    companions=lambda unit: [summary_unit(unit)],
    units_for_place=lambda lat, lng: [unit_for(lat, lng)],
    urls_for_place=lambda lat, lng: {"climate": data_url(lat, lng), "climate_summary": summary_url(lat, lng)},
    urls={
        "climate": "Climate of the point's 0.1° grid cell.",
        "climate_summary": "Its summary (frost dates, normals).",
    },
    facts_unit_for_place=lambda lat, lng: summary_unit(unit_for(lat, lng)),
    facts=place_facts,
    endpoints=("climate", "climate_summary"),
    also_stored=(SUMMARY_PREFIX,),
    daily_miss_limit="PROXY_CLIMATE_FETCHES_PER_DAY",
)
