"""Shadows at a moment (kinds/sun/shadow.py, GET sun/shadow/), against geometry by hand.

One 12 m building on an open site; the sun's position comes from pvlib (the
reference), the shadow's reach from tan(altitude) by hand: a cell north of
the building is in shade up to 12 / tan(altitude) metres from its wall, and
lit beyond. The PNG is read with rasterio's PNG driver, not the encoder.
"""

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from pvlib import solarposition
from rasterio.io import MemoryFile
from rest_framework.test import APIClient

from backend_django.upstream.cache import store
from backend_django.upstream.kinds import sun

from .sun_helpers import box_payload, canopy_window, cell_centres, terrain_entries

# A PNG carries no georeferencing: rasterio says so when it reads one.
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

LAT, LNG = 45.5231, -122.6765
SITE = sun.site_snap(lat=LAT, lng=LNG)
INPUTS = sun.site_input_units(site=SITE)
# Winter noon, local solar time about 20:10 UTC in Portland: the sun low in the south.
AT = "2025-12-21T20:15:00Z"


def store_inputs(boxes) -> None:
    entries = [store.NewEntry(unit, b"{}", "application/json", 3600, 3600) for unit in INPUTS.buildings]
    payload = box_payload(SITE, boxes)
    entries[0] = store.NewEntry(INPUTS.buildings[0], buildings_json(payload), "application/json", 3600, 3600)
    entries.append(
        store.NewEntry(INPUTS.canopy, canopy_window(SITE, []), "image/tiff", 3600, 3600, compress=False)
    )
    store.write([*entries, *terrain_entries(SITE)])


def buildings_json(payload: dict) -> bytes:

    return json.dumps(payload).encode()


def read_png(body: bytes) -> np.ndarray:
    with MemoryFile(body) as memfile, memfile.open() as image:
        return image.read()  # (4, rows, cols)


@pytest.fixture
def client():
    return APIClient()


def test_a_buildings_shadow_reaches_as_far_as_the_sun_is_low(client):
    # A 12 m building, 20 m wide, its north wall 10 m south of the site's centre.
    store_inputs([(-10.0, -30.0, 10.0, -10.0, 12.0)])
    answer = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": AT})
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "image/png" and answer["X-Cache"] == "MISS"  # drawn in the request
    again = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": AT})
    assert again["X-Cache"] == "HIT" and again.content == answer.content

    instant = datetime(2025, 12, 21, 20, 15, tzinfo=UTC)
    reference = solarposition.get_solarposition(pd.DatetimeIndex([instant]), SITE.lat, SITE.lng)
    azimuth, altitude = float(reference["azimuth"].iloc[0]), float(reference["elevation"].iloc[0])
    assert float(answer["X-Sun-Azimuth"]) == pytest.approx(azimuth, abs=0.1)
    assert float(answer["X-Sun-Altitude"]) == pytest.approx(altitude, abs=0.1)
    assert 150 < azimuth < 210 and 15 < altitude < 25  # low winter sun in the south

    pixels = read_png(answer.content)
    shaded = pixels[3] > 0
    grid = sun.site_grid(site=SITE, parameters=sun.parameters_from_settings(), margin_m=0)
    assert shaded.shape == (grid.cells, grid.cells)
    east, north = cell_centres(SITE, grid)
    reach = 12.0 / math.tan(math.radians(altitude))  # by hand: the shadow's length on flat ground
    # Along the line the sun shines through the building's middle, north of its wall.
    direction = math.radians(azimuth + 180)  # the shadow points away from the sun
    for distance in np.arange(2.0, 45.0, 1.0):
        x = 0.0 + distance * math.sin(direction)
        y = -10.0 + distance * math.cos(direction)
        row, col = np.unravel_index(np.argmin((east - x) ** 2 + (north - y) ** 2), east.shape)
        if distance < reach - 1.5:
            assert shaded[row, col], f"{distance:.0f} m from the wall is within the {reach:.1f} m shadow"
        elif distance > reach + 1.5:
            assert not shaded[row, col], f"{distance:.0f} m from the wall is past the {reach:.1f} m shadow"
    # Far from the building, the open ground is lit (south of it, the sun's side).
    south_cell = np.unravel_index(np.argmin((east - 0) ** 2 + (north + 45) ** 2), east.shape)
    assert not shaded[south_cell]


def test_at_night_the_whole_square_is_in_shade_and_bad_moments_are_400(client):
    store_inputs([])
    night = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": "2025-06-21T09:00:00Z"})
    assert night.status_code == 200 and float(night["X-Sun-Altitude"]) < 0
    assert (read_png(night.content)[3] > 0).all()
    for bad in ("", "tomorrow", "2025-06-21T09:00:00", "1800-01-01T00:00:00Z"):
        answer = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": bad})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid", bad


def test_moments_round_to_the_models_step_and_share_one_entry(client):
    store_inputs([])
    first = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": "2025-06-21T19:07:00+00:00"})
    second = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": "2025-06-21T12:02:00-07:00"})
    assert first["X-Shadow-At"] == second["X-Shadow-At"] == "2025-06-21T19:00Z"
    assert first["ETag"] == second["ETag"] and first.content == second.content
    bounds = [float(value) for value in first["X-Site-Bounds"].split(",")]
    west, south, east, north = bounds
    assert west < SITE.lng < east and south < SITE.lat < north


def test_without_its_inputs_a_shadow_is_a_job(client):
    answer = client.get("/api/v1/sun/shadow/", {"lat": LAT, "lng": LNG, "at": AT})
    assert answer.status_code == 202
    assert answer.json()["kind"] == "sun"
