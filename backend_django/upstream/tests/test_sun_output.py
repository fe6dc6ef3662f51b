"""Sun and shade: sites, the stored GeoTIFF and summary, the point reader, the stored inputs."""

import dataclasses
import math
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from rasterio.enums import Compression
from rasterio.io import MemoryFile

from backend_django.core.exceptions import ApplicationError
from backend_django.devtools.simulator import data as simdata
from backend_django.upstream.kinds import buildings, sun, terrain
from backend_django.upstream.kinds.canopy import grid as canopy_grid
from backend_django.upstream.kinds.canopy import window
from backend_django.upstream.kinds.sun import output
from backend_django.upstream.kinds.sun import site as sun_site

from .sun_helpers import box_payload, to_metres


def parameters(**changes) -> sun.SunParameters:
    return dataclasses.replace(sun.parameters_from_settings(), **changes)


# --- sites ------------------------------------------------------------------------


def test_points_snap_to_the_site_grid():
    site = sun.site_snap(lat=45.52312, lng=-122.67648)
    assert (site.lat, site.lng) == (45.5230, -122.6765)
    assert site.unit == "sun:45.5230:-122.6765"
    assert sun.site_snap(lat=45.52337, lng=-122.6762).unit == "sun:45.5235:-122.6760"
    assert sun.site_snap(lat=-0.0001, lng=0.0002).unit == "sun:0.0000:0.0000"
    assert sun.site_from_unit(site.unit) == site
    with pytest.raises(ApplicationError):
        sun.site_snap(lat=89.0, lng=0.0)
    with pytest.raises(ApplicationError):
        sun.site_snap(lat=float("nan"), lng=0.0)


def test_every_point_lies_inside_its_sites_square():
    params = sun.parameters_from_settings()
    for lat, lng in [
        (45.52312, -122.67648),
        (45.52349, -122.67626),
        (59.91, 10.75),
        (-33.92, 18.42),
        (0.0, 0.0),
    ]:
        site = sun.site_snap(lat=lat, lng=lng)
        grid = sun_site.site_grid(site=site, parameters=params, margin_m=0)
        west, south, east, north = grid.bounds(with_margin=False)
        assert west < lng < east and south < lat < north


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="SUN_STEP_MINUTES"):
        parameters(step_minutes=7)
    with pytest.raises(ValueError, match="SUN_DAYS"):
        parameters(days=("01-17",) * 12)
    with pytest.raises(ValueError, match="SUN_DAYS"):
        parameters(days=("01-17",))
    with pytest.raises(ValueError, match="SUN_SITE_GRID_DEGREES"):
        parameters(site_grid_degrees=0.001, size_m=100.0)  # 111 m of latitude: more than the square
    assert parameters().cells == 100


def test_the_grid_has_one_metre_cells_centred_on_the_site():
    site = sun.site_snap(lat=45.5, lng=-122.7)
    grid = sun_site.site_grid(site=site, parameters=sun.parameters_from_settings(), margin_m=0)
    west, south, east, north = grid.bounds(with_margin=False)
    xs, ys = to_metres(site, [west, east, site.lng, site.lng], [site.lat, site.lat, south, north])
    assert xs[0] == pytest.approx(-50, abs=0.01) and xs[1] == pytest.approx(50, abs=0.01)
    assert ys[2] == pytest.approx(-50, abs=0.01) and ys[3] == pytest.approx(50, abs=0.01)


def test_time_zones_by_name_or_offset():
    assert sun.timezone_resolve("Europe/Paris", lng=2.3) == ZoneInfo("Europe/Paris")
    assert sun.timezone_resolve(-25200, lng=-122.7) == timezone(timedelta(hours=-7))
    assert sun.timezone_resolve("+05:30", lng=77.2) == timezone(timedelta(hours=5, minutes=30))
    assert sun.timezone_resolve("UTC-3", lng=-58.4) == timezone(timedelta(hours=-3))
    assert sun.timezone_resolve("UTC", lng=-122.7) == ZoneInfo("UTC")
    # None, or a name this machine does not know: the solar offset of the longitude.
    assert sun.timezone_resolve(None, lng=-122.7) == timezone(timedelta(hours=-8))
    assert sun.timezone_resolve("Mars/Olympus_Mons", lng=30.0) == timezone(timedelta(hours=2))


def test_a_days_steps_start_at_local_midnight():
    path = sun.sun_path_compute(
        lat=45.5,
        lng=-122.7,
        timezone="America/Los_Angeles",
        days=[datetime(2025, 6, 11).date()],
        step_minutes=15,
        min_altitude_degrees=-90,
    )
    assert len(path.altitude) == 96 and path.step_hours == 0.25
    # The first step is at 00:07:30 PDT (07:07:30 UTC): the sun is well below the horizon.
    assert path.altitude[0] < -15 and path.altitude.argmax() in range(48, 58)  # ~13:15 PDT


def test_site_input_units_cover_the_square_and_the_widest_margin():
    site = sun.site_snap(lat=45.5231, lng=-122.6765)
    inputs = sun.site_input_units(site=site)
    assert inputs.canopy == canopy_grid.unit_for(site.lat, site.lng)
    cells = {buildings.parse_cell_unit(unit) for unit in inputs.buildings}
    west, south, east, north = sun_site.site_grid(
        site=site, parameters=sun.parameters_from_settings()
    ).bounds(with_margin=True)
    size = 0.01  # BUILDINGS_CELL_DEGREES
    for lat in np.linspace(south, north, 7):
        for lng in np.linspace(west, east, 7):
            assert (math.floor(lat / size), math.floor(lng / size)) in cells

    # The elevation tiles: zoom 15 under the whole grid, 13 and 10 around for the horizon.
    def tiles(units):
        return [terrain.tile_of(unit) for unit in units]

    for zoom, units, reach_m in (
        (15, inputs.terrain.site, 0),
        (13, inputs.terrain.near, 3000),
        (10, inputs.terrain.far, 20000),
    ):
        assert {z for z, _, _ in tiles(units)} == {zoom}
        reach_lat, reach_lng = reach_m / 111_000, reach_m / (111_000 * math.cos(math.radians(site.lat)))
        for lat in (south - reach_lat, north + reach_lat):
            for lng in (west - reach_lng, east + reach_lng):
                column, row = terrain.world_pixels(lat, lng, zoom)
                assert (zoom, int(column // 256), int(row // 256)) in tiles(units), (zoom, lat, lng)
    assert inputs.units == [*inputs.buildings, inputs.canopy, *inputs.terrain.units]
    assert inputs.climate == "climate:45.5:-122.7"


# --- light categories and the summary's statistics -------------------------------------


@pytest.mark.parametrize(
    ("hours", "category"),
    [
        (12.0, "full_sun"),
        (6.0, "full_sun"),
        (5.9, "part_sun"),
        (4.0, "part_sun"),
        (3.9, "part_shade"),
        (2.0, "part_shade"),
        (1.9, "shade"),
        (0.0, "shade"),
    ],
)
def test_light_categories(hours, category):
    assert sun.light_category(hours) == category


def test_month_statistics_over_the_ground_cells():
    # 10 x 10 cells: rows of 7.0 h (x3), 6.0 (x1), 5.0 (x2), 4.0 (x1), 3.0 (x1), 2.0 (x1), 1.5 (x1).
    hours = [7.0, 7.0, 7.0, 6.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.5]
    tenths = np.repeat(np.array([round(h * 10) for h in hours], dtype=np.uint8)[:, None], 10, axis=1)
    ground = np.ones((10, 10), dtype=bool)
    ground[0, :5] = False  # five roof cells of 7.0 h: not counted
    stats = output.month_statistics(tenths, ground)
    assert stats["min"] == 1.5 and stats["max"] == 7.0
    assert stats["mean"] == pytest.approx(
        (25 * 7 + 10 * 6 + 20 * 5 + 10 * 4 + 10 * 3 + 10 * 2 + 10 * 1.5) / 95, abs=0.01
    )
    assert stats["light"] == {
        "full_sun": round(35 / 95, 4),  # 7.0 and 6.0
        "part_sun": round(30 / 95, 4),  # 5.0 and 4.0
        "part_shade": round(20 / 95, 4),  # 3.0 and 2.0
        "shade": round(10 / 95, 4),  # 1.5
    }
    empty = output.month_statistics(tenths, np.zeros((10, 10), dtype=bool))
    assert empty["mean"] is None and empty["light"]["shade"] is None


def test_tenths_round_half_up():
    counts = np.array([0, 1, 2, 3, 24, 96], dtype=np.uint16)
    # 15-minute steps: 0, 0.25, 0.5, 0.75, 6 and 24 hours.
    assert output.tenths_from_counts(counts, 0.25).tolist() == [0, 3, 5, 8, 60, 240]


# --- the GeoTIFF and the point reader ------------------------------------------------


def encoded(site=None, seed=0):
    site = site or sun.site_snap(lat=45.5231, lng=-122.6765)
    grid = sun_site.site_grid(site=site, parameters=sun.parameters_from_settings(), margin_m=0)
    rng = np.random.default_rng(seed)
    tenths = rng.integers(0, 241, size=(12, grid.cells, grid.cells), dtype=np.uint8)
    return site, grid, tenths, output.raster_encode(tenths=tenths, grid=grid)


def test_the_geotiff_round_trips_with_its_georeferencing():
    site, grid, tenths, tiff = encoded()
    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        assert dataset.crs.to_epsg() == 4326
        assert (dataset.count, dataset.width, dataset.height) == (12, 100, 100)
        assert set(dataset.dtypes) == {"uint8"} and dataset.nodata == 255
        assert dataset.compression == Compression.deflate
        assert dataset.scales == (0.1,) * 12
        assert dataset.descriptions[0] == "January" and dataset.descriptions[11] == "December"
        assert (dataset.read() == tenths).all()
        west, south, east, north = dataset.bounds
        transform = dataset.transform
    # Centred on the site, 100 m a side, cells of 1 m (measured with PROJ, not the code's formula).
    assert (west + east) / 2 == pytest.approx(site.lng, abs=1e-9)
    assert (south + north) / 2 == pytest.approx(site.lat, abs=1e-9)
    xs, ys = to_metres(site, [west, east, site.lng, site.lng], [site.lat, site.lat, south, north])
    assert xs[1] - xs[0] == pytest.approx(100, abs=0.02) and ys[3] - ys[2] == pytest.approx(100, abs=0.02)
    cx, cy = to_metres(site, [site.lng + transform.a, site.lng], [site.lat, site.lat - transform.e])
    assert cx[0] - cx[1] == pytest.approx(1.0, abs=1e-3) and cy[1] - cy[0] == pytest.approx(1.0, abs=1e-3)
    # The same data gives the same bytes (an entry's ETag changes only with its data).
    assert output.raster_encode(tenths=tenths, grid=grid) == tiff
    assert len(tiff) < 200_000


def test_the_point_reader_answers_the_cell_under_a_point():
    site, grid, tenths, tiff = encoded(seed=1)
    t = grid.transform(with_margin=False)
    for row, col in [(0, 0), (99, 99), (50, 50), (13, 87), (72, 4)]:
        # A point a little off the cell's centre, inside the cell.
        lng = t.c + (col + 0.3) * t.a
        lat = t.f + (row + 0.8) * t.e
        assert sun.sun_point_read(tiff=tiff, lat=lat, lng=lng) == [
            round(int(value) / 10, 1) for value in tenths[:, row, col]
        ]
    west, south, east, north = grid.bounds(with_margin=False)
    assert sun.sun_point_read(tiff=tiff, lat=north + 1e-6, lng=site.lng) is None
    assert sun.sun_point_read(tiff=tiff, lat=south - 1e-6, lng=site.lng) is None
    assert sun.sun_point_read(tiff=tiff, lat=site.lat, lng=west - 1e-6) is None
    assert sun.sun_point_read(tiff=tiff, lat=site.lat, lng=east + 1e-6) is None
    assert sun.sun_point_read(tiff=tiff, lat=float("nan"), lng=site.lng) is None


def test_the_point_reader_gives_none_for_nodata_and_follows_new_bytes():
    _, grid, tenths, tiff = encoded(seed=2)
    tenths[3, 50, 50] = output.NODATA
    changed = output.raster_encode(tenths=tenths, grid=grid)
    t = grid.transform(with_margin=False)
    lat, lng = t.f + 50.5 * t.e, t.c + 50.5 * t.a
    before = sun.sun_point_read(tiff=tiff, lat=lat, lng=lng)
    after = sun.sun_point_read(tiff=changed, lat=lat, lng=lng)
    assert before[3] is not None and after[3] is None
    assert after[:3] == before[:3]


# --- the whole computation --------------------------------------------------------------


def test_a_computed_site_records_its_inputs_and_parameters():
    params = parameters(margin_max_m=60.0)
    site = sun.site_snap(lat=45.0, lng=0.0, parameters=params)
    # A 20 m x 10 m building, 8 m high, in the middle of the square.
    payload = box_payload(site, [(-10, -5, 10, 5, 8.0)])
    etags = {"canopy:x": '"c1"', "bcell:4500:0": '"b1"'}
    result = sun.sun_compute(
        site=site,
        timezone="Europe/Paris",
        buildings=[payload],
        canopy=None,
        input_etags=etags,
        parameters=params,
    )
    summary = result.summary
    assert summary["site"] == {"latitude": 45.0, "longitude": 0.0, "unit": "sun:45.0000:0.0000"}
    assert summary["inputs"] == {"bcell:4500:0": '"b1"', "canopy:x": '"c1"'}
    assert summary["parameters"] == params.as_dict() and summary["timezone"] == "Europe/Paris"
    # 8 m / tan(5°) = 91 m, capped at the 60 m asked for.
    assert summary["surface"]["margin_m"] == 60 and summary["surface"]["tallest_m"] == 8.0
    assert summary["surface"]["roof_share"] == pytest.approx(200 / 10_000, abs=0.004)
    assert [month["month"] for month in summary["months"]] == list(range(1, 13))
    assert summary["months"][5]["day"] == "2025-06-11"
    for month in summary["months"]:
        assert 0 <= month["min"] <= month["mean"] <= month["max"] <= month["daylight_hours"] + 0.05
        assert sum(month["light"].values()) == pytest.approx(1, abs=1e-3)
    # In December the cells right north of the building are in its shade all day.
    with MemoryFile(result.tiff) as memfile, memfile.open() as dataset:
        december = dataset.read(12)
    assert december[44, 50] == 0  # 5.5 m north of the centre: 0.5 m off the north face
    assert summary["months"][11]["min"] == 0.0
    assert summary["months"][11]["max"] == summary["months"][11]["daylight_hours"]
    # The same inputs give the same bytes.
    again = sun.sun_compute(
        site=site,
        timezone="Europe/Paris",
        buildings=[payload],
        canopy=None,
        input_etags=etags,
        parameters=params,
    )
    assert again.tiff == result.tiff and again.summary_bytes() == result.summary_bytes()


def test_a_stored_result_is_current_only_for_the_same_inputs_parameters_and_time_zone():
    params = parameters(size_m=10.0, margin_max_m=0.0, site_grid_degrees=0.00005)
    site = sun.site_snap(lat=45.0, lng=0.0, parameters=params)
    etags = {"bcell:4500:0": '"b1"', "canopy:x": '"c1"'}
    result = sun.sun_compute(
        site=site, timezone="Europe/Paris", buildings=[], canopy=None, input_etags=etags, parameters=params
    )
    summary = result.summary

    def current(**changes):
        arguments = {
            "summary": summary,
            "input_etags": etags,
            "timezone": "Europe/Paris",
            "parameters": params,
        }
        return sun.sun_result_current(**{**arguments, **changes})

    assert current()
    assert current(input_etags=dict(reversed(etags.items())))  # order does not matter
    assert not current(input_etags={**etags, "canopy:x": '"c2"'})
    assert not current(input_etags={"bcell:4500:0": '"b1"'})
    assert not current(timezone="Europe/London")
    assert not current(parameters=dataclasses.replace(params, step_minutes=30))
    assert not current(summary={**summary, "model": summary["model"] + 1})


def test_the_stored_formats_of_the_buildings_and_canopy_kinds(simulator):
    """The entries the buildings and canopy kinds store, read from the simulator, as inputs."""
    # Portland, in the simulator's town: houses and gardens, and its canopy tiles' pixels
    # (~54 m on the ground at their test resolution), some with trees and some without.
    site = sun.site_snap(lat=45.5231, lng=-122.6765)
    inputs = sun.site_input_units(site=site)
    payloads = [buildings.fetch_cell(unit) for unit in inputs.buildings]
    canopy = window.read_window(inputs.canopy)
    result = sun.sun_compute(site=site, timezone="Etc/GMT+8", buildings=payloads, canopy=canopy)
    summary = result.summary
    quadkey = simdata.quadkey_for(site.lat, site.lng)
    minx, _, _, maxy = simdata.quadkey_bounds(quadkey)
    pixel = canopy_grid.TILE_METRES / simulator.canopy_size

    def trees_at(lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
        """The simulator's canopy height in the tile pixel holding each point (nearest neighbour)."""
        xs = np.radians(lngs) * canopy_grid.EARTH_RADIUS
        ys = np.log(np.tan(np.pi / 4 + np.radians(lats) / 2)) * canopy_grid.EARTH_RADIUS
        rows, cols = np.floor((maxy - ys) / pixel).astype(int), np.floor((xs - minx) / pixel).astype(int)
        assert rows.min() >= 0 and cols.min() >= 0 and max(rows.max(), cols.max()) < simulator.canopy_size
        return simdata.canopy_height(quadkey, rows, cols, simulator.canopy_size)

    # The tallest obstacle, found independently: the highest building touching the grid, or the
    # tallest canopy pixel under a cell of the grid (the square and the widest margin).
    params = sun.parameters_from_settings()
    grid = sun_site.site_grid(site=site, parameters=params)
    west, south, east, north = grid.bounds(with_margin=True)
    cell_lngs = west + (np.arange(grid.size) + 0.5) * (east - west) / grid.size
    cell_lats = north - (np.arange(grid.size) + 0.5) * (north - south) / grid.size
    tree = int(trees_at(*np.meshgrid(cell_lats, cell_lngs, indexing="ij")).max())
    tallest_building = max(
        way["height_m"]
        for payload in payloads
        for way in payload["ways"]
        if any(
            south <= payload["nodes"][str(node)][0] <= north
            and west <= payload["nodes"][str(node)][1] <= east
            for node in way["nodes"]
        )
    )
    # Something 17.5 m tall casts a 200 m shadow at 5°: the widest margin is kept.
    assert max(tallest_building, tree) > 17.5 and summary["surface"]["margin_m"] == params.margin_max_m
    assert summary["surface"]["tallest_m"] == max(tallest_building, tree)
    assert summary["surface"]["canopy_coverage"] == 1.0
    assert 0 < summary["surface"]["roof_share"] < 0.5
    with MemoryFile(result.tiff) as memfile, memfile.open() as dataset:
        hours = dataset.read() / 10
        assert dataset.shape == (100, 100) and dataset.count == 12
        transform = dataset.transform
    for band, month in enumerate(summary["months"]):
        assert hours[band].max() <= month["daylight_hours"]
    # Each cell of the square: under a crown (its canopy pixel has trees) or not, on a roof
    # (its centre inside a footprint: the simulator's buildings are rectangles in degrees) or not.
    cols, rows = np.meshgrid(np.arange(100) + 0.5, np.arange(100) + 0.5)
    lngs, lats = transform.c + cols * transform.a, transform.f + rows * transform.e
    under_crown = trees_at(lats, lngs) > 0
    roof = np.zeros((100, 100), dtype=bool)
    for payload in payloads:
        for way in payload["ways"]:
            ring = np.array([payload["nodes"][str(node)] for node in way["nodes"]])
            roof |= (
                (lats > ring[:, 0].min())
                & (lats < ring[:, 0].max())
                & (lngs > ring[:, 1].min())
                & (lngs < ring[:, 1].max())
            )
    assert (under_crown & ~roof).any() and (~under_crown & ~roof).any(), "the site needs both"
    # The ground under the crowns is shaded all year; open gardens get the summer sun.
    assert (hours[:, under_crown & ~roof] == 0).all()
    june = summary["months"][5]
    assert june["max"] > 0 and hours[5][~under_crown & ~roof].max() == june["max"]


def test_an_unknown_canopy_or_no_buildings_is_an_open_site():
    params = parameters(size_m=10.0, margin_max_m=20.0, site_grid_degrees=0.00005)
    site = sun.site_snap(lat=45.0, lng=0.0, parameters=params)
    result = sun.sun_compute(
        site=site, timezone=0, buildings=[{"ways": [], "nodes": {}}], canopy=None, parameters=params
    )
    for month in result.summary["months"]:
        assert month["min"] == month["max"] == month["daylight_hours"]
    assert result.summary["surface"] == {
        "tallest_m": 0.0,
        "margin_m": 0.0,
        "roof_share": 0.0,
        "canopy_coverage": 0.0,
    }
