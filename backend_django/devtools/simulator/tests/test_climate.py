"""The simulated climate against published normals, hardiness zones and the Köppen-Geiger rules."""

import math
import statistics
from datetime import date, timedelta

import pytest

from backend_django.devtools.simulator.climate import STATIONS, normals_for
from backend_django.devtools.simulator.data import daily_series, daily_temperatures, grid_cell

NORMALS = (date(1991, 1, 1), date(2020, 12, 31))
PORTLAND = (45.52, -122.68)


def koppen(tmax, tmin, precipitation) -> str:
    """The Köppen-Geiger class of monthly normals by Peel, Finlayson and McMahon (2007):
    summer is the warmer of April-September and October-March; C and D part at 0 °C."""
    t = [(hi + lo) / 2 for hi, lo in zip(tmax, tmin, strict=True)]
    mat, total = statistics.fmean(t), sum(precipitation)
    hot, cold = max(t), min(t)
    april, october = [3, 4, 5, 6, 7, 8], [9, 10, 11, 0, 1, 2]
    warmer_april = statistics.fmean(t[m] for m in april) >= statistics.fmean(t[m] for m in october)
    summer, winter = (april, october) if warmer_april else (october, april)
    p_summer = [precipitation[m] for m in summer]
    p_winter = [precipitation[m] for m in winter]
    if sum(p_winter) >= 0.7 * total:
        threshold = 20 * mat
    elif sum(p_summer) >= 0.7 * total:
        threshold = 20 * mat + 280
    else:
        threshold = 20 * mat + 140
    if hot < 10:
        return "ET" if hot > 0 else "EF"
    if total < threshold:
        return ("BW" if total < threshold / 2 else "BS") + ("h" if mat >= 18 else "k")
    if cold >= 18:
        driest = min(precipitation)
        return "Af" if driest >= 60 else "Am" if driest >= 100 - total / 25 else "Aw"
    if min(p_summer) < 40 and min(p_summer) < max(p_winter) / 3:
        second = "s"
    elif min(p_winter) < max(p_summer) / 10:
        second = "w"
    else:
        second = "f"
    if hot >= 22:
        third = "a"
    elif sum(value >= 10 for value in t) >= 4:
        third = "b"
    elif cold < -38:
        third = "d"
    else:
        third = "c"
    return ("C" if cold > 0 else "D") + second + third


def usda_zone(mean_annual_minimum_c: float) -> str:
    """USDA zone: 10 °F bands from zone 1 at -60 °F, halved into a (colder) and b."""
    fahrenheit = mean_annual_minimum_c * 9 / 5 + 32
    half = math.floor((fahrenheit + 60) / 5)
    return f"{half // 2 + 1}{'ab'[half % 2]}"


def zone_rank(zone: str) -> int:
    return 2 * int(zone[:-1]) + (zone[-1] == "b")


def yearly_minima(lat, lng) -> list[float]:
    times, _, tmin = daily_temperatures(lat, lng, *NORMALS)
    years: dict[int, list[float]] = {}
    for day, value in zip(times, tmin, strict=True):
        if value is not None:
            years.setdefault(int(day[:4]), []).append(value)
    return [min(values) for values in years.values()]


def test_the_table_names_its_sources_and_its_classes_follow_the_rules():
    assert len(STATIONS) >= 30
    assert {s.lat > 0 for s in STATIONS} == {True, False}
    # Climates of every main group: tropical, arid, temperate, continental, polar.
    assert {s.koppen[0] for s in STATIONS} == {"A", "B", "C", "D", "E"}
    for station in STATIONS:
        assert station.source, station.name
        assert len(station.tmax) == len(station.tmin) == len(station.precipitation) == 12
        assert all(hi > lo for hi, lo in zip(station.tmax, station.tmin, strict=True)), station.name
        assert koppen(station.tmax, station.tmin, station.precipitation) == station.koppen, station.name


def test_simulated_monthly_means_at_the_stations_follow_the_table():
    """1991-2020 monthly means of the simulated days at each station: temperatures within
    0.3 °C of the normals, precipitation totals within 3 % (or 1 mm)."""
    for station in STATIONS:
        series = daily_series(station.lat, station.lng, *NORMALS)
        highs = [[] for _ in range(12)]
        lows = [[] for _ in range(12)]
        rain = [0.0] * 12
        for day, hi, lo, mm in zip(
            series["time"],
            series["temperature_2m_max"],
            series["temperature_2m_min"],
            series["precipitation_sum"],
            strict=True,
        ):
            month = int(day[5:7]) - 1
            if hi is not None:
                highs[month].append(hi)
            if lo is not None:
                lows[month].append(lo)
            rain[month] += mm or 0.0
        for month in range(12):
            where = f"{station.name}, month {month + 1}"
            assert statistics.fmean(highs[month]) == pytest.approx(station.tmax[month], abs=0.3), where
            assert statistics.fmean(lows[month]) == pytest.approx(station.tmin[month], abs=0.3), where
            expected = station.precipitation[month]
            assert rain[month] / 30 == pytest.approx(expected, abs=max(1.0, 0.03 * expected)), where


def test_portland_is_zone_8_with_its_last_frost_in_spring():
    # USDA publishes 8b for Portland: a mean annual lowest temperature of 15-20 °F.
    assert usda_zone(statistics.fmean(yearly_minima(*PORTLAND))) in ("8a", "8b")
    # Its last spring frost (0 °C or below, days 1-172) falls in March or April in most years.
    times, _, tmin = daily_temperatures(*PORTLAND, *NORMALS)
    last: dict[int, int] = {}
    for day, value in zip(times, tmin, strict=True):
        doy = date.fromisoformat(day).timetuple().tm_yday
        if value is not None and value <= 0 and doy <= 172:
            last[int(day[:4])] = doy
    assert len(last) >= 28
    assert 60 <= statistics.median(last.values()) <= 120


def test_zones_of_the_us_stations_within_half_a_zone_of_the_published_ones():
    checked = 0
    for station in STATIONS:
        if station.usda_zone is None:
            continue
        zone = usda_zone(statistics.fmean(yearly_minima(station.lat, station.lng)))
        assert abs(zone_rank(zone) - zone_rank(station.usda_zone)) <= 1, (station.name, zone)
        checked += 1
    assert checked >= 10


def test_places_between_stations_blend_them_smoothly():
    portland = normals_for(*grid_cell(45.5958, -122.6093))
    seattle = normals_for(*grid_cell(47.4444, -122.3139))
    between = normals_for(*grid_cell(46.5, -122.45))
    for month in range(12):
        low, high = sorted((portland.precipitation[month], seattle.precipitation[month]))
        assert low - 1 <= between.precipitation[month] <= high + 1
    # One cell to the next: no jumps.
    a, b = normals_for(46.45, -122.45), normals_for(46.55, -122.45)
    assert max(abs(a.tmin - b.tmin)) < 0.3 and abs(a.elevation - b.elevation) < 20


def test_far_from_the_stations_the_climate_is_still_plausible():
    polar = normals_for(-79.95, 0.05)
    assert max(polar.tmax) < 0  # the Antarctic plateau never thaws
    equator = normals_for(0.05, 20.05)
    means = (equator.tmax + equator.tmin) / 2
    assert min(means) > 18 and max(means) - min(means) < 6  # warm all year round


def test_a_day_has_one_value_whatever_range_asks_for_it():
    whole = daily_series(52.52, 13.405, date(2000, 1, 1), date(2000, 12, 31))
    part = daily_series(52.52, 13.405, date(2000, 6, 1), date(2000, 6, 30))
    offset = (date(2000, 6, 1) - date(2000, 1, 1)).days
    for name in ("time", "temperature_2m_max", "temperature_2m_min", "precipitation_sum"):
        assert part[name] == whole[name][offset : offset + 30]
    assert (
        part["time"][0] == "2000-06-01" and part["time"][-1] == (date(2000, 6, 1) + timedelta(29)).isoformat()
    )
