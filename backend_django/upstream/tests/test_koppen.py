"""Köppen-Geiger classes of stations with published normals, and the rules at their edges.

Each station's normals are the published monthly means (°C, or °F for the
NOAA stations, converted here) and precipitation totals (mm, or inches for
NOAA), January first, with the source named. Every station's class is
well away from a boundary: ``test_classes_hold_with_margin`` moves every
temperature by ±0.5 °C and scales every total by ±10 %, and the class stays.
"""

from dataclasses import dataclass

import pytest

from backend_django.upstream.kinds.climate.koppen import NAMES, koppen_class


def from_fahrenheit(values: list[float]) -> list[float]:
    return [(value - 32) * 5 / 9 for value in values]


def from_inches(values: list[float]) -> list[float]:
    return [value * 25.4 for value in values]


def mean_of(highs: list[float], lows: list[float]) -> list[float]:
    return [(high + low) / 2 for high, low in zip(highs, lows, strict=True)]


@dataclass(frozen=True)
class Station:
    name: str
    source: str
    latitude: float
    temperatures: list[float]
    precipitation: list[float]
    code: str


NOAA = "NOAA NCEI U.S. Climate Normals 1991-2020, station"
STATIONS = [
    Station(
        "Portland, Oregon",
        f"{NOAA} USW00024229 (Portland International Airport)",
        45.59,
        from_fahrenheit([41.9, 44.0, 47.6, 51.5, 57.6, 62.6, 68.9, 69.4, 64.0, 54.6, 46.5, 41.3]),
        from_inches([4.88, 3.66, 3.68, 2.73, 2.47, 1.70, 0.45, 0.56, 1.46, 3.05, 5.34, 5.70]),
        "Csb",
    ),
    Station(
        "Singapore",
        "Meteorological Service Singapore, climatological normals 1991-2020, Changi (WMO 48698)",
        1.37,
        [26.6, 27.1, 27.6, 28.0, 28.5, 28.5, 28.1, 28.0, 27.8, 27.7, 26.9, 26.4],
        [221.0, 105.1, 151.7, 164.3, 164.3, 135.3, 146.6, 146.9, 124.9, 168.3, 254.7, 313.1],
        "Af",
    ),
    Station(
        "Oslo",
        "Norwegian Meteorological Institute, normals 1961-1990, Oslo - Blindern (station 18700)",
        59.94,
        [-4.3, -4.0, -0.2, 4.5, 10.8, 15.2, 16.4, 15.2, 10.8, 6.3, 0.7, -3.1],
        [49, 36, 47, 41, 53, 65, 81, 89, 90, 84, 73, 55],
        "Dfb",
    ),
    Station(
        "Cairo",
        "World Meteorological Organization, climatological normals 1961-1990, Cairo (WMO 62366)",
        30.13,
        [14.0, 15.1, 17.4, 21.0, 24.6, 27.0, 27.7, 27.6, 26.0, 23.1, 19.0, 15.3],
        [5.0, 3.8, 3.8, 1.1, 0.5, 0.1, 0.0, 0.0, 0.0, 0.7, 3.8, 5.9],
        "BWh",
    ),
    Station(
        "Moscow",
        "Roshydromet, climate normals 1991-2020, Moscow VDNKh (WMO 27612)",
        55.83,
        [-6.2, -5.9, -0.7, 6.9, 13.6, 17.3, 19.7, 17.6, 11.9, 5.8, -0.5, -4.4],
        [53, 44, 39, 37, 61, 78, 84, 82, 68, 71, 55, 52],
        "Dfb",
    ),
    Station(
        "London",
        "Met Office, UK climate averages 1991-2020, Heathrow (mean of daily maximum and minimum)",
        51.48,
        mean_of(
            [8.4, 9.0, 11.7, 15.0, 18.4, 21.6, 23.9, 23.4, 20.2, 15.7, 11.3, 8.8],
            [2.7, 2.6, 4.0, 5.9, 8.9, 11.9, 14.1, 14.0, 11.6, 8.9, 5.3, 3.0],
        ),
        [55.2, 40.9, 41.6, 43.7, 49.4, 45.1, 44.5, 49.5, 49.1, 68.5, 59.0, 55.2],
        "Cfb",
    ),
    Station(
        "Phoenix, Arizona",
        f"{NOAA} USW00023183 (Phoenix Sky Harbor International Airport)",
        33.43,
        from_fahrenheit([56.8, 60.2, 65.7, 72.9, 82.0, 91.5, 95.3, 94.2, 88.4, 76.7, 64.3, 55.7]),
        from_inches([0.87, 0.87, 0.83, 0.24, 0.13, 0.02, 1.05, 1.00, 0.64, 0.58, 0.53, 0.75]),
        "BWh",
    ),
    Station(
        "Miami, Florida",
        f"{NOAA} USW00012839 (Miami International Airport)",
        25.79,
        from_fahrenheit([68.5, 70.4, 72.8, 76.1, 79.9, 82.7, 84.0, 84.1, 82.9, 79.9, 75.1, 71.0]),
        from_inches([1.83, 2.16, 2.68, 3.36, 6.32, 10.51, 7.36, 9.58, 10.22, 7.92, 3.48, 2.46]),
        "Am",
    ),
    Station(
        "Chicago, Illinois",
        f"{NOAA} USW00094846 (Chicago O'Hare International Airport)",
        41.96,
        from_fahrenheit([25.2, 28.8, 39.0, 49.7, 60.6, 70.6, 75.4, 73.8, 66.3, 53.9, 41.2, 30.5]),
        from_inches([2.06, 1.94, 2.52, 3.76, 4.49, 4.55, 3.83, 4.23, 3.32, 3.51, 2.46, 2.13]),
        "Dfa",
    ),
    Station(
        "Utqiagvik (Barrow), Alaska",
        f"{NOAA} USW00027502 (Utqiagvik Airport)",
        71.29,
        from_fahrenheit([-11.0, -13.5, -11.9, 2.4, 22.0, 35.3, 41.6, 39.6, 32.6, 19.8, 6.0, -6.3]),
        from_inches([0.14, 0.13, 0.10, 0.17, 0.14, 0.28, 0.96, 1.05, 0.70, 0.50, 0.22, 0.13]),
        "ET",
    ),
    Station(
        "Tokyo",
        "Japan Meteorological Agency, normals 1991-2020, Tokyo (station 47662)",
        35.69,
        [5.4, 6.1, 9.4, 14.3, 18.8, 21.9, 25.7, 26.9, 23.3, 18.0, 12.5, 7.7],
        [59.7, 56.5, 116.0, 133.7, 139.7, 167.8, 156.2, 154.7, 224.9, 234.8, 96.3, 57.9],
        "Cfa",
    ),
    Station(
        "Hong Kong",
        "Hong Kong Observatory, climatological normals 1981-2010, Hong Kong Observatory headquarters",
        22.30,
        [16.3, 16.8, 19.1, 22.6, 25.9, 27.9, 28.8, 28.6, 27.7, 25.5, 21.8, 17.9],
        [24.7, 54.4, 82.2, 174.7, 304.7, 456.1, 376.5, 432.2, 327.6, 100.9, 37.6, 26.8],
        "Cwa",
    ),
    Station(
        "Darwin",
        "Bureau of Meteorology, climate statistics for Darwin Airport (014015), mean of daily maximum "
        "and minimum",
        -12.42,
        mean_of(
            [31.8, 31.4, 31.9, 32.7, 32.0, 30.6, 30.5, 31.3, 32.5, 33.2, 33.2, 32.6],
            [24.8, 24.7, 24.5, 24.0, 22.1, 19.9, 19.3, 20.4, 23.0, 24.9, 25.3, 25.3],
        ),
        [423.0, 361.0, 319.0, 98.0, 21.0, 2.0, 1.0, 5.0, 15.0, 71.0, 142.0, 250.0],
        "Aw",
    ),
    Station(
        "Cape Town",
        "South African Weather Service, climate normals 1961-1990, Cape Town International Airport",
        -33.97,
        [21.0, 21.3, 20.0, 17.7, 15.5, 13.6, 12.9, 13.3, 14.6, 16.4, 18.3, 19.8],
        [15, 17, 20, 41, 69, 93, 82, 77, 40, 30, 14, 17],
        "Csb",
    ),
]


@pytest.mark.parametrize("station", STATIONS, ids=[station.name for station in STATIONS])
def test_published_normals_give_the_known_class(station):
    found = koppen_class(station.temperatures, station.precipitation, latitude=station.latitude)
    assert found.code == station.code, station.source
    assert found.name == NAMES[station.code]


@pytest.mark.parametrize("station", STATIONS, ids=[station.name for station in STATIONS])
def test_classes_hold_with_margin(station):
    for shift in (-0.5, 0.5):
        for scale in (0.9, 1.1):
            found = koppen_class(
                [value + shift for value in station.temperatures],
                [value * scale for value in station.precipitation],
                latitude=station.latitude,
            )
            assert found.code == station.code, (shift, scale)


def test_names_in_words():
    portland = STATIONS[0]
    assert koppen_class(portland.temperatures, portland.precipitation, hemisphere="north").name == (
        "Warm-summer Mediterranean"
    )
    assert NAMES["Af"] == "Tropical rainforest"
    assert NAMES["Cfb"] == "Temperate oceanic"
    assert NAMES["BWh"] == "Hot desert"
    assert NAMES["Dfb"] == "Warm-summer humid continental"


# --- the rules at their edges, on made-up normals ---------------------------------------


EVEN_RAIN = [70.0] * 12  # 840 mm, no dry season


def test_the_temperate_cold_boundary_is_zero_degrees():
    # A coldest month of -1.5 °C: D by Peel's 0 °C (it would be C by the -3 °C rule).
    temps = [-1.5, -0.5, 3.0, 8.0, 13.0, 16.0, 18.0, 17.0, 14.0, 9.0, 4.0, 0.5]
    assert koppen_class(temps, EVEN_RAIN, hemisphere="north").code == "Dfb"
    warmer = [value + 2 for value in temps]  # coldest +0.5 °C
    assert koppen_class(warmer, EVEN_RAIN, hemisphere="north").code == "Cfb"


def test_polar_edges():
    # Warmest month exactly 10 °C: E (Peel leaves 10 itself open); above 10: not E.
    temps = [-20.0, -19.0, -15.0, -8.0, 0.0, 6.0, 10.0, 8.0, 3.0, -5.0, -12.0, -18.0]
    assert koppen_class(temps, EVEN_RAIN, hemisphere="north").code == "ET"
    temps[6] = 10.5  # only one month above 10 °C
    assert koppen_class(temps, EVEN_RAIN, hemisphere="north").code == "Dfc"
    ice = [-30.0, -32.0, -30.0, -25.0, -15.0, -5.0, -1.0, -3.0, -10.0, -20.0, -25.0, -28.0]
    assert koppen_class(ice, [5.0] * 12, hemisphere="north").code == "EF"


def test_extremely_cold_winters_are_d():
    # Coldest -40 °C, three months above 10 °C and none at 22: d (not c).
    temps = [-40.0, -36.0, -24.0, -8.0, 5.0, 14.0, 17.0, 13.0, 5.0, -8.0, -28.0, -38.0]
    assert koppen_class(temps, EVEN_RAIN, hemisphere="north").code == "Dfd"
    temps[0] = -37.0
    assert koppen_class(temps, EVEN_RAIN, hemisphere="north").code == "Dfc"


def test_the_arid_threshold_follows_the_season_of_the_rain():
    # MAT 20 °C and 600 mm. Rain 70 % or more in summer: Pthreshold = 2 * 20 + 28 = 68, and
    # 600 < 10 * 68 = 680: semi-arid (600 >= 5 * 68 = 340). The same rain in winter:
    # Pthreshold = 40, 600 >= 400: not arid. Spread evenly: 2 * 20 + 14 = 54, 600 >= 540.
    temps = [14.0, 15.0, 17.0, 19.0, 22.0, 25.0, 27.0, 26.0, 24.0, 20.0, 16.0, 15.0]
    summer_rain = [10.0, 10.0, 10.0, 80.0, 90.0, 100.0, 100.0, 90.0, 80.0, 10.0, 10.0, 10.0]
    assert sum(summer_rain) == 600 and sum(summer_rain[3:9]) / 600 >= 0.7
    assert koppen_class(temps, summer_rain, hemisphere="north").code == "BSh"
    winter_rain = summer_rain[6:] + summer_rain[:6]  # the same months, half a year later
    assert not koppen_class(temps, winter_rain, hemisphere="north").code.startswith("B")
    assert not koppen_class(temps, [50.0] * 12, hemisphere="north").code.startswith("B")
    # 300 mm with summer rain: under 5 * 68 = 340, a desert; colder (MAT < 18): k.
    assert koppen_class(temps, [value / 2 for value in summer_rain], hemisphere="north").code == "BWh"
    # MAT 15: Pthreshold 2 * 15 + 28 = 58; 300 < 580 but 300 >= 5 * 58 = 290: semi-arid, cold.
    colder = [value - 5 for value in temps]
    assert koppen_class(colder, [value / 2 for value in summer_rain], hemisphere="north").code == "BSk"


def test_the_hemisphere_decides_which_months_are_summer():
    cape_town = STATIONS[-1]
    assert koppen_class(cape_town.temperatures, cape_town.precipitation, hemisphere="south").code == "Csb"
    # Read as northern, its wet winter would count as summer: 78 % of the 515 mm, so the arid
    # threshold rises to 2 * 17.0 + 28 = 62 and 515 < 10 * 62: semi-arid, and cold (MAT < 18).
    assert koppen_class(cape_town.temperatures, cape_town.precipitation, hemisphere="north").code == "BSk"


def test_tropical_rain_rules():
    temps = [27.0] * 12
    assert koppen_class(temps, [60.0] + [200.0] * 11, hemisphere="north").code == "Af"
    # MAP 2259: Pdry 59 >= 100 - 2259 / 25 = 9.64: Am.
    assert koppen_class(temps, [59.0] + [200.0] * 11, hemisphere="north").code == "Am"
    # 20 mm in the driest month of 1120 mm: 20 < 100 - 1120 / 25 = 55.2: Aw.
    assert koppen_class(temps, [20.0] + [100.0] * 11, hemisphere="north").code == "Aw"


def test_a_dry_summer_and_a_dry_winter_at_once_go_to_the_drier():
    temps = [5.0, 6.0, 9.0, 12.0, 16.0, 19.0, 21.0, 21.0, 18.0, 13.0, 9.0, 6.0]
    # Summer driest 10 < 40 and < 150 / 3; winter driest 12 < 200 / 10: both hold; summer drier.
    rain = [150.0, 12.0, 60.0, 10.0, 200.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    assert koppen_class(temps, rain, hemisphere="north").code == "Csb"
    rain[3], rain[1] = 12.0, 10.0  # now the winter is drier
    assert koppen_class(temps, rain, hemisphere="north").code == "Cwb"


@pytest.mark.parametrize(
    ("temperatures", "precipitation", "where", "message"),
    [
        ([10.0] * 11, [50.0] * 12, {"hemisphere": "north"}, "12 monthly values"),
        ([10.0] * 12, [50.0] * 13, {"hemisphere": "north"}, "12 monthly values"),
        ([float("nan")] + [10.0] * 11, [50.0] * 12, {"hemisphere": "north"}, "finite"),
        ([10.0] * 12, [-1.0] + [50.0] * 11, {"hemisphere": "north"}, "negative"),
        ([10.0] * 12, [50.0] * 12, {}, "hemisphere or the latitude"),
        ([10.0] * 12, [50.0] * 12, {"hemisphere": "east"}, "north"),
        ([10.0] * 12, [50.0] * 12, {"latitude": 95.0}, "between -90 and 90"),
        ([10.0] * 12, [50.0] * 12, {"latitude": -33.0, "hemisphere": "north"}, "not in the northern"),
    ],
)
def test_bad_input_is_refused(temperatures, precipitation, where, message):
    with pytest.raises(ValueError, match=message):
        koppen_class(temperatures, precipitation, **where)


def test_latitude_zero_is_north():
    singapore = STATIONS[1]
    assert koppen_class(singapore.temperatures, singapore.precipitation, latitude=0.0).code == "Af"
