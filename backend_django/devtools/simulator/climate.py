"""The simulated climate: daily weather for any grid cell, following real climate normals.

``STATIONS`` is a small table of monthly climate normals (mean daily maximum,
mean daily minimum, monthly precipitation) of a few dozen cities across
climates and both hemispheres, each with the source it follows and its
published Köppen-Geiger class; US stations also carry their published USDA
plant hardiness zone. Values are rounded (0.1 °C, 0.1 mm); NOAA's are kept in
their published units (°F, inches) and converted here.

A grid cell's normals are interpolated from its nearest stations
(``normals_for``): inverse squared distance over the four nearest (minus the
fifth's weight, so the weights change smoothly), each station's normals first
moved to the cell: 6.5 °C per km of elevation difference, a latitude gradient
(0.7 ± 0.3 °C per degree, steepest in winter; none within 10° of the equator,
growing to all of it at 25°), and
the months of a station in the other hemisphere turned by six (gradually
within 5° of the equator). The cell's elevation is the same weighted mean of the
stations' elevations, so a station's own cell gets its normals back.

``daily_series`` turns a cell's normals into days. The mean daily cycle is the
monthly values' harmonic interpolation (month means kept exactly); the
weather around it is a deterministic noise (hashes of the day and of
weather regions of ``REGION_DEGREES``, blended bilinearly so neighbouring
cells share their weather): a fast (about 3 days) and a slow (about 30 days)
autoregressive part shared by the maximum and the minimum, and a part of each
of their own; its spread is larger in winter and in continental climates,
skewed towards cold spells in winter. The winter spread of a station with a
published USDA zone is set so that the mean of its years' lowest minima falls
in the middle of that zone (``EXTREME_FACTOR`` standard deviations below its
coldest month's mean minimum); other stations get it from their annual range
and latitude. Precipitation falls on wet days (persistent, more of them in
wetter months) in exponentially distributed amounts whose expectation is the
month's normal. About one value in a thousand is missing (``None``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from statistics import NormalDist

import numpy as np

# --- the table of normals -------------------------------------------------------


@dataclass(frozen=True)
class Station:
    name: str
    lat: float
    lng: float
    elevation: float  # metres
    koppen: str  # published Köppen-Geiger class
    source: str
    tmax: tuple[float, ...]  # mean daily maximum, °C, January first
    tmin: tuple[float, ...]  # mean daily minimum, °C
    precipitation: tuple[float, ...]  # mean monthly total, mm
    usda_zone: str | None = None  # published USDA plant hardiness zone (US stations)


def _fahrenheit(*values: float) -> tuple[float, ...]:
    return tuple(round((value - 32) / 1.8, 1) for value in values)


def _inches(*values: float) -> tuple[float, ...]:
    return tuple(round(value * 25.4, 1) for value in values)


NOAA = "NOAA NCEI U.S. Climate Normals 1991-2020, station {}"


def _noaa(name, station, lat, lng, elevation, koppen, tmax_f, tmin_f, precip_in, zone=None) -> Station:
    return Station(
        name,
        lat,
        lng,
        elevation,
        koppen,
        NOAA.format(station),
        _fahrenheit(*tmax_f),
        _fahrenheit(*tmin_f),
        _inches(*precip_in),
        zone,
    )


STATIONS: tuple[Station, ...] = (
    # --- North America (NOAA values in °F and inches) ---
    _noaa("Portland, Oregon", "PORTLAND INTL AP, OR", 45.5958, -122.6093, 9, "Csb",
          (48.3, 52.2, 56.9, 61.6, 68.3, 73.9, 81.6, 82.4, 76.8, 64.4, 53.9, 47.4),
          (36.4, 36.9, 39.6, 43.0, 48.8, 53.8, 58.5, 58.7, 53.9, 46.7, 40.5, 35.9),
          (4.98, 3.69, 3.99, 2.86, 2.46, 1.60, 0.46, 0.52, 1.48, 3.07, 5.41, 5.68), "8b"),
    _noaa("Seattle", "SEATTLE TACOMA AP, WA", 47.4444, -122.3139, 113, "Csb",
          (48.0, 50.8, 54.7, 59.3, 65.7, 70.8, 77.8, 78.4, 72.3, 61.6, 52.5, 47.2),
          (37.8, 37.6, 40.0, 43.0, 48.5, 53.0, 57.1, 57.5, 53.3, 46.6, 40.8, 36.7),
          (5.78, 3.76, 4.17, 3.18, 2.25, 1.57, 0.60, 0.97, 1.61, 3.91, 6.31, 5.73)),
    _noaa("San Francisco", "SAN FRANCISCO DWTN, CA", 37.7706, -122.4269, 46, "Csb",
          (57.9, 60.6, 62.6, 64.1, 65.9, 68.2, 68.4, 69.4, 71.3, 70.1, 63.7, 57.9),
          (46.3, 47.6, 48.5, 49.5, 51.4, 53.4, 54.8, 55.8, 55.9, 54.0, 50.1, 46.6),
          (4.41, 4.31, 3.10, 1.42, 0.69, 0.16, 0.01, 0.07, 0.12, 1.08, 2.69, 4.43), "10b"),
    _noaa("Phoenix", "PHOENIX AP, AZ", 33.4278, -112.0036, 337, "BWh",
          (67.6, 71.2, 77.4, 85.0, 94.6, 104.2, 106.5, 105.1, 100.0, 88.5, 75.9, 66.2),
          (46.7, 50.0, 54.9, 61.2, 70.3, 79.3, 85.5, 84.5, 78.4, 66.1, 53.8, 46.0),
          (0.87, 0.87, 0.83, 0.22, 0.13, 0.02, 1.05, 1.00, 0.64, 0.58, 0.57, 0.79), "10a"),
    _noaa("Denver", "DENVER INTL AP, CO", 39.8328, -104.6575, 1656, "BSk",
          (44.8, 46.6, 55.2, 61.3, 71.0, 82.5, 89.3, 86.8, 78.5, 65.3, 52.8, 44.3),
          (18.6, 20.5, 27.6, 34.2, 43.7, 53.0, 59.6, 57.6, 48.6, 36.6, 25.5, 18.5),
          (0.38, 0.44, 0.88, 1.71, 2.13, 1.80, 2.05, 1.80, 1.12, 1.05, 0.53, 0.42)),
    _noaa("Minneapolis", "MINNEAPOLIS ST PAUL INTL AP, MN", 44.8831, -93.2289, 255, "Dfa",
          (23.6, 28.5, 41.2, 56.0, 68.6, 78.4, 83.4, 80.6, 72.4, 58.1, 41.7, 28.0),
          (9.0, 13.9, 25.4, 37.0, 49.1, 59.3, 64.6, 62.5, 53.7, 40.7, 27.9, 14.7),
          (0.88, 0.80, 1.84, 2.87, 3.89, 4.58, 4.06, 4.34, 3.05, 2.58, 1.60, 1.18), "5a"),
    _noaa("Chicago", "CHICAGO OHARE INTL AP, IL", 41.9786, -87.9047, 201, "Dfa",
          (31.6, 35.7, 47.0, 59.0, 70.5, 80.4, 84.5, 82.5, 75.5, 62.7, 48.4, 36.6),
          (18.8, 22.0, 31.3, 41.0, 51.1, 61.1, 66.6, 65.4, 57.2, 45.3, 33.8, 23.6),
          (2.06, 1.94, 2.50, 3.75, 4.49, 4.10, 3.60, 4.25, 3.32, 3.42, 2.45, 2.09), "6a"),
    _noaa("Springfield, Illinois", "SPRINGFIELD ABRAHAM LINCOLN CAPITAL AP, IL", 39.8447, -89.6839, 179,
          "Dfa",
          (34.9, 39.8, 51.6, 63.7, 74.3, 82.9, 85.6, 84.3, 78.4, 65.9, 51.7, 39.4),
          (18.9, 22.6, 32.0, 42.3, 53.0, 62.2, 65.5, 63.6, 55.4, 44.2, 33.3, 23.7),
          (2.08, 1.98, 2.64, 3.86, 4.63, 4.10, 3.78, 3.11, 3.05, 3.23, 2.82, 2.34), "6a"),
    _noaa("Atlanta", "ATLANTA HARTSFIELD JACKSON INTL AP, GA", 33.6301, -84.4418, 308, "Cfa",
          (53.6, 58.0, 65.5, 73.3, 80.4, 86.5, 89.4, 88.3, 83.0, 73.7, 63.4, 55.5),
          (34.5, 37.6, 44.0, 51.0, 59.6, 67.2, 70.6, 70.0, 64.3, 53.5, 42.9, 36.8),
          (4.58, 4.76, 4.80, 3.95, 3.55, 4.53, 4.75, 4.28, 3.46, 3.05, 4.07, 4.57), "8a"),
    _noaa("New York", "NY CITY CENTRAL PARK, NY", 40.7789, -73.9692, 39, "Cfa",
          (39.5, 42.2, 49.9, 61.8, 71.4, 79.7, 84.9, 83.3, 76.2, 64.5, 54.0, 44.3),
          (26.9, 28.9, 35.0, 44.8, 54.0, 63.6, 69.0, 68.1, 60.9, 50.2, 41.3, 32.7),
          (3.64, 3.19, 4.29, 4.09, 3.96, 4.54, 4.60, 4.56, 4.31, 4.38, 3.58, 4.38), "7b"),
    _noaa("Houston", "HOUSTON INTERCONTINENTAL AP, TX", 29.98, -95.36, 29, "Cfa",
          (63.6, 67.7, 74.1, 80.4, 86.9, 92.1, 94.2, 94.8, 89.7, 82.2, 72.1, 65.1),
          (43.6, 47.3, 53.6, 60.2, 68.1, 73.9, 75.6, 75.5, 70.5, 61.3, 51.4, 45.1),
          (3.76, 3.01, 3.46, 3.52, 5.06, 5.96, 3.86, 4.76, 4.36, 5.56, 3.80, 3.73), "9a"),
    _noaa("Miami", "MIAMI INTL AP, FL", 25.7881, -80.3169, 3, "Am",
          (76.3, 78.1, 80.2, 83.1, 86.7, 89.2, 90.7, 90.8, 89.2, 85.9, 81.3, 78.1),
          (61.8, 64.0, 66.5, 70.1, 74.5, 77.3, 78.4, 78.5, 77.6, 74.9, 69.4, 64.6),
          (1.83, 2.03, 2.88, 3.42, 6.16, 10.51, 7.39, 9.62, 10.22, 7.50, 3.25, 2.17), "11a"),
    Station("Montréal", 45.4706, -73.7408, 36, "Dfb",
            "Environment and Climate Change Canada, Canadian Climate Normals 1991-2020, Montréal-Trudeau",
            (-5.3, -3.6, 2.2, 10.9, 18.9, 23.9, 26.3, 25.3, 20.7, 12.9, 5.6, -1.8),
            (-14.0, -12.5, -6.6, 0.7, 7.7, 13.2, 15.9, 14.8, 10.4, 4.1, -1.8, -9.3),
            (77, 63, 71, 82, 83, 91, 91, 87, 91, 88, 93, 86)),
    Station("Mexico City", 19.4042, -99.1964, 2309, "Cwb",
            "Servicio Meteorológico Nacional, Normales Climatológicas 1991-2020, Tacubaya",
            (22.1, 23.8, 26.0, 27.0, 26.9, 25.1, 23.7, 23.9, 23.2, 22.7, 22.4, 21.7),
            (6.2, 7.4, 9.4, 11.0, 12.3, 12.9, 12.3, 12.4, 12.3, 10.7, 8.4, 6.9),
            (8, 7, 13, 26, 57, 141, 172, 168, 138, 61, 11, 6)),
    Station("Nuuk", 64.1692, -51.7361, 54, "ET", "Danish Meteorological Institute, normals 1991-2020, Nuuk",
            (-4.2, -4.6, -4.5, -0.1, 4.6, 8.4, 11.2, 10.4, 6.4, 1.7, -1.3, -3.2),
            (-10.2, -10.6, -10.7, -6.2, -0.9, 2.5, 4.5, 4.1, 1.4, -3.0, -6.4, -9.0),
            (48, 45, 48, 41, 55, 61, 85, 90, 95, 82, 70, 55)),
    # --- South America ---
    Station("Buenos Aires", -34.5875, -58.4833, 25, "Cfa",
            "Servicio Meteorológico Nacional (Argentina), normals 1991-2020, Observatorio Central",
            (30.4, 29.0, 27.0, 23.0, 19.5, 16.2, 15.4, 17.8, 19.6, 22.8, 26.1, 28.8),
            (20.3, 19.6, 17.9, 14.1, 10.9, 8.2, 7.4, 8.4, 10.2, 13.1, 16.0, 18.6),
            (138, 127, 140, 119, 92, 58, 66, 70, 73, 123, 117, 114)),
    Station("Lima", -12.0219, -77.1144, 13, "BWh", "SENAMHI (Peru), WMO normals 1991-2020, Jorge Chávez",
            (26.4, 27.2, 26.7, 25.0, 22.5, 20.4, 19.3, 19.0, 19.6, 20.9, 22.6, 24.6),
            (20.5, 21.1, 20.7, 19.1, 17.7, 16.5, 15.9, 15.5, 15.6, 16.4, 17.6, 19.3),
            (0.8, 0.5, 0.5, 0.2, 0.4, 1.4, 1.7, 2.0, 1.2, 0.6, 0.3, 0.4)),
    Station("Manaus", -3.1036, -60.0161, 67, "Am", "INMET Normais Climatológicas 1991-2020, Manaus",
            (31.3, 31.2, 31.3, 31.5, 31.8, 32.0, 32.4, 33.5, 33.9, 33.6, 32.9, 32.0),
            (23.8, 23.8, 23.9, 23.9, 24.0, 23.7, 23.6, 24.0, 24.4, 24.6, 24.5, 24.2),
            (260, 290, 310, 300, 250, 110, 80, 55, 70, 110, 170, 230)),
    # --- Europe ---
    Station("London", 51.4787, -0.4490, 25, "Cfb", "Met Office UK climate averages 1991-2020, Heathrow",
            (8.4, 9.0, 11.7, 15.0, 18.4, 21.5, 23.7, 23.3, 20.3, 15.8, 11.6, 8.9),
            (2.5, 2.4, 3.9, 5.6, 8.7, 11.7, 13.9, 13.8, 11.3, 8.6, 5.2, 2.9),
            (55.2, 40.9, 41.6, 43.7, 49.4, 45.1, 44.5, 49.5, 49.1, 68.5, 59.0, 55.2)),
    Station("Paris", 48.8217, 2.3378, 75, "Cfb", "Météo-France normales 1991-2020, Paris-Montsouris",
            (7.5, 8.8, 12.6, 16.0, 19.6, 22.9, 25.2, 25.0, 21.1, 16.3, 11.0, 8.0),
            (3.1, 3.4, 5.7, 7.8, 11.3, 14.4, 16.5, 16.3, 13.3, 10.2, 6.2, 3.7),
            (47.6, 41.8, 43.3, 44.7, 65.4, 54.6, 59.0, 54.6, 43.7, 58.9, 53.4, 58.4)),
    Station("Berlin", 52.4675, 13.4021, 48, "Cfb",
            "Deutscher Wetterdienst, Klimanormalwerte 1991-2020, Tempelhof",
            (3.5, 5.0, 9.1, 15.0, 19.4, 22.6, 24.9, 24.5, 19.6, 13.7, 7.7, 4.2),
            (-1.5, -1.0, 1.4, 5.1, 9.4, 12.6, 14.7, 14.4, 10.6, 6.6, 2.7, -0.4),
            (42.5, 34.9, 39.4, 30.6, 52.3, 60.3, 69.0, 61.0, 45.3, 37.4, 40.1, 44.0)),
    Station("Zürich", 47.3779, 8.5656, 556, "Cfb", "MeteoSwiss climate normals 1991-2020, Zürich-Fluntern",
            (3.8, 5.5, 10.2, 14.6, 18.7, 22.3, 24.4, 23.7, 19.1, 14.0, 8.0, 4.5),
            (-1.8, -1.4, 1.4, 4.5, 8.7, 12.2, 14.1, 13.8, 10.0, 6.6, 2.2, -0.8),
            (67, 63, 73, 84, 117, 127, 122, 122, 93, 83, 75, 84)),
    Station("Lisbon", 38.7167, -9.1500, 77, "Csa",
            "IPMA normais climatológicas 1991-2020, Lisboa (Geofísico)",
            (15.0, 16.3, 18.9, 20.3, 22.9, 26.3, 28.3, 28.8, 26.5, 22.6, 18.2, 15.5),
            (8.5, 9.3, 10.9, 12.1, 14.2, 16.6, 18.0, 18.6, 17.6, 15.4, 11.9, 9.6),
            (99.9, 77.6, 57.9, 65.6, 51.7, 13.8, 4.2, 5.8, 33.1, 98.8, 112.6, 124.2)),
    Station("Oslo", 59.9423, 10.7200, 94, "Dfb",
            "Norwegian Meteorological Institute, normals 1991-2020, Blindern",
            (-0.6, 0.4, 4.6, 10.6, 16.0, 20.1, 22.5, 21.0, 16.3, 9.6, 4.0, 0.3),
            (-5.8, -5.9, -3.0, 1.3, 6.2, 10.3, 13.0, 12.3, 8.3, 3.8, -0.6, -4.9),
            (57, 43, 42, 49, 62, 75, 88, 102, 85, 97, 88, 60)),
    Station("Reykjavík", 64.1275, -21.9028, 52, "Cfc",
            "Icelandic Meteorological Office, normals 1991-2020, Reykjavík",
            (3.1, 3.4, 3.9, 6.6, 9.9, 12.4, 14.2, 13.8, 11.1, 7.4, 4.6, 3.4),
            (-2.0, -1.9, -1.5, 0.8, 3.8, 6.8, 8.6, 8.1, 5.6, 2.3, -0.6, -1.8),
            (89, 82, 82, 59, 47, 48, 54, 64, 77, 92, 78, 89)),
    Station("Tromsø", 69.6537, 18.9368, 100, "Dfc",
            "Norwegian Meteorological Institute, normals 1991-2020, Tromsø",
            (-1.1, -1.2, 0.6, 3.9, 8.2, 12.5, 15.7, 14.5, 10.3, 5.2, 1.6, -0.2),
            (-6.0, -6.2, -5.0, -1.7, 2.3, 6.3, 9.4, 8.7, 5.3, 1.2, -2.8, -4.8),
            (101, 90, 91, 66, 56, 62, 74, 83, 103, 121, 100, 100)),
    Station("Moscow", 55.8333, 37.6167, 147, "Dfb", "Roshydromet, WMO climate normals 1991-2020, VDNKh",
            (-3.7, -2.6, 2.9, 11.2, 18.5, 22.1, 24.3, 22.2, 16.2, 8.7, 1.6, -2.3),
            (-9.3, -9.3, -4.7, 1.5, 7.4, 11.5, 13.8, 12.0, 7.0, 2.0, -3.1, -7.4),
            (53, 44, 39, 37, 61, 78, 84, 78, 66, 70, 52, 51)),
    # --- Africa and the Middle East ---
    Station("Cairo", 30.1219, 31.4056, 74, "BWh",
            "Egyptian Meteorological Authority, WMO normals 1991-2020, Cairo Intl",
            (19.4, 21.0, 24.3, 28.6, 32.4, 34.7, 35.5, 35.2, 33.4, 30.1, 24.8, 20.7),
            (9.5, 10.3, 12.3, 15.2, 18.7, 21.4, 23.0, 23.1, 21.4, 18.5, 14.2, 10.8),
            (5.0, 3.8, 3.8, 1.1, 0.5, 0.1, 0.0, 0.0, 0.0, 0.7, 3.8, 5.9)),
    Station("Dubai", 25.2528, 55.3644, 5, "BWh",
            "National Center of Meteorology (UAE), normals 1991-2020, Dubai Intl",
            (24.0, 25.2, 28.3, 33.1, 37.8, 39.8, 41.2, 41.3, 39.1, 35.3, 30.3, 26.1),
            (14.6, 15.9, 18.4, 22.0, 25.9, 28.4, 30.5, 30.7, 28.2, 24.3, 19.9, 16.4),
            (16.0, 22.0, 16.5, 6.4, 0.9, 0.0, 0.3, 0.0, 0.0, 0.6, 2.7, 14.3)),
    Station("Tamanrasset", 22.7903, 5.5292, 1377, "BWh",
            "Office National de la Météorologie (Algeria), WMO normals 1991-2020, Tamanrasset",
            (20.4, 23.0, 26.6, 30.6, 33.9, 35.6, 35.3, 34.8, 32.8, 28.9, 24.6, 21.3),
            (4.8, 6.9, 10.5, 14.6, 18.6, 21.5, 21.7, 21.4, 19.6, 15.0, 9.9, 6.3),
            (3, 1, 1, 3, 6, 4, 3, 9, 6, 2, 3, 2)),
    Station("Niamey", 13.4817, 2.1703, 223, "BSh",
            "Direction de la Météorologie Nationale (Niger), WMO normals 1991-2020, Niamey",
            (32.4, 35.6, 38.8, 41.3, 40.4, 37.1, 34.1, 32.1, 34.2, 37.3, 35.7, 32.9),
            (16.8, 19.6, 23.8, 27.4, 28.5, 26.5, 24.4, 23.5, 24.1, 24.3, 20.6, 17.7),
            (0, 0, 2, 7, 32, 73, 141, 178, 82, 15, 0, 0)),
    Station("Lagos", 6.5774, 3.3212, 39, "Aw", "Nigerian Meteorological Agency, WMO normals 1991-2020, Ikeja",
            (32.8, 33.9, 33.4, 32.7, 31.6, 29.8, 28.6, 28.4, 29.3, 30.6, 32.0, 32.4),
            (22.8, 24.2, 24.8, 24.3, 23.6, 22.9, 22.7, 22.4, 22.7, 23.0, 23.5, 22.9),
            (11, 37, 75, 141, 213, 314, 226, 82, 175, 156, 51, 16)),
    Station("Johannesburg", -26.1392, 28.2460, 1694, "Cwb",
            "South African Weather Service, normals 1991-2020, O.R. Tambo Intl",
            (25.6, 25.2, 24.1, 21.6, 19.0, 16.3, 16.8, 19.6, 23.1, 24.3, 24.6, 25.4),
            (14.5, 14.2, 12.9, 9.9, 6.4, 3.4, 3.4, 5.4, 8.9, 11.4, 12.8, 13.9),
            (132, 92, 88, 48, 15, 8, 5, 6, 23, 71, 114, 117)),
    Station("Cape Town", -33.9648, 18.6017, 46, "Csb",
            "South African Weather Service, normals 1991-2020, Cape Town Intl",
            (26.9, 27.2, 26.0, 23.6, 21.0, 18.7, 18.1, 18.6, 20.2, 22.3, 24.3, 25.9),
            (16.1, 16.3, 15.0, 12.3, 9.7, 7.8, 7.1, 7.6, 9.1, 11.1, 13.6, 15.1),
            (14, 13, 17, 43, 74, 97, 88, 79, 45, 28, 19, 15)),
    # --- Asia ---
    Station("Tokyo", 35.6917, 139.7500, 25, "Cfa", "Japan Meteorological Agency, normals 1991-2020, Tokyo",
            (9.8, 10.9, 14.2, 19.4, 23.6, 26.1, 29.9, 31.3, 27.5, 22.0, 16.7, 12.0),
            (1.2, 2.1, 5.0, 9.8, 14.6, 18.5, 22.4, 23.5, 20.3, 14.8, 8.8, 3.8),
            (59.7, 56.5, 116.0, 133.7, 139.7, 167.8, 156.2, 154.7, 224.9, 234.8, 96.3, 57.9)),
    Station("Seoul", 37.5714, 126.9658, 86, "Dwa",
            "Korea Meteorological Administration, normals 1991-2020, Seoul",
            (1.6, 4.6, 10.6, 17.7, 23.3, 27.4, 28.9, 29.7, 25.9, 19.9, 11.8, 4.0),
            (-5.8, -3.5, 1.6, 7.4, 12.9, 18.2, 21.9, 22.4, 17.4, 10.4, 3.4, -3.3),
            (16.8, 28.2, 36.9, 72.9, 103.6, 129.5, 414.4, 348.2, 141.5, 52.2, 51.1, 22.6)),
    Station("Hong Kong", 22.3019, 114.1742, 32, "Cwa",
            "Hong Kong Observatory, normals 1991-2020, HKO Headquarters",
            (18.9, 19.6, 22.0, 25.6, 29.0, 30.9, 31.8, 31.7, 30.8, 28.3, 24.6, 20.6),
            (14.6, 15.3, 17.6, 21.1, 24.4, 26.2, 26.8, 26.6, 25.8, 23.7, 19.9, 15.9),
            (33.2, 43.0, 68.2, 135.8, 318.1, 456.1, 383.0, 433.1, 307.2, 110.6, 36.7, 26.4)),
    Station("Bangkok", 13.7278, 100.5617, 4, "Aw",
            "Thai Meteorological Department, normals 1991-2020, Bangkok Metropolis",
            (32.6, 33.5, 34.5, 35.5, 34.7, 33.6, 33.1, 32.8, 32.6, 32.2, 32.2, 31.9),
            (22.5, 24.2, 25.9, 27.0, 26.7, 26.3, 25.9, 25.7, 25.3, 24.9, 23.9, 22.2),
            (23, 22, 50, 86, 241, 212, 200, 227, 339, 253, 62, 12)),
    Station("Kolkata", 22.5372, 88.3306, 6, "Aw",
            "India Meteorological Department, normals 1991-2020, Alipore",
            (26.6, 29.8, 34.0, 35.6, 35.6, 34.0, 32.0, 31.7, 32.1, 31.6, 29.6, 27.0),
            (13.9, 17.6, 22.1, 25.2, 26.3, 26.5, 26.0, 26.0, 25.8, 24.0, 19.1, 14.6),
            (13, 21, 33, 53, 139, 289, 379, 352, 328, 164, 23, 5)),
    Station("Singapore", 1.3678, 103.9826, 15, "Af",
            "Meteorological Service Singapore, normals 1991-2020, Changi",
            (30.6, 31.7, 32.3, 32.6, 32.3, 31.8, 31.3, 31.3, 31.4, 31.6, 31.0, 30.3),
            (23.6, 23.8, 24.3, 24.9, 25.6, 25.5, 25.1, 25.0, 24.8, 24.6, 24.1, 23.8),
            (221.0, 105.1, 151.8, 159.0, 164.3, 135.3, 146.6, 146.2, 124.9, 165.5, 257.3, 317.9)),
    Station("Yakutsk", 62.0167, 129.7167, 98, "Dfd", "Roshydromet, WMO climate normals 1991-2020, Yakutsk",
            (-35.0, -29.1, -13.9, 0.4, 12.6, 22.5, 25.9, 21.9, 11.3, -3.1, -22.6, -33.1),
            (-42.0, -38.6, -28.9, -13.2, 0.4, 9.2, 12.5, 9.4, 1.5, -10.5, -30.7, -39.2),
            (9, 8, 6, 11, 24, 36, 43, 41, 29, 21, 16, 11)),
    # --- Oceania ---
    Station("Darwin", -12.4239, 130.8925, 30, "Aw",
            "Bureau of Meteorology climate statistics, Darwin Airport",
            (31.7, 31.5, 31.9, 32.8, 32.4, 31.1, 31.0, 31.6, 32.6, 33.3, 33.3, 32.7),
            (24.9, 24.8, 24.6, 24.0, 22.1, 20.1, 19.6, 20.4, 22.8, 24.8, 25.3, 25.3),
            (427, 372, 315, 95, 18, 1.4, 0.7, 3, 14, 61, 153, 253)),
    Station("Alice Springs", -23.7951, 133.8890, 546, "BWh",
            "Bureau of Meteorology climate statistics, Alice Springs Airport",
            (36.4, 35.1, 32.7, 28.2, 23.2, 19.8, 19.8, 22.7, 27.5, 30.9, 33.7, 35.4),
            (21.7, 20.8, 17.6, 12.6, 7.9, 4.8, 3.7, 5.1, 9.5, 14.4, 17.8, 20.3),
            (41, 44, 27, 17, 17, 12, 10, 7, 8, 20, 26, 38)),
    Station("Perth", -31.9275, 115.9764, 15, "Csa", "Bureau of Meteorology climate statistics, Perth Airport",
            (32.1, 32.3, 30.1, 26.2, 22.1, 19.2, 18.4, 19.0, 20.6, 23.8, 27.2, 30.1),
            (17.7, 18.1, 16.4, 13.2, 10.0, 8.2, 7.3, 7.6, 8.8, 10.6, 13.6, 15.9),
            (14, 12, 19, 36, 87, 124, 142, 115, 75, 36, 22, 8)),
    Station("Sydney", -33.8607, 151.2050, 39, "Cfa",
            "Bureau of Meteorology climate statistics, Sydney (Observatory Hill)",
            (26.4, 26.2, 25.0, 22.7, 19.9, 17.4, 17.0, 18.3, 20.6, 22.5, 23.9, 25.5),
            (19.3, 19.4, 18.1, 15.3, 12.3, 9.9, 8.9, 9.7, 11.9, 14.3, 16.3, 18.0),
            (92, 125, 133, 106, 95, 126, 74, 80, 62, 72, 85, 77)),
    Station("Melbourne", -37.8255, 144.9816, 8, "Cfb",
            "Bureau of Meteorology climate statistics, Melbourne (Olympic Park)",
            (26.5, 26.3, 24.2, 20.7, 17.3, 14.6, 14.1, 15.3, 17.6, 20.0, 22.5, 24.5),
            (15.2, 15.6, 13.9, 11.3, 9.1, 7.3, 6.6, 7.0, 8.3, 9.7, 11.7, 13.5),
            (44, 49, 39, 46, 48, 44, 42, 45, 49, 53, 63, 51)),
    Station("Wellington", -41.2850, 174.7683, 125, "Cfb",
            "NIWA climate normals 1991-2020, Wellington (Kelburn)",
            (20.3, 20.6, 19.2, 16.9, 14.6, 12.5, 11.7, 12.2, 13.6, 15.0, 16.7, 18.6),
            (13.4, 13.9, 12.8, 11.0, 9.2, 7.4, 6.6, 6.9, 8.1, 9.1, 10.5, 12.4),
            (74, 80, 89, 99, 120, 130, 134, 120, 99, 111, 85, 93)),
    # --- Antarctica ---
    Station("South Pole", -90.0, 0.0, 2835, "EF",
            "NOAA Global Monitoring Laboratory, Amundsen-Scott South Pole Station, means 1981-2010",
            (-26.0, -37.9, -49.6, -53.0, -53.6, -54.5, -55.2, -54.9, -54.4, -48.4, -36.2, -26.3),
            (-29.6, -43.1, -56.8, -60.9, -61.5, -61.2, -62.8, -62.5, -61.2, -53.3, -40.3, -29.9),
            (0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.3)),
)  # fmt: skip

# --- interpolation -------------------------------------------------------------

NEAREST = 4  # stations blended for a place (the fifth's weight is subtracted)
LAPSE_RATE = 0.0065  # °C per metre
EARTH_RADIUS_KM = 6371.0
EXTREME_FACTOR = 2.7  # annual lowest minimum ≈ coldest month's mean minimum - this many winter SDs
MAX_WINTER_SD = 6.5

_LAT = np.radians([s.lat for s in STATIONS])
_LNG = np.radians([s.lng for s in STATIONS])
_ELEVATION = np.array([s.elevation for s in STATIONS], dtype=float)
_TMAX = np.array([s.tmax for s in STATIONS], dtype=float)
_TMIN = np.array([s.tmin for s in STATIONS], dtype=float)
_PRECIP = np.array([s.precipitation for s in STATIONS], dtype=float)


def zone_midpoint_c(zone: str) -> float:
    """The middle of a USDA zone's band of mean annual lowest temperature, °C (1a: -60 to -55 °F)."""
    number, half = int(zone[:-1]), zone[-1]
    low_f = -60 + (number - 1) * 10 + (5 if half == "b" else 0)
    return (low_f + 2.5 - 32) / 1.8


def _winter_sd(station: Station) -> float:
    """The spread (SD, °C) of a station's daily minima in its coldest weeks."""
    means = (np.array(station.tmax) + np.array(station.tmin)) / 2
    coldest = int(np.argmin(means))
    if station.usda_zone is not None:
        sd = (station.tmin[coldest] - zone_midpoint_c(station.usda_zone)) / EXTREME_FACTOR
    else:
        annual_range = float(means.max() - means.min())
        sd = 0.6 + 0.17 * annual_range + 0.035 * max(0.0, abs(station.lat) - 15)
    return float(min(MAX_WINTER_SD, max(0.6, sd)))


_WINTER_SD = np.array([_winter_sd(s) for s in STATIONS])


@dataclass(frozen=True)
class Normals:
    """A place's monthly normals (January first) and weather spread."""

    tmax: np.ndarray
    tmin: np.ndarray
    precipitation: np.ndarray
    elevation: float
    winter_sd: float


def _distances_km(lat: float, lng: float) -> np.ndarray:
    phi, lam = math.radians(lat), math.radians(lng)
    a = np.sin((_LAT - phi) / 2) ** 2 + math.cos(phi) * np.cos(_LAT) * np.sin((_LNG - lam) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _weights(lat: float, lng: float) -> tuple[np.ndarray, np.ndarray]:
    """(station indices, weights summing to 1) of the stations blended at a point."""
    distances = _distances_km(lat, lng)
    order = np.argsort(distances, kind="stable")[: NEAREST + 1]
    inverse = 1.0 / (distances[order] ** 2 + 1.0)
    weights = inverse[:NEAREST] - inverse[NEAREST]
    if weights.sum() <= 0:
        weights = np.ones(NEAREST)
    return order[:NEAREST], weights / weights.sum()


def _poleward(lat: float) -> float:
    """Degrees of latitude from the equator that count for the latitude gradient: none within
    10°, a growing share from 10° to 25°, all beyond."""
    a = abs(lat)
    if a <= 10:
        return 0.0
    if a <= 25:
        return (a - 10) ** 2 / 30
    return 7.5 + (a - 25)


@lru_cache(maxsize=4096)
def normals_for(lat: float, lng: float) -> Normals:
    """The normals of a place (normally a grid cell's centre), interpolated from the table."""
    indices, weights = _weights(lat, lng)
    elevation = float(np.dot(weights, _ELEVATION[indices]))
    months = np.arange(12)
    # Latitude gradient, °C per degree, steepest in the place's winter; it fades in the tropics.
    winter_phase = np.cos(2 * np.pi * (months if lat >= 0 else months - 6) / 12)
    tmax = np.zeros(12)
    tmin = np.zeros(12)
    precipitation = np.zeros(12)
    for index, weight in zip(indices, weights, strict=True):
        station_lat = STATIONS[index].lat
        # A station across the equator has its months turned by six (gradually within 5° of it).
        turned = min(1.0, min(abs(lat), abs(station_lat)) / 5) if lat * station_lat < 0 else 0.0
        same = 1.0 - turned

        def turn(values, same=same):
            return same * values + (1 - same) * np.roll(values, 6)

        gradient = 0.7 + 0.3 * winter_phase
        poleward = _poleward(lat) - _poleward(station_lat)
        shift = -LAPSE_RATE * (elevation - _ELEVATION[index]) - gradient * poleward
        tmax += weight * (turn(_TMAX[index]) + shift)
        tmin += weight * (turn(_TMIN[index]) + shift)
        precipitation += weight * turn(_PRECIP[index])
    winter_sd = float(np.dot(weights, _WINTER_SD[indices]))
    return Normals(tmax, tmin, precipitation, round(elevation), winter_sd)


# --- deterministic noise -----------------------------------------------------------

REGION_DEGREES = 2.0  # weather regions: neighbouring cells share their weather
_SEED = np.uint64(0x5EED_C11A_7E00_0001)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = np.atleast_1d(values).astype(np.uint64) + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def hash_key(*parts) -> np.ndarray:
    """A uint64 hash of integer parts (scalars or arrays, broadcast together)."""
    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(part, dtype=np.int64)) for part in parts))
    h = np.full(arrays[0].shape, _SEED, dtype=np.uint64)
    for array in arrays:
        h = mix(h ^ array.astype(np.uint64))
    return h


def uniform(key: np.ndarray, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) for each key, independent for each salt."""
    return (mix(key ^ np.uint64(salt * 0x9E37 + 1)) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _normal(key: np.ndarray) -> np.ndarray:
    """A standard normal number for each key (Box-Muller over the hash's two halves)."""
    bits = mix(key)
    u1 = ((bits >> np.uint64(32)).astype(np.float64) + 0.5) / 2.0**32
    u2 = ((bits & np.uint64(0xFFFFFFFF)).astype(np.float64) + 0.5) / 2.0**32
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2)


def _phi(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1e-7)."""
    x = np.abs(z) / math.sqrt(2)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-x * x)
    return 0.5 * (1.0 + np.sign(z) * erf)


def _region_noise(lat: float, lng: float, stream: int, days: np.ndarray) -> np.ndarray:
    """Unit normal noise per day, blended bilinearly from the four nearest weather regions."""
    rx, ry = lng / REGION_DEGREES, lat / REGION_DEGREES
    i0, j0 = math.floor(rx), math.floor(ry)
    fx, fy = rx - i0, ry - j0
    columns = round(360 / REGION_DEGREES)
    total = np.zeros(days.shape)
    squares = 0.0
    for di, dj, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (1, 0, fx * (1 - fy)),
        (0, 1, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        if weight <= 0:
            continue
        total += weight * _normal(hash_key((i0 + di) % columns, j0 + dj, stream, days))
        squares += weight * weight
    return total / math.sqrt(squares)


def _ar_filter(noise: np.ndarray, rho: float, taps: int) -> np.ndarray:
    """A unit-variance autoregressive-like series: noise filtered by rho**k (k < taps); the
    result is ``taps - 1`` shorter than ``noise`` (each value needs its past)."""
    kernel = rho ** np.arange(taps)
    kernel /= math.sqrt(float(np.sum(kernel**2)))
    return np.convolve(noise, kernel, mode="valid")


FAST_RHO, FAST_TAPS = 0.7, 30  # synoptic weather, about three days
SLOW_RHO, SLOW_TAPS = 0.97, 220  # spells of about a month
SLOW_SHARE = 0.25  # of the shared variance
SHARED = 0.9  # the weight of the shared part in the maximum and the minimum
COLD_SKEW = 0.12  # winter skew of the minima towards cold spells
WET_RHO, WET_TAPS = 0.5, 12
MISSING_ONE_IN = 1024

_STREAM_FAST, _STREAM_SLOW, _STREAM_MAX, _STREAM_MIN, _STREAM_WET, _STREAM_AMOUNT = range(1, 7)


# --- daily series ----------------------------------------------------------------

NORMALS_PERIOD = (date(1991, 1, 1), date(2020, 12, 31))


def _calendar(first: date, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(month index 0-11, position in months from 1 January) of ``count`` days from ``first``."""
    days = np.datetime64(first.isoformat(), "D") + np.arange(count)
    months = days.astype("datetime64[M]")
    month_index = (months.astype(np.int64) % 12).astype(np.int64)
    length = (
        (months + np.timedelta64(1, "M")).astype("datetime64[D]") - months.astype("datetime64[D]")
    ).astype(np.float64)
    day_in_month = (days - months.astype("datetime64[D]")).astype(np.float64)
    return month_index, month_index + (day_in_month + 0.5) / length


def _annual_curve(monthly: np.ndarray, position: np.ndarray) -> np.ndarray:
    """The periodic curve through twelve monthly means, keeping each month's mean."""
    coefficients = np.fft.rfft(monthly)
    k = np.arange(1, 7)
    coefficients[1:] *= (np.pi * k / 12) / np.sin(np.pi * k / 12)  # a month's mean of each harmonic
    tau = 2 * np.pi * (position - 0.5) / 12  # month m's middle at tau = 2 pi m / 12
    curve = np.full(position.shape, coefficients[0].real / 12)
    for harmonic in range(1, 6):
        c = coefficients[harmonic]
        curve += (2 / 12) * (c.real * np.cos(harmonic * tau) - c.imag * np.sin(harmonic * tau))
    curve += (coefficients[6].real / 12) * np.cos(6 * tau)
    return curve


def _monthly_means(values: np.ndarray, month_index: np.ndarray) -> np.ndarray:
    return np.bincount(month_index, weights=values, minlength=12) / np.bincount(month_index, minlength=12)


def _weather(lat_c: float, lng_c: float, start: date, end: date, centring=None):
    """(month index, tmax, tmin, precipitation) arrays of the days start..end."""
    normals = normals_for(lat_c, lng_c)
    count = (end - start).days + 1
    ordinal = start.toordinal()
    days = np.arange(ordinal, ordinal + count, dtype=np.int64)
    history = np.arange(ordinal - SLOW_TAPS + 1, ordinal + count, dtype=np.int64)

    def persistent(stream: int, rho: float, taps: int) -> np.ndarray:
        return _ar_filter(_region_noise(lat_c, lng_c, stream, history[SLOW_TAPS - taps :]), rho, taps)

    shared = math.sqrt(1 - SLOW_SHARE) * persistent(_STREAM_FAST, FAST_RHO, FAST_TAPS) + math.sqrt(
        SLOW_SHARE
    ) * persistent(_STREAM_SLOW, SLOW_RHO, SLOW_TAPS)
    own = math.sqrt(1 - SHARED**2)
    z_max = SHARED * shared + own * _region_noise(lat_c, lng_c, _STREAM_MAX, days)
    z_min = SHARED * shared + own * _region_noise(lat_c, lng_c, _STREAM_MIN, days)

    month_index, position = _calendar(start, count)
    clim_max = _annual_curve(normals.tmax, position)
    clim_min = _annual_curve(normals.tmin, position)
    means = (normals.tmax + normals.tmin) / 2
    spread = max(1.0, float(means.max() - means.min()))
    winter = np.clip((means.max() - (clim_max + clim_min) / 2) / spread, 0.0, 1.0)
    summer_sd = max(0.5, 0.5 * normals.winter_sd)
    sd = summer_sd + (normals.winter_sd - summer_sd) * winter
    skew = COLD_SKEW * winter
    z_min = np.minimum(z_min, 1 / (2 * COLD_SKEW))  # keeps the skew monotonic
    z_min = (z_min - skew * (z_min**2 - 1)) / np.sqrt(1 + 2 * skew**2)
    z_max = np.minimum(z_max, 1 / (2 * COLD_SKEW))
    z_max = (z_max - 0.5 * skew * (z_max**2 - 1)) / np.sqrt(1 + 0.5 * skew**2)
    tmax = clim_max + sd * z_max
    tmin = clim_min + sd * z_min
    if centring is not None:
        tmax += _annual_curve(centring[0], position)
        tmin += _annual_curve(centring[1], position)
    crossed = tmax < tmin + 0.3
    middle = (tmax + tmin) / 2
    tmax = np.where(crossed, middle + 0.15, tmax)
    tmin = np.where(crossed, middle - 0.15, tmin)

    # Precipitation: wet days (persistent; more of them in wetter months), exponential amounts.
    lengths = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    wet_share = np.clip(0.06 + 0.75 * normals.precipitation / (normals.precipitation + 60.0), 0.02, 0.85)
    thresholds = np.array([NormalDist().inv_cdf(float(share)) for share in wet_share])
    wet = persistent(_STREAM_WET, WET_RHO, WET_TAPS) < thresholds[month_index]
    mean_amount = normals.precipitation / (lengths * wet_share)
    if centring is not None:
        mean_amount = mean_amount * centring[2]
    u = np.clip(_phi(_region_noise(lat_c, lng_c, _STREAM_AMOUNT, days)), 1e-12, 1.0)
    precipitation = np.where(wet, -mean_amount[month_index] * np.log(u), 0.0)
    return days, month_index, tmax, tmin, precipitation


@lru_cache(maxsize=1024)
def _centring(lat_c: float, lng_c: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corrections that make the place's 1991-2020 monthly means its normals: °C added to the
    maximum and the minimum, and a factor on the precipitation, per month."""
    normals = normals_for(lat_c, lng_c)
    _, month_index, tmax, tmin, precipitation = _weather(lat_c, lng_c, *NORMALS_PERIOD)
    years = NORMALS_PERIOD[1].year - NORMALS_PERIOD[0].year + 1
    totals = np.bincount(month_index, weights=precipitation, minlength=12) / years
    factor = np.where(totals > 0, normals.precipitation / np.maximum(totals, 1e-9), 1.0)
    return (
        normals.tmax - _monthly_means(tmax, month_index),
        normals.tmin - _monthly_means(tmin, month_index),
        factor,
    )


def daily_series(lat_c: float, lng_c: float, start: date, end: date) -> dict[str, list]:
    """Daily ``time``, ``temperature_2m_max``, ``temperature_2m_min`` (°C) and
    ``precipitation_sum`` (mm) for the place (a grid cell's centre), start..end inclusive."""
    days, _, tmax, tmin, precipitation = _weather(lat_c, lng_c, start, end, _centring(lat_c, lng_c))
    cell = hash_key(round(lat_c * 100), round(lng_c * 100))

    def column(values: np.ndarray, stream: int) -> list[float | None]:
        missing = (uniform(hash_key(cell, stream, days), 0) < 1 / MISSING_ONE_IN).tolist()
        rounded = (np.round(values, 1) + 0.0).tolist()  # + 0.0: no -0.0
        return [None if gone else value for value, gone in zip(rounded, missing, strict=True)]

    first = np.datetime64(start.isoformat(), "D")
    return {
        "time": np.datetime_as_string(first + np.arange(len(days)), unit="D").tolist(),
        "temperature_2m_max": column(tmax, 101),
        "temperature_2m_min": column(tmin, 102),
        "precipitation_sum": column(precipitation, 103),
    }
