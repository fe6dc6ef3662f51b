from datetime import date

import pytest
import requests

from backend_django.devtools.simulator import SimulatorApp, run_in_thread
from backend_django.devtools.simulator.data import daily_temperatures, grid_cell, timezone_for, weighted_calls

DAILY = "temperature_2m_max,temperature_2m_min"


def archive(sim, **params):
    query = {"latitude": 37.76, "longitude": -122.41, "daily": DAILY, "timezone": "auto"} | params
    return requests.get(f"{sim.base_url}/v1/archive", params=query, timeout=10)


def test_body_shape_grid_cell_and_inclusive_range(sim):
    response = archive(sim, start_date="2020-02-27", end_date="2020-03-02")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "latitude",
        "longitude",
        "elevation",
        "generationtime_ms",
        "utc_offset_seconds",
        "timezone",
        "timezone_abbreviation",
        "daily_units",
        "daily",
    }
    # The centre of the 0.1° cell, not the coordinates asked for.
    assert (body["latitude"], body["longitude"]) == (37.75, -122.45) == grid_cell(37.76, -122.41)
    assert body["timezone"] == "Etc/GMT+8"
    assert body["utc_offset_seconds"] == -8 * 3600
    assert body["daily_units"] == {"time": "iso8601", "temperature_2m_max": "°C", "temperature_2m_min": "°C"}
    # Inclusive range across a leap day.
    assert body["daily"]["time"] == ["2020-02-27", "2020-02-28", "2020-02-29", "2020-03-01", "2020-03-02"]
    times, tmax, tmin = daily_temperatures(37.76, -122.41, date(2020, 2, 27), date(2020, 3, 2))
    assert body["daily"]["time"] == times
    assert body["daily"]["temperature_2m_max"] == tmax
    assert body["daily"]["temperature_2m_min"] == tmin


def test_thirty_years_has_nulls_and_weighted_calls(sim):
    response = archive(sim, start_date="1991-01-01", end_date="2020-12-31")
    body = response.json()
    days = (date(2020, 12, 31) - date(1991, 1, 1)).days + 1
    assert len(body["daily"]["time"]) == days == 10958
    assert None in body["daily"]["temperature_2m_min"]
    assert all(value is None or isinstance(value, float) for value in body["daily"]["temperature_2m_max"])
    stats = sim.app.stats()["open_meteo"]
    assert stats["requests"] == 1
    assert stats["weighted_calls"] == pytest.approx(2 / 10 * days / 14)  # ~156.5
    # A short request still costs one call.
    archive(sim, start_date="2020-01-01", end_date="2020-01-03")
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == pytest.approx(2 / 10 * days / 14 + 1)
    assert weighted_calls(2, 3) == 1


def frost_winters(lat, lng):
    """Winters (July to June, starting in 1991..2019, so both hemispheres count alike) with a frost."""
    times, _, tmin = daily_temperatures(lat, lng, date(1991, 7, 1), date(2020, 6, 30))
    winters = set()
    for day, value in zip(times, tmin, strict=True):
        if value is not None and value <= 0:
            year, month = int(day[:4]), int(day[5:7])
            winters.add(year if month >= 7 else year - 1)
    return len(winters)


def test_frost_where_real_climates_have_it():
    # The tropics never frost: Cameroon, Darwin, Singapore.
    assert frost_winters(5.0, 10.0) == 0
    assert frost_winters(-12.42, 130.89) == 0
    assert frost_winters(1.37, 103.98) == 0
    # Every winter frosts in central Germany, Minneapolis and Moscow.
    assert frost_winters(50.0, 10.0) == 29
    assert frost_winters(44.88, -93.23) == 29
    assert frost_winters(55.83, 37.62) == 29
    # Marginal climates frost in some winters only: Phoenix (a freeze about every other
    # winter) and Cape Town's airport (light frosts in some winters).
    assert 5 <= frost_winters(33.43, -112.0) <= 25
    assert 3 <= frost_winters(-33.96, 18.60) <= 20


def test_southern_hemisphere_is_reversed():
    _, north_jul, _ = daily_temperatures(45.0, 10.0, date(2001, 7, 1), date(2001, 7, 31))
    _, south_jul, _ = daily_temperatures(-45.0, 10.0, date(2001, 7, 1), date(2001, 7, 31))
    mean = lambda values: sum(v for v in values if v is not None) / len(values)  # noqa: E731
    assert mean(north_jul) > mean(south_jul) + 15


def test_daily_subset_explicit_timezone_and_no_daily(sim):
    body = archive(
        sim, start_date="2021-06-01", end_date="2021-06-01", daily="temperature_2m_min", timezone="GMT"
    ).json()
    assert list(body["daily"]) == ["time", "temperature_2m_min"]
    assert body["timezone"] == "GMT"
    assert body["utc_offset_seconds"] == 0
    body = archive(
        sim,
        start_date="2021-06-01",
        end_date="2021-06-01",
        daily="temperature_2m_max",
        timezone="Europe/Berlin",
    ).json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["utc_offset_seconds"] in (3600, 7200)
    response = requests.get(
        f"{sim.base_url}/v1/archive",
        params={"latitude": 1, "longitude": 2, "start_date": "2021-06-01", "end_date": "2021-06-02"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "daily" not in response.json()


def test_timezone_auto_by_longitude():
    assert timezone_for(0.05) == ("GMT", 0, "GMT")
    assert timezone_for(44.95) == ("Etc/GMT-3", 10800, "+03")
    assert timezone_for(-179.95) == ("Etc/GMT+12", -43200, "-12")


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"start_date": None}, "Parameter 'start_date' and 'end_date' must be set."),
        ({"end_date": None}, "Parameter 'start_date' and 'end_date' must be set."),
        ({"timezone": None}, "Timezone is required"),
        ({"start_date": "2020-13-01"}, "Invalid date format. Make sure to use 'YYYY-MM-DD'"),
        ({"start_date": "20200101"}, "Invalid date format. Make sure to use 'YYYY-MM-DD'"),
        (
            {"start_date": "2020-01-05", "end_date": "2020-01-01"},
            "End-date must be larger or equals than start-date",
        ),
        ({"start_date": "1939-12-31"}, "Parameter 'start_date' is out of allowed range from 1940-01-01 to"),
        ({"latitude": 91}, "Latitude must be in range of -90 to 90°. Given: 91.0."),
        ({"longitude": -180.5}, "Longitude must be in range of -180 to 180°. Given: -180.5."),
        ({"latitude": "abc"}, "Cannot initialize Float from invalid String value abc for key latitude"),
        ({"daily": "temperature_2m_max,snowfall_sum"}, "invalid String value snowfall_sum"),
        ({"daily": "precipitation_hours"}, "invalid String value precipitation_hours"),
        ({"timezone": "Mars/Olympus"}, "Invalid timezone"),
    ],
)
def test_validation_errors(sim, params, reason):
    query = {"start_date": "2020-01-01", "end_date": "2020-01-10"} | params
    query = {key: value for key, value in query.items() if value is not None}
    defaults = {"latitude": 37.76, "longitude": -122.41, "daily": DAILY, "timezone": "auto"}
    for key in [key for key, value in params.items() if value is None]:
        defaults.pop(key, None)
    response = requests.get(f"{sim.base_url}/v1/archive", params=defaults | query, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] is True
    assert reason in body["reason"]
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == 0


def test_rate_limits_when_configured():
    app = SimulatorApp(canopy_size=256, open_meteo_per_minute=3)
    with run_in_thread(app) as handle:
        statuses = [
            requests.get(
                f"{handle.base_url}/v1/archive",
                params={
                    "latitude": 1,
                    "longitude": 1,
                    "start_date": "2020-01-01",
                    "end_date": "2020-01-02",
                    "daily": DAILY,
                    "timezone": "GMT",
                },
                timeout=10,
            )
            for _ in range(4)
        ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[3].json() == {
        "error": True,
        "reason": "Minutely API request limit exceeded. Please try again in one minute.",
    }
    assert app.stats()["open_meteo"]["weighted_calls"] == 3


def test_precipitation_sum_in_mm_and_charged_as_a_variable(sim):
    body = archive(
        sim,
        start_date="2010-01-01",
        end_date="2010-12-31",
        daily="temperature_2m_max,temperature_2m_min,precipitation_sum",
    ).json()
    assert body["daily_units"] == {
        "time": "iso8601",
        "temperature_2m_max": "°C",
        "temperature_2m_min": "°C",
        "precipitation_sum": "mm",
    }
    assert list(body["daily"]) == ["time", "temperature_2m_max", "temperature_2m_min", "precipitation_sum"]
    rain = [value for value in body["daily"]["precipitation_sum"] if value is not None]
    assert len(rain) >= 360
    assert all(value >= 0 and round(value, 1) == value for value in rain)
    # San Francisco: wet winters, dry summers (about 570 mm a year, almost none in July).
    months = {}
    for day, value in zip(body["daily"]["time"], body["daily"]["precipitation_sum"], strict=True):
        months[int(day[5:7])] = months.get(int(day[5:7]), 0) + (value or 0)
    assert months[1] + months[2] + months[12] > 10 * (months[6] + months[7] + months[8] + 1)
    # Three variables over 365 days: Open-Meteo's weight, max(1, variables / 10 * days / 14).
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == pytest.approx(3 / 10 * 365 / 14)
    archive(sim, start_date="2010-01-01", end_date="2010-01-31", daily="precipitation_sum")
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == pytest.approx(3 / 10 * 365 / 14 + 1)


def test_three_variables_and_mean(sim):
    response = archive(
        sim,
        start_date="2000-01-01",
        end_date="2000-12-31",
        daily="temperature_2m_max,temperature_2m_min,temperature_2m_mean",
    )
    daily = response.json()["daily"]
    for hi, lo, mean in zip(
        daily["temperature_2m_max"], daily["temperature_2m_min"], daily["temperature_2m_mean"], strict=True
    ):
        assert mean == (None if hi is None or lo is None else round((hi + lo) / 2, 1))
    assert sim.app.stats()["open_meteo"]["weighted_calls"] == pytest.approx(3 / 10 * 366 / 14)
