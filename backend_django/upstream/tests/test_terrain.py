"""Terrain in the sun (kinds/terrain.py, kinds/sun/ground.py): slopes, ridges and flat ground
against geometry computed by hand.

The elevation tiles are made here from a formula (a plane, a ridge), encoded
by the Terrarium definition and stored as the terrain kind stores them; the
sun's positions come from pvlib (the reference); what should be lit is worked
out from the slope's or the ridge's elevation angle in each direction, not by
the code under test.
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pvlib import solarposition
from rasterio.io import MemoryFile

from backend_django.upstream.cache import store
from backend_django.upstream.kinds import sun, terrain
from backend_django.upstream.kinds.base import read_inputs
from backend_django.upstream.kinds.sun.site import metres_per_degree

from .sun_helpers import terrain_entries

# A PNG (the shadow) carries no georeferencing: rasterio says so when it reads one.
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

LAT, LNG, TZ = 45.0, 7.0, "Europe/Rome"
SITE = sun.site_snap(lat=LAT, lng=LNG)
PARAMETERS = sun.parameters_from_settings()
PER_LAT, PER_LNG = metres_per_degree(SITE.lat)
DECEMBER = PARAMETERS.dates()[11]


def ground_for(elevation_of) -> sun.Ground:
    store.write(terrain_entries(SITE, elevation_of))
    units = sun.site_input_units(site=SITE).terrain
    entries = read_inputs(SITE.unit, units.units)
    return sun.ground_build(
        site=SITE, grid=sun.site_grid(site=SITE, parameters=PARAMETERS), units=units, entries=entries
    )


def hours(result: sun.SunResult) -> np.ndarray:
    with MemoryFile(result.tiff) as memfile, memfile.open() as dataset:
        return dataset.read().astype(float) / 10


def compute(ground: sun.Ground | None) -> sun.SunResult:
    return sun.sun_compute(site=SITE, timezone=TZ, buildings=[], canopy=None, ground=ground)


def steps_of(day) -> pd.DataFrame:
    """The sun at the middle of each 15-minute step of a local day (pvlib)."""
    midnight = pd.Timestamp(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(TZ)))
    times = midnight + pd.to_timedelta((np.arange(96) + 0.5) * 15, unit="min")
    return solarposition.get_solarposition(times, SITE.lat, SITE.lng, method="nrel_numpy")


def north_m(lat):
    return (np.asarray(lat) - SITE.lat) * PER_LAT


def test_a_flat_ground_gives_exactly_the_flat_model():
    flat = compute(None)
    on_flat_terrain = compute(ground_for(lambda lat, lng: np.full(np.shape(lat), 250.0)))
    assert on_flat_terrain.tiff == flat.tiff
    terrain_summary = on_flat_terrain.summary["terrain"]
    assert terrain_summary["elevation_m"] == 250.0 and terrain_summary["slope_degrees"] == 0.0
    assert terrain_summary["aspect_degrees"] is None
    # Flat ground, the earth curving away: nothing stands above the horizontal.
    assert max(terrain_summary["horizon_degrees"]) <= 0
    assert on_flat_terrain.summary["model"] == 2


def test_a_20_degree_slope_facing_north_loses_the_winter_sun_it_should():
    tan20 = math.tan(math.radians(20))
    ground = ground_for(lambda lat, lng: 600.0 - tan20 * north_m(lat))  # rising to the south
    assert ground.slope_degrees == pytest.approx(20.0, abs=0.1)
    assert abs((ground.aspect_degrees + 180) % 360 - 180) < 1.0  # facing north
    result = compute(ground)
    assert result.summary["terrain"]["slope_degrees"] == pytest.approx(20.0, abs=0.1)

    # By hand: on a plane rising southwards at 20°, the terrain in direction az stands
    # atan(tan 20° cos(az - 180°)) above the horizontal; the sun counts above that and above 5°.
    sky = steps_of(DECEMBER)
    altitude, azimuth = sky["elevation"].to_numpy(), sky["azimuth"].to_numpy()
    slope_horizon = np.degrees(np.arctan(tan20 * np.cos(np.radians(azimuth - 180))))
    expected = np.count_nonzero((altitude > 5) & (altitude > slope_horizon)) * 0.25
    flat_expected = np.count_nonzero(altitude > 5) * 0.25
    december = hours(result)[11]
    assert flat_expected - expected > 4, "most of the winter day is lost on the slope"
    assert abs(float(december.mean()) - expected) <= 0.3
    assert abs(float(december.min()) - expected) <= 0.5 and abs(float(december.max()) - expected) <= 0.5


def test_a_slope_facing_north_keeps_the_june_noon_sun_and_loses_the_december_morning(client_shadow):
    tan20 = math.tan(math.radians(20))
    client_shadow(lambda lat, lng: 600.0 - tan20 * north_m(lat))
    june_noon = client_shadow.shadow("2025-06-21T11:30:00Z")  # solar noon at 7° E: about 11:32 UTC
    assert float(june_noon["X-Sun-Altitude"]) > 60
    assert not june_noon.shaded.any(), "the high sun clears a 20° slope"
    december_morning = client_shadow.shadow("2025-12-10T08:30:00Z")
    azimuth, altitude = float(december_morning["X-Sun-Azimuth"]), float(december_morning["X-Sun-Altitude"])
    assert 5 < altitude < math.degrees(math.atan(tan20 * math.cos(math.radians(azimuth - 180))))
    assert december_morning.shaded.all(), "a low sun in the south-east is behind the slope"


def test_a_ridge_to_the_south_delays_sunrise_and_advances_sunset():
    # An east-west ridge 2 km south: a flat top 400 m high and 200 m wide, flanks 300 m wide.
    # Its top's near edge, 1,900 m away due south, is what the sun must clear.
    distance, height, top, flank = 2000.0, 400.0, 100.0, 300.0
    near_edge = distance - top

    def ridge(lat, lng):
        across = np.abs(north_m(lat) + distance)
        return 200.0 + height * np.clip((top + flank - across) / flank, 0.0, 1.0)

    ground = ground_for(ridge)
    # Due south the top stands atan(400 / 1900) above the horizontal (less the earth's
    # curvature over 2 km, under 0.01°; the 13.5 m elevation pixels blur its edge a little).
    south = ground.horizon_degrees[int(180 / 2)]
    assert south == pytest.approx(math.degrees(math.atan(height / near_edge)), abs=0.15)

    sky = steps_of(DECEMBER)
    altitude, azimuth = sky["elevation"].to_numpy(), sky["azimuth"].to_numpy()
    theta = np.radians(azimuth - 180)
    # The top's edge in direction az is near_edge / cos(theta) away (where the ray meets it).
    ridge_angle = np.where(
        np.cos(theta) > 0, np.degrees(np.arctan(height * np.cos(theta) / near_edge)), -90.0
    )
    flat_lit = altitude > 5
    ridge_lit = flat_lit & (altitude > ridge_angle)
    times = sky.index
    delayed = times[ridge_lit][0] - times[flat_lit][0]
    advanced = times[flat_lit][-1] - times[ridge_lit][-1]
    # At least one 15-minute step each end: the low sun in the south-east and south-west.
    assert delayed >= pd.Timedelta(minutes=15) and advanced >= pd.Timedelta(minutes=15)

    december = hours(compute(ground))[11]
    centre = december[december.shape[0] // 2, december.shape[1] // 2]
    assert abs(float(centre) - np.count_nonzero(ridge_lit) * 0.25) <= 0.3
    assert abs(float(december.mean()) - np.count_nonzero(ridge_lit) * 0.25) <= 0.3


@pytest.fixture
def client_shadow():
    """Stores a site's inputs (no buildings, no trees, the given terrain) and asks sun/shadow/."""
    import json

    from rest_framework.test import APIClient

    from .sun_helpers import box_payload, canopy_window

    class Shadows:
        def __call__(self, elevation_of) -> None:
            inputs = sun.site_input_units(site=SITE)
            empty = json.dumps(box_payload(SITE, [])).encode()
            entries = [
                store.NewEntry(unit, empty, "application/json", 3600, 3600) for unit in inputs.buildings
            ]
            tiff = canopy_window(SITE, [])
            entries.append(store.NewEntry(inputs.canopy, tiff, "image/tiff", 3600, 3600, compress=False))
            store.write([*entries, *terrain_entries(SITE, elevation_of)])

        def shadow(self, at: str):
            answer = APIClient().get("/api/v1/sun/shadow/", {"lat": SITE.lat, "lng": SITE.lng, "at": at})
            assert answer.status_code == 200, answer.content
            with MemoryFile(answer.content) as memfile, memfile.open() as image:
                answer.shaded = image.read(4) > 0
            return answer

    return Shadows()


def test_the_tiles_a_site_reads_are_the_ones_under_and_around_it():
    units = sun.site_input_units(site=SITE).terrain
    west, south, east, north = sun.site_grid(site=SITE, parameters=PARAMETERS).bounds(with_margin=True)
    for lat, lng in ((south, west), (north, east), (SITE.lat, SITE.lng)):
        column, row = terrain.world_pixels(lat, lng, 15)
        assert terrain.unit_for(15, int(column // 256), int(row // 256)) in units.site
    assert len(units.units) == len(set(units.units)) <= 30
