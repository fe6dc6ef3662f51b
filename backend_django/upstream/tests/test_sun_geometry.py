"""Sun and shade against geometry worked out by hand (not against the code's own output).

- An open flat site sees the sun from sunrise to sunset: pvlib's SPA
  sunrise/sunset (the sun's upper limb on the horizon, with standard
  refraction: centre at -0.8333° true altitude) gives the day length.
- With the sun above the default 5°: the hour angle at which the sun crosses
  5°, from the textbook formula cos H = (sin a - sin φ sin δ) / (cos φ cos δ)
  with Spencer's (1971) declination, gives the hours.
- A wall of height h shades the ground behind it, away from the sun, to the
  distance h / tan(altitude); at noon on the December solstice at 45° N the
  sun is due south at about 90 - 45 - 23.44 = 21.56°.
"""

import dataclasses
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from pvlib import solarposition
from rasterio.io import MemoryFile

from backend_django.upstream.kinds import sun
from backend_django.upstream.kinds.sun import site as sun_site

from .sun_helpers import box_payload, canopy_window, cell_centres

WALL_HEIGHT = 10.0
CELL = 1.0


def parameters(**changes) -> sun.SunParameters:
    return dataclasses.replace(sun.parameters_from_settings(), **changes)


def noon(lat: float, lng: float, day: str) -> tuple[float, float]:
    """(azimuth, true altitude) of the sun at solar noon (transit) of ``day``, from pvlib's SPA."""
    times = pd.DatetimeIndex([pd.Timestamp(day, tz="UTC")])
    transit = solarposition.sun_rise_set_transit_spa(times, lat, lng)["transit"].iloc[0]
    position = solarposition.get_solarposition(pd.DatetimeIndex([transit]), lat, lng, method="nrel_numpy")
    return float(position["azimuth"].iloc[0]), float(position["elevation"].iloc[0])


def surface_of(site, *, payloads=(), canopy=None, margin_m=60.0):
    params = parameters(margin_max_m=margin_m)
    grid = sun_site.site_grid(site=site, parameters=params)
    return sun.surface_build(grid=grid, buildings=list(payloads), canopy=canopy)


def shadow_reach(lit, north, column_mask, *, beyond, towards_north):
    """Per column of ``column_mask``: the farthest shaded distance from ``beyond`` (the wall's
    face), and the nearest lit one, both away from the sun; as arrays over the columns."""
    farthest_shaded, nearest_lit = [], []
    for col in np.flatnonzero(column_mask):
        distance = (north[:, col] - beyond) if towards_north else (beyond - north[:, col])
        behind = distance > 0
        shaded = behind & ~lit[:, col]
        lit_behind = behind & lit[:, col]
        farthest_shaded.append(distance[shaded].max() if shaded.any() else 0.0)
        nearest_lit.append(distance[lit_behind].min() if lit_behind.any() else np.inf)
    return np.array(farthest_shaded), np.array(nearest_lit)


# --- an open site: the astronomical day length everywhere ------------------------


@pytest.mark.parametrize(
    ("lat", "lng", "tz"),
    [
        (45.5, -122.7, "America/Los_Angeles"),
        (-33.9, 18.4, "Africa/Johannesburg"),
        (60.0, 10.75, "Europe/Oslo"),
    ],
)
def test_an_open_site_gets_the_day_length_at_every_cell(lat, lng, tz):
    params = parameters(min_altitude_degrees=-0.8333, size_m=20.0, site_grid_degrees=0.0001)
    site = sun.site_snap(lat=lat, lng=lng, parameters=params)
    result = sun.sun_compute(site=site, timezone=tz, buildings=[], canopy=None, parameters=params)
    with MemoryFile(result.tiff) as memfile, memfile.open() as dataset:
        hours = dataset.read().astype(float) / 10
    for band, day in enumerate(params.dates()):
        times = pd.DatetimeIndex([pd.Timestamp(day.isoformat(), tz=tz)])
        events = solarposition.sun_rise_set_transit_spa(times, site.lat, site.lng)
        length = (events["sunset"].iloc[0] - events["sunrise"].iloc[0]).total_seconds() / 3600
        # Sampling every 15 minutes in the middle of each step: at most half a step off
        # at each end; stored in tenths: 0.05 more.
        assert np.abs(hours[band] - length).max() <= 0.25 + 0.05, (day, length, hours[band].min())
        assert hours[band].min() == hours[band].max()
    # A 1 m shed ~100 m towards the equator only ever stands in front of a high sun:
    # nothing changes, not even with the sun just below the horizon.
    south, north = (-110, -108) if lat > 0 else (108, 110)
    shed = box_payload(site, [(-5, south, 5, north, 1.0)])
    with_shed = sun.sun_compute(site=site, timezone=tz, buildings=[shed], canopy=None, parameters=params)
    assert with_shed.summary["surface"]["tallest_m"] == 1.0
    assert with_shed.tiff == result.tiff


def test_an_open_site_counts_the_sun_above_the_minimum_altitude():
    params = parameters(size_m=10.0, site_grid_degrees=0.00005)  # the default minimum altitude, 5°
    assert params.min_altitude_degrees == 5.0
    lat, lng = 45.5, -122.7
    site = sun.site_snap(lat=lat, lng=lng, parameters=params)
    result = sun.sun_compute(
        site=site, timezone="America/Los_Angeles", buildings=[], canopy=None, parameters=params
    )
    phi = math.radians(site.lat)
    altitude = math.radians(5.0)
    for month in result.summary["months"]:
        day = date.fromisoformat(month["day"])
        declination = float(solarposition.declination_spencer71(day.timetuple().tm_yday))
        cos_h = (math.sin(altitude) - math.sin(phi) * math.sin(declination)) / (
            math.cos(phi) * math.cos(declination)
        )
        expected = 2 * math.degrees(math.acos(cos_h)) / 15
        assert abs(month["min"] - expected) <= 0.35 and month["min"] == month["max"], (day, expected, month)


# --- a wall at noon on the December solstice ------------------------------------------


def test_noon_at_the_december_solstice_at_45_north():
    azimuth, altitude = noon(45.0, 0.0, "2025-12-21")
    assert abs(azimuth - 180) < 0.05
    assert abs(altitude - (90 - 45 - 23.44)) < 0.1


def test_a_wall_shades_the_cells_north_of_it_to_h_over_tan_altitude():
    site = sun.site_snap(lat=45.0, lng=0.0)
    # A wall 80 m long (east-west), 2 m thick, 10 m high, 18-20 m south of the centre.
    south_face, north_face = -20.0, -18.0
    surface = surface_of(site, payloads=[box_payload(site, [(-40, south_face, 40, north_face, WALL_HEIGHT)])])
    azimuth, altitude = noon(site.lat, site.lng, "2025-12-21")
    lit = sun.shade_lit(surface=surface, azimuth_degrees=azimuth, altitude_degrees=altitude)
    east, north = cell_centres(site, surface.grid)
    length = WALL_HEIGHT / math.tan(math.radians(altitude))  # 25.3 m
    assert 25.0 < length < 25.6
    middle = np.abs(east[0]) < 30  # columns away from the wall's ends
    farthest_shaded, nearest_lit = shadow_reach(lit, north, middle, beyond=north_face, towards_north=True)
    # Shaded up to the shadow's length, within one cell, and not beyond.
    assert (farthest_shaded >= length - CELL).all() and (farthest_shaded <= length + CELL).all()
    assert (nearest_lit >= length - CELL).all()
    # Every cell behind the wall closer than that is shaded; everything south of the wall is lit.
    behind = (north - north_face > 0) & (north - north_face < length - CELL) & middle[None, :]
    assert not lit[behind].any()
    assert lit[north < south_face].all()
    # Beyond the shadow, and east and west of the wall's shadow, the sun shines.
    assert lit[north - north_face > length + CELL].all()
    assert lit[:, np.abs(east[0]) > 41].all()


def test_the_southern_hemisphere_mirrors_it():
    site = sun.site_snap(lat=-45.0, lng=0.0)
    # The same wall north of the centre; June solstice: the sun is due north at ~21.56°.
    south_face, north_face = 18.0, 20.0
    surface = surface_of(site, payloads=[box_payload(site, [(-40, south_face, 40, north_face, WALL_HEIGHT)])])
    azimuth, altitude = noon(site.lat, site.lng, "2025-06-21")
    assert min(azimuth, 360 - azimuth) < 0.05 and abs(altitude - 21.56) < 0.1
    lit = sun.shade_lit(surface=surface, azimuth_degrees=azimuth, altitude_degrees=altitude)
    east, north = cell_centres(site, surface.grid)
    length = WALL_HEIGHT / math.tan(math.radians(altitude))
    middle = np.abs(east[0]) < 30
    farthest_shaded, nearest_lit = shadow_reach(lit, north, middle, beyond=south_face, towards_north=False)
    assert (farthest_shaded >= length - CELL).all() and (farthest_shaded <= length + CELL).all()
    assert (nearest_lit >= length - CELL).all()
    assert lit[north > north_face].all()  # the sunny side of the wall
    assert lit[south_face - north > length + CELL].all()


def test_a_wall_beyond_the_square_shades_it():
    site = sun.site_snap(lat=45.0, lng=0.0)
    # 58-60 m south of the centre: 8-10 m beyond the square's southern edge (50 m).
    surface = surface_of(site, payloads=[box_payload(site, [(-40, -60, 40, -58, WALL_HEIGHT)])])
    azimuth, altitude = noon(site.lat, site.lng, "2025-12-21")
    lit = sun.shade_lit(surface=surface, azimuth_degrees=azimuth, altitude_degrees=altitude)
    east, north = cell_centres(site, surface.grid)
    length = WALL_HEIGHT / math.tan(math.radians(altitude))
    middle = np.abs(east[0]) < 30
    reach = -58 + length  # the shadow's northern end, ~ -32.7 m
    shaded_rows = ~lit[:, middle]
    assert shaded_rows[(north[:, 0] < reach - CELL)].all()
    assert not shaded_rows[(north[:, 0] > reach + CELL)].any()


def test_a_tree_raster_shades_like_a_building_of_the_same_height():
    site = sun.site_snap(lat=45.0, lng=0.0)
    wall = (-40, -20, 40, -18, WALL_HEIGHT)
    azimuth, altitude = noon(site.lat, site.lng, "2025-12-21")
    built = surface_of(site, payloads=[box_payload(site, [wall])])
    trees = surface_of(site, canopy=canopy_window(site, [wall]))
    assert trees.tallest_m == WALL_HEIGHT and not trees.roofs.any()
    lit_built = sun.shade_lit(surface=built, azimuth_degrees=azimuth, altitude_degrees=altitude)
    lit_trees = sun.shade_lit(surface=trees, azimuth_degrees=azimuth, altitude_degrees=altitude)
    east, north = cell_centres(site, built.grid)
    length = WALL_HEIGHT / math.tan(math.radians(altitude))
    middle = np.abs(east[0]) < 30
    reach_built, _ = shadow_reach(lit_built, north, middle, beyond=-18, towards_north=True)
    reach_trees, lit_trees_after = shadow_reach(lit_trees, north, middle, beyond=-18, towards_north=True)
    assert (np.abs(reach_trees - length) <= CELL).all()
    assert (lit_trees_after >= length - CELL).all()
    assert (np.abs(reach_trees - reach_built) <= CELL).all()
    assert lit_trees[north < -20 - CELL].all()
    # The ground under the crowns is in their shade (cells whose centre is inside the
    # band by more than half a canopy pixel, 0.45 m).
    under = (north > -20 + 0.45) & (north < -18 - 0.45) & middle[None, :]
    assert under.any() and not lit_trees[under].any()


def test_margin_follows_the_tallest_obstacle_and_the_minimum_altitude():
    params = parameters()  # 5°, capped at 200 m
    assert sun.margin_choose(tallest_m=10, parameters=params) == pytest.approx(10 / math.tan(math.radians(5)))
    assert sun.margin_choose(tallest_m=40, parameters=params) == 200
    assert sun.margin_choose(tallest_m=0, parameters=params) == 0
    assert sun.margin_choose(tallest_m=3, parameters=parameters(min_altitude_degrees=0)) == 200


def test_a_low_sun_shadow_is_cut_at_the_margin():
    # A 10 m wall 150 m south of the square's far edge shades it at 3° (shadow 191 m),
    # but with the margin capped at 100 m the wall lies outside the model.
    site = sun.site_snap(lat=45.0, lng=0.0)
    payload = box_payload(site, [(-40, -202, 40, -200, WALL_HEIGHT)])
    wide = surface_of(site, payloads=[payload], margin_m=200)
    narrow = surface_of(site, payloads=[payload], margin_m=100)
    lit_wide = sun.shade_lit(surface=wide, azimuth_degrees=180, altitude_degrees=3.0)
    lit_narrow = sun.shade_lit(surface=narrow, azimuth_degrees=180, altitude_degrees=3.0)
    east, north = cell_centres(site, wide.grid)
    middle = np.abs(east[0]) < 30
    # 10 / tan(3°) = 190.8 m from the wall's north face at -200 m: up to -9.2 m.
    assert not lit_wide[north[:, 0] < -9.2 - CELL][:, middle].any()
    assert lit_wide[north[:, 0] > -9.2 + CELL].all()
    assert lit_narrow.all()
