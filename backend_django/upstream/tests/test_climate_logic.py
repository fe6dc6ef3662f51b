"""Frost statistics, snapping and the tail merge, on hand-made data."""

from datetime import date, timedelta

import pytest

from backend_django.upstream.kinds import climate

TODAY = date(2026, 11, 23)


def make_body(
    lat: float, frost_days: dict[int, list[int]], years=range(1996, 2026), extra_days=0, precipitation=True
):
    """A body with tmin = 5 °C except on the given days of year per year, and 2 mm of rain a day
    (a body stored before precipitation was asked for has none: ``precipitation=False``)."""
    times, tmax, tmin = [], [], []
    day = date(years[0], 1, 1)
    end = date(years[-1], 12, 31) + timedelta(days=extra_days)
    while day <= end:
        times.append(day.isoformat())
        doy = day.timetuple().tm_yday
        tmin.append(-1.5 if doy in frost_days.get(day.year, []) else 5.0)
        tmax.append(10.0 + day.month)
        day += timedelta(days=1)
    daily = {"time": times, "temperature_2m_max": tmax, "temperature_2m_min": tmin}
    if precipitation:
        daily["precipitation_sum"] = [2.0] * len(times)
    return {"latitude": lat, "longitude": 10.05, "timezone": "Etc/GMT", "daily": daily}


def test_snap_to_tenth_degree_grid():
    assert climate.snap(37.7749, -122.4194) == (37.8, -122.4)
    assert climate.unit_for(37.7749, -122.4194) == "climate:37.8:-122.4"
    assert climate.unit_for(37.76, -122.44) == climate.unit_for(37.8, -122.4)
    assert climate.unit_for(-0.04, 0.04) == climate.unit_for(0.04, -0.04) == "climate:0.0:0.0"


def test_northern_frost_dates_percentiles_and_season():
    # Last spring frost on day 90 + (year % 10), first fall frost on day 290 + (year % 10).
    frost = {year: [10, 90 + year % 10, 290 + year % 10, 350] for year in range(1996, 2026)}
    summary = climate.summarize(make_body(45.05, frost), TODAY)
    assert summary["hemisphere"] == "north"
    assert summary["years"] == 30
    assert (summary["first_year"], summary["last_year"]) == (1996, 2025)
    spring = summary["last_spring_frost"]
    # Days 90..99, three years each: median 94.5 (rounds to even), deciles 90.9 and 98.1.
    assert (spring["median"], spring["p10"], spring["p90"]) == (94, 91, 98)
    assert spring["years_without_frost"] == 0
    assert spring["median_date"] == "04-04"
    fall = summary["first_fall_frost"]
    assert (fall["median"], fall["p10"], fall["p90"]) == (294, 291, 298)
    # Season = first fall - last spring - 1 = 199 every year.
    assert summary["growing_season_days"] == {"median": 199, "p10": 199, "p90": 199}
    # January: one frost day at -1.5 °C among 31 days at 5 °C.
    january_min = (30 * 5 - 1.5) / 31
    assert summary["monthly"][0] == {
        "month": 1,
        "mean_min": round(january_min, 1),
        "mean_max": 11.0,
        "mean": round((january_min + 11.0) / 2, 1),
        "precipitation_mm": 62.0,  # 2 mm a day, 31 days
    }


def test_years_without_frost_are_counted():
    frost = {year: ([60] if year % 3 == 0 else []) for year in range(1996, 2026)}
    summary = climate.summarize(make_body(30.05, frost), TODAY)
    assert summary["last_spring_frost"]["years_without_frost"] == 20
    assert summary["first_fall_frost"]["years_without_frost"] == 30
    assert summary["first_fall_frost"]["median"] is None
    assert summary["last_spring_frost"]["median"] == 60


def test_southern_hemisphere_windows_swap():
    # South: last spring frost late in the year (day 250), first fall frost early (day 140).
    frost = {year: [140, 250] for year in range(1996, 2026)}
    summary = climate.summarize(make_body(-35.05, frost), TODAY)
    assert summary["hemisphere"] == "south"
    assert summary["last_spring_frost"]["median"] == 250
    assert summary["first_fall_frost"]["median"] == 140
    # From day 250 to day 140 of the next year.
    assert summary["growing_season_days"]["median"] in (254, 255)


def test_frost_dates_by_chance_when_every_year_frosts():
    # The data of the first test: every year has both frosts, so the chance dates
    # are the percentiles read the other way round. Spring: in 10 % of the years
    # the last frost is later than the 90th percentile day (98.1 -> 98); fall: in
    # 10 % of the years the first frost is earlier than the 10th percentile (290.9 -> 291).
    frost = {year: [10, 90 + year % 10, 290 + year % 10, 350] for year in range(1996, 2026)}
    summary = climate.summarize(make_body(45.05, frost), TODAY)
    spring = {row["chance"]: row for row in summary["last_spring_frost"]["chance_dates"]}
    fall = {row["chance"]: row for row in summary["first_fall_frost"]["chance_dates"]}
    assert [spring[c]["day_of_year"] for c in (10, 50, 90)] == [98, 94, 91]
    assert spring[10]["date"] == "04-08"  # day 98 of a common year
    assert [fall[c]["day_of_year"] for c in (10, 50, 90)] == [291, 294, 298]
    assert fall[90]["date"] == "10-25"  # day 298


def test_frost_dates_by_chance_count_the_years_without_frost():
    # 10 of 30 years have their last spring frost on day 60, 20 have none. Chance of a
    # frost after day 59: 10/30 = 33 %; after day 60: 0. So the 10 % date is day 60,
    # and no day has a 50 % or 90 % chance of frost after it. No year has a fall frost.
    frost = {year: ([60] if year % 3 == 0 else []) for year in range(1996, 2026)}
    summary = climate.summarize(make_body(30.05, frost), TODAY)
    spring = summary["last_spring_frost"]["chance_dates"]
    assert spring == [
        {"chance": 10, "day_of_year": 60, "date": "03-01"},
        {"chance": 50, "day_of_year": None, "date": None},
        {"chance": 90, "day_of_year": None, "date": None},
    ]
    # The percentiles describe only the frost years: all on day 60.
    assert summary["last_spring_frost"]["p10"] == summary["last_spring_frost"]["p90"] == 60
    assert [row["day_of_year"] for row in summary["first_fall_frost"]["chance_dates"]] == [None] * 3


def test_frost_dates_by_chance_in_the_south():
    # Last spring frost on day 250 + year % 10 (late in the year), first fall frost on
    # 130 + year % 10: the same deciles as the first test, shifted.
    frost = {year: [130 + year % 10, 250 + year % 10] for year in range(1996, 2026)}
    summary = climate.summarize(make_body(-35.05, frost), TODAY)
    spring = [row["day_of_year"] for row in summary["last_spring_frost"]["chance_dates"]]
    fall = [row["day_of_year"] for row in summary["first_fall_frost"]["chance_dates"]]
    assert spring == [258, 254, 251]
    assert fall == [131, 134, 138]


def fahrenheit_to_celsius(value: float) -> float:
    return (value - 32) * 5 / 9


@pytest.mark.parametrize(
    ("fahrenheit", "zone"),
    [
        # USDA: zone 1 starts at -60 °F; 10 °F zones, a = the colder 5 °F half.
        (-60.0, "1a"),
        (-55.5, "1a"),
        (-55.0, "1b"),
        (-20.3, "4b"),
        (0.0, "7a"),
        (4.9, "7a"),
        (5.0, "7b"),
        (10.0, "8a"),
        (17.0, "8b"),
        (64.9, "13a"),
        (65.0, "13b"),
        (70.0, "14a"),
        (-62.0, "0b"),
        (-90.0, "0a"),
    ],
)
def test_hardiness_zone_bands(fahrenheit, zone):
    body = make_body(45.05, {})
    # Every year's lowest minimum is the given one (one day; every other day is 30 °C).
    daily = body["daily"]
    for i, day in enumerate(daily["time"]):
        daily["temperature_2m_min"][i] = fahrenheit_to_celsius(fahrenheit) if day.endswith("-01-15") else 30.0
    hardiness = climate.summarize(body, TODAY)["hardiness_zone"]
    assert hardiness["zone"] == zone
    assert hardiness["number"] == int(zone[:-1]) and hardiness["half"] == zone[-1]
    assert hardiness["mean_annual_min_f"] == pytest.approx(fahrenheit, abs=0.05)
    assert hardiness["years"] == 30


def test_hardiness_zone_is_the_mean_of_the_annual_minimums():
    # Each year's lowest minimum is -(12 + year % 10) °C: -12 .. -21, three years each,
    # mean -16.5 °C = 2.3 °F: zone 7a (0 to 5 °F). The coldest year alone (-21 °C =
    # -5.8 °F) would be zone 6a, which the mean must not be.
    body = make_body(45.05, {})
    daily = body["daily"]
    for i, day in enumerate(daily["time"]):
        if day.endswith("-01-20"):
            daily["temperature_2m_min"][i] = -(12 + int(day[:4]) % 10)
    hardiness = climate.summarize(body, TODAY)["hardiness_zone"]
    assert hardiness == {
        "zone": "7a",
        "number": 7,
        "half": "a",
        "mean_annual_min_c": -16.5,
        "mean_annual_min_f": 2.3,
        "years": 30,
    }


def test_partial_current_year_is_not_counted():
    body = make_body(45.05, {}, extra_days=300)
    assert climate.summarize(body, TODAY)["years"] == 30


def test_full_and_tail_ranges():
    start, end = climate.full_range(TODAY)
    assert start == date(1996, 1, 1)
    assert end == TODAY - timedelta(days=5)
    body = make_body(45.05, {}, years=range(1996, 2026), extra_days=280)  # up to ~2026-10-08
    tail_start, tail_end = climate.tail_range(body, TODAY)
    assert tail_end == end
    assert (tail_end - tail_start).days <= 95
    assert tail_start <= date.fromisoformat(body["daily"]["time"][-1])


def test_a_body_stored_without_precipitation_is_fetched_again_whole_once():
    old = make_body(45.05, {}, extra_days=280, precipitation=False)
    assert climate.tail_range(old, TODAY) is None, "the whole range, with precipitation"
    summary = climate.summarize(old, TODAY)
    assert summary["koppen"] is None and "precipitation" in summary["koppen_reason"]
    assert summary["hardiness_zone"]["zone"] is not None  # everything else as before


def test_a_climate_fill_and_refresh_cost_what_open_meteo_counts():
    # Open-Meteo counts max(1, variables / 10 x days / 14) per location: three daily variables.
    start, end = climate.full_range(TODAY)
    days = (end - start).days + 1
    assert climate.weight_of("climate:45.1:10.1", None, TODAY) == pytest.approx(3 / 10 * days / 14)
    assert 235 < climate.weight_of("climate:45.1:10.1", None, TODAY) < 245  # about 240 weighted calls
    body = make_body(45.05, {}, years=range(1996, 2026), extra_days=280)
    tail_start, tail_end = climate.tail_range(body, TODAY)
    refresh = climate.weight_of("climate:45.1:10.1", body, TODAY)
    assert refresh == pytest.approx(3 / 10 * ((tail_end - tail_start).days + 1) / 14)
    assert refresh < 2.1


def test_the_koppen_class_comes_from_the_monthly_normals():
    # Portland, Oregon's 1991-2020 normals (NOAA NCEI, station USW00024229, PDX), rounded:
    # mean daily maximum and minimum (°C) and precipitation (mm) per month: Csb.
    tmax = [8.6, 10.6, 13.6, 16.4, 20.3, 23.4, 27.9, 28.1, 24.8, 18.0, 11.6, 8.1]
    tmin = [2.1, 2.3, 4.3, 6.2, 9.6, 12.6, 15.2, 15.2, 12.4, 8.3, 4.6, 2.0]
    rain = [124.0, 93.0, 93.0, 71.0, 61.0, 39.0, 11.0, 14.0, 38.0, 81.0, 137.0, 139.0]
    times, maxima, minima, daily_rain = [], [], [], []
    day = date(1996, 1, 1)
    while day <= date(2025, 12, 31):
        days_in_month = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        times.append(day.isoformat())
        maxima.append(tmax[day.month - 1])
        minima.append(tmin[day.month - 1])
        daily_rain.append(rain[day.month - 1] / days_in_month)
        day += timedelta(days=1)
    body = {
        "latitude": 45.6,
        "longitude": -122.6,
        "timezone": "America/Los_Angeles",
        "daily": {
            "time": times, "temperature_2m_max": maxima, "temperature_2m_min": minima,
            "precipitation_sum": daily_rain,
        },
    }  # fmt: skip
    summary = climate.summarize(body, TODAY)
    assert summary["koppen"] == {"code": "Csb", "name": "Warm-summer Mediterranean"}
    assert summary["koppen_reason"] is None
    july = summary["monthly"][6]
    assert july["precipitation_mm"] == pytest.approx(11.0, abs=0.1)
    assert july["mean"] == pytest.approx((27.9 + 15.2) / 2, abs=0.06)


def test_merge_tail_replaces_revised_days_and_appends_new_ones():
    body = make_body(45.05, {}, extra_days=10)
    last = date.fromisoformat(body["daily"]["time"][-1])
    tail_days = [last - timedelta(days=2) + timedelta(days=i) for i in range(6)]
    tail = {
        "daily": {
            "time": [d.isoformat() for d in tail_days],
            "temperature_2m_max": [30.0] * 6,
            "temperature_2m_min": [-9.0] * 6,
            "precipitation_sum": [0.0] * 6,
        }
    }
    merged = climate.merge_tail(body, tail, TODAY)
    times = merged["daily"]["time"]
    assert times == sorted(times) and len(times) == len(set(times))
    assert len(times) == len(body["daily"]["time"]) + 3
    assert merged["daily"]["temperature_2m_min"][-6:] == [-9.0] * 6
    assert body["daily"]["temperature_2m_min"][-1] == 5.0  # the original is untouched
