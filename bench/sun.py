"""Benchmark of the sun-hours computation (backend_django/upstream/kinds/sun) on one core.

For a few sites, builds the inputs exactly as the cache would hold them from
the upstream simulator's data (backend_django/devtools/simulator/data.py):

- buildings: the simulator's Overpass answer for every 0.01° cell the site
  reads, turned into the stored cell payload by ``buildings.cell_payload``
  (the simulator's town: houses on residential lots, larger buildings of
  1-8 levels on some blocks);
- canopy: the site's canopy window GeoTIFF as ``canopy/window.py`` writes
  it, read from the simulator's town at the real tiles' resolution (65536
  pixels a tile, ~1.2 m: garden, street and park trees, 20-40 % of the
  ground);

plus a worst case (an open square, a 300 m tower in the margin: every ray
marches the whole margin at every step, nothing ends early); then times
``sun_compute`` at the settings' defaults (100 m x 100 m at 1 m,
12 days x 15 min, sun above 5°, margin up to 200 m) with numpy held to one
thread, the phases apart, and ``sun_point_read`` (a repeated read, and the
first read of a new raster).

First, unless ``--no-hits``: the served side, on the local stack of
bench/common.py (private Valkey, simulator, gunicorn, a worker): the time
from a miss of ``sun/summary/`` to the data (inputs fetched from the
simulator at zero latency, then computed), and requests/s under wrk of a hit
of ``sun/summary/``, of ``sun/point/`` (JSON made from the cached raster)
and of ``sun/`` (the GeoTIFF), against the floor view sending the summary's
stored bytes from process memory. Prints figures for docs/performance.md.

Last, terrain: the elevation tiles a site reads (the simulator's Terrarium
tiles: flat ground, and the ridge of devtools/simulator/terrain.py), the
ground and horizon built from them (``ground_build``; the horizon alone
too), and the whole site computed with that ground (goals: ≤ 1 s a site,
≤ 0.2 s the horizon, on one core).

Run: make bench-sun   (or .venv/bin/python bench/sun.py [--repeat 3] [--rounds 5] [--no-hits])
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# One core: numpy's and GDAL's thread pools held to one thread before they load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS"):
    os.environ[variable] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SITES = [
    ("Portland", 45.5231, -122.6765, "America/Los_Angeles"),
    ("Cape Town", -33.9249, 18.4241, "Africa/Johannesburg"),
    ("Oslo", 59.9139, 10.7522, "Europe/Oslo"),
]
REAL_TILE_PIXELS = 65536


def simulated_buildings(units: list[str]) -> list[dict]:
    """The stored payload of each buildings cell, from the simulator's Overpass world."""
    from backend_django.devtools.simulator import data as simdata
    from backend_django.upstream.kinds import buildings

    payloads = []
    for unit in units:
        south, west, north, east = buildings.cell_bbox(*buildings.parse_cell_unit(unit))
        body = {
            "osm3s": {"timestamp_osm_base": "bench"},
            "elements": simdata.buildings_in_bbox(south, west, north, east),
        }
        payloads.append(buildings.cell_payload(body))
    return payloads


def simulated_canopy(unit: str) -> bytes:
    """The canopy window GeoTIFF of ``unit`` (as window.py stores it) at the real tiles' resolution."""
    import numpy as np
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine

    from backend_django.devtools.simulator import world
    from backend_django.upstream.kinds.canopy import grid

    block = grid.parse_unit(unit)
    minx, miny, maxx, maxy = block.window_bounds()
    pixel = grid.TILE_METRES / REAL_TILE_PIXELS
    col0 = int(np.floor((minx + grid.WEB_MERCATOR_HALF) / pixel))
    col1 = int(np.ceil((maxx + grid.WEB_MERCATOR_HALF) / pixel))
    row0 = int(np.floor((grid.WEB_MERCATOR_HALF - maxy) / pixel))
    row1 = int(np.ceil((grid.WEB_MERCATOR_HALF - miny) / pixel))
    rows = np.arange(row0, row1)
    cols = np.arange(col0, col1)

    # Every tile's pixel samples the simulator's world at its centre (data.canopy_height).
    xs = -grid.WEB_MERCATOR_HALF + (cols + 0.5) * pixel
    ys = grid.WEB_MERCATOR_HALF - (rows + 0.5) * pixel
    heights = world.canopy_at(*np.broadcast_arrays(xs[None, :], ys[:, None]))
    transform = Affine(
        pixel, 0, -grid.WEB_MERCATOR_HALF + col0 * pixel, 0, -pixel, grid.WEB_MERCATOR_HALF - row0 * pixel
    )
    profile = {
        "driver": "GTiff",
        "width": len(cols),
        "height": len(rows),
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": transform,
        "nodata": 255,
        "compress": "deflate",
        "predictor": 2,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(heights, 1)
        return memfile.read()


def worst_case_buildings(lat: float, lng: float) -> list[dict]:
    """One 300 m tower 190 m south-west of an open square: every ray marches the whole margin."""
    from backend_django.upstream.kinds import sun

    per_lat, per_lng = sun.metres_per_degree(lat)
    x0, y0, x1, y1 = -200.0, -200.0, -180.0, -180.0
    corners = [(y0, x0), (y0, x1), (y1, x1), (y1, x0)]
    nodes = {str(k + 1): [lat + y / per_lat, lng + x / per_lng] for k, (y, x) in enumerate(corners)}
    way = {"id": 1, "nodes": [1, 2, 3, 4, 1], "tags": {"building": "yes"}, "height_m": 300.0}
    return [{"ways": [way], "nodes": nodes}]


def simulated_terrain(units: list[str]) -> dict:
    """Stored entries of these elevation tiles, from the simulator's Terrarium tiles."""
    from backend_django.devtools.simulator import basemap
    from backend_django.upstream.cache.store import Entry
    from backend_django.upstream.kinds import terrain

    return {
        unit: Entry(
            basemap.terrarium_png(*terrain.tile_of(unit)),
            "image/png",
            f'"{unit}"',
            0.0,
            1e12,
            1e12,
            "identity",
        )
        for unit in units
    }


def terrain_site(name: str, lat: float, lng: float, tz: str, repeat: int) -> tuple[float, float]:
    """One site's terrain row; (seconds of the site with terrain, seconds of the horizon)."""
    from backend_django.upstream.kinds import sun, terrain
    from backend_django.upstream.kinds.sun import ground as sun_ground
    from backend_django.upstream.kinds.sun import site as sun_site

    site = sun.site_snap(lat=lat, lng=lng)
    inputs = sun.site_input_units(site=site)
    entries = simulated_terrain(inputs.terrain.units)
    payloads = simulated_buildings(inputs.buildings)
    canopy = simulated_canopy(inputs.canopy)
    widest = sun_site.site_grid(site=site, parameters=sun.parameters_from_settings())

    def build_ground():
        return sun.ground_build(site=site, grid=widest, units=inputs.terrain, entries=entries)

    ground, t_ground = timed(build_ground, repeat)
    near = terrain.mosaic_of(inputs.terrain.near, entries)
    far = terrain.mosaic_of(inputs.terrain.far, entries)
    start_m = (widest.margin + widest.cells / 2) * widest.cell_m

    def horizon():
        return sun_ground.horizon(
            lat=site.lat, lng=site.lng, observer_m=ground.elevation_m, start_m=start_m, near=near, far=far
        )

    def compute(with_ground):
        return sun.sun_compute(site=site, timezone=tz, buildings=payloads, canopy=canopy, ground=with_ground)

    _, t_horizon = timed(horizon, repeat)
    result, t_with = timed(lambda: compute(ground), repeat)
    flat, t_without = timed(lambda: compute(None), repeat)
    site_s = statistics.median(t_with) + statistics.median(t_ground)
    horizon_s = statistics.median(t_horizon)
    december = result.summary["months"][11]["mean"], flat.summary["months"][11]["mean"]
    print(
        f"{name:<10} {len(entries):>5} {statistics.median(t_ground):>6.3f}s {horizon_s:>7.3f}s "
        f"{site_s:>12.3f}s {statistics.median(t_without):>7.3f}s  {december[0]:>5.2f} ({december[1]:.2f})"
    )
    return site_s, horizon_s


def terrain_figures(repeat: int) -> None:
    """Per site: tiles, ground and horizon built, the site computed with its ground."""
    from django.conf import settings

    from backend_django.devtools.simulator.terrain import RIDGE
    from backend_django.upstream.kinds.sun import ground as sun_ground

    print(
        f"terrain (the simulator's tiles; horizon every {sun_ground.HORIZON_STEP_DEGREES:g}° out to "
        f"{settings.TERRAIN_HORIZON_M / 1000:g} km), one core, median of {repeat}"
    )
    print(
        f"{'site':<10} {'tiles':>5} {'ground':>7} {'horizon':>8} {'with terrain':>13} {'without':>8}  "
        "Dec h (flat)"
    )
    rows = [
        terrain_site(SITES[0][0], SITES[0][1], SITES[0][2], SITES[0][3], repeat),
        terrain_site("ridge", *RIDGE.point, "America/Chicago", repeat),
    ]
    print(
        f"a site with terrain (ground + computation), slowest: {max(r[0] for r in rows):.3f} s (target ≤ 1 s)"
    )
    print(f"the horizon alone, slowest: {max(r[1] for r in rows):.3f} s (target ≤ 0.2 s)")


def timed(function, repeat: int):
    """(result of the last run, seconds of each run)."""
    seconds = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return result, seconds


def hits(rounds: int) -> None:
    """Miss to ready, and the hit paths of the sun endpoints against the floor view (wrk)."""
    import shutil

    import requests

    from bench.common import CONNECTIONS, DURATION, poll_job, stack, wrk

    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed for the hit paths (apt-get install -y wrk), or pass --no-hits")
    _, lat, lng, _ = SITES[0]
    with stack() as running:
        base = running.base
        session = requests.Session()
        query = f"lat={lat}&lng={lng}"
        summary_url = f"{base}/api/v1/sun/summary/?{query}"
        start = time.perf_counter()
        miss = session.get(summary_url)
        if miss.status_code != 202:
            raise SystemExit(f"bench: expected a miss, got {miss.status_code}")
        job = poll_job(base, miss, session)
        ready = time.perf_counter() - start
        if job["status"] != "succeeded":
            raise SystemExit(f"bench: the sun job failed: {job}")
        sample = session.get(summary_url, headers={"Accept-Encoding": "gzip"})
        assert sample.headers["X-Cache"] == "HIT", sample.headers
        unit = sample.json()["site"]["unit"]
        floor_url = f"{base}/api/v1/bench/floor/?unit=sun_summary:{unit.split(':', 1)[1]}"
        assert session.get(floor_url).content == sample.content
        point_url = f"{base}/api/v1/sun/point/?{query}"
        raster_url = f"{base}/api/v1/sun/?{query}"
        point = session.get(point_url)
        raster = session.get(raster_url)
        assert point.headers["X-Cache"] == raster.headers["X-Cache"] == "HIT"
        sizes = {
            "summary": int(sample.headers["Content-Length"]),
            "point": len(point.content),
            "raster": len(raster.content),
        }
        measured = (
            ("summary", summary_url),
            ("point", point_url),
            ("raster", raster_url),
            ("floor", floor_url),
        )
        results: dict[str, list[float]] = {name: [] for name, _ in measured}
        for _, url in measured:
            wrk(url)  # warm every worker process (and its decoded raster)
        for _ in range(rounds):
            for name, url in measured:
                results[name].append(wrk(url))
    rps = {name: statistics.median(values) for name, values in results.items()}

    def ratio(name: str) -> float:
        return statistics.median(h / f for h, f in zip(results[name], results["floor"], strict=True))

    print(
        f"sun served ({SITES[0][0]}): miss to ready {ready:.2f} s (inputs from the simulator at zero "
        f"latency, then computed); wrk {CONNECTIONS} connections x {DURATION}, median of {rounds}"
    )
    labels = {
        "summary": f"sun/summary/ hit ({sizes['summary']:,} B gzip)",
        "point": f"sun/point/ hit ({sizes['point']:,} B JSON)",
        "raster": f"sun/ hit ({sizes['raster']:,} B GeoTIFF)",
        "floor": "floor (summary bytes from memory)",
    }
    for name, _ in measured:
        extra = "" if name == "floor" else f"   x{ratio(name):.2f} of the floor"
        rounded = [round(v) for v in results[name]]
        print(f"  {labels[name]:<36} {rps[name]:>8.0f} req/s{extra}   rounds {rounded}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per site (the median is reported)")
    parser.add_argument("--rounds", type=int, default=5, help="wrk rounds of the hit paths (median)")
    parser.add_argument("--no-hits", action="store_true", help="only the computation, not the served side")
    args = parser.parse_args()
    if not args.no_hits:
        hits(args.rounds)  # before this process is pinned to one core: the stack inherits it

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "False")
    import django

    django.setup()
    import numpy as np

    from backend_django.upstream.kinds import sun
    from backend_django.upstream.kinds.sun import output
    from backend_django.upstream.kinds.sun import site as sun_site

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    start = time.perf_counter()
    import pvlib.solarposition  # noqa: F401  (what the first computation in a worker process pays once)

    import_seconds = time.perf_counter() - start
    parameters = sun.parameters_from_settings()
    print(
        f"sun: {parameters.size_m:g} m x {parameters.size_m:g} m at {parameters.cell_m:g} m "
        f"({parameters.cells**2} cells), {len(parameters.days)} days x {parameters.step_minutes} min, "
        f"sun above {parameters.min_altitude_degrees:g}°, margin up to {parameters.margin_max_m:g} m; "
        f"one core (pid {os.getpid()} pinned), median of {args.repeat}"
    )
    header = (
        f"{'site':<10} {'ways':>9} {'tallest':>7} {'margin':>6} {'steps':>5} {'surface':>8} {'sun':>6} "
        f"{'shade':>7} {'encode':>7} {'total':>7}  {'mean h Jun/Dec':>14} {'canopy':>6}"
    )
    print(header)
    totals = []
    result = None
    for name, lat, lng, tz in [*SITES, ("worst case", 45.5231, -122.6765, "America/Los_Angeles")]:
        site = sun.site_snap(lat=lat, lng=lng)
        inputs = sun.site_input_units(site=site)
        if name == "worst case":
            payloads, canopy = worst_case_buildings(site.lat, site.lng), None
        else:
            payloads = simulated_buildings(inputs.buildings)
            canopy = simulated_canopy(inputs.canopy)
        etags = {unit: f'"{index}"' for index, unit in enumerate(inputs.units)}

        # The phases on their own, then the whole computation as phase 2 calls it.
        widest = sun_site.site_grid(site=site, parameters=parameters)
        surface, t_surface = timed(
            lambda widest=widest, payloads=payloads, canopy=canopy: sun.surface_build(
                grid=widest, buildings=payloads, canopy=canopy
            ),
            args.repeat,
        )
        margin_m = sun.margin_choose(tallest_m=surface.tallest_m, parameters=parameters)
        surface = surface.cropped(
            sun_site.site_grid(site=site, parameters=parameters, margin_m=margin_m).margin
        )
        path, t_path = timed(
            lambda site=site, tz=tz: sun.sun_path_compute(
                lat=site.lat,
                lng=site.lng,
                timezone=tz,
                days=parameters.dates(),
                step_minutes=parameters.step_minutes,
                min_altitude_degrees=parameters.min_altitude_degrees,
            ),
            args.repeat,
        )
        counts, t_shade = timed(
            lambda surface=surface, path=path: sun.shade_lit_counts(surface=surface, path=path),
            args.repeat,
        )
        tenths = output.tenths_from_counts(counts, path.step_hours)
        _, t_encode = timed(
            lambda tenths=tenths, grid=surface.grid: output.raster_encode(tenths=tenths, grid=grid),
            args.repeat,
        )
        result, t_total = timed(
            lambda site=site, tz=tz, payloads=payloads, canopy=canopy, etags=etags: sun.sun_compute(
                site=site, timezone=tz, buildings=payloads, canopy=canopy, input_etags=etags
            ),
            args.repeat,
        )
        total = statistics.median(t_total)
        totals.append(total)
        encode = statistics.median(t_encode)
        months = result.summary["months"]
        ways = len({way["id"] for payload in payloads for way in payload["ways"]})
        print(
            f"{name:<10} {ways:>9} {surface.tallest_m:>6.0f}m {margin_m:>5.0f}m {len(path.altitude):>5} "
            f"{statistics.median(t_surface):>7.3f}s {statistics.median(t_path):>5.3f}s "
            f"{statistics.median(t_shade):>6.3f}s {encode:>6.3f}s {total:>6.3f}s  "
            f"{months[5]['mean']:>6.2f} / {months[11]['mean']:<5.2f} "
            f"{result.summary['surface']['canopy_coverage']:>6.0%}"
        )
    print(f"full site, slowest of the above: {max(totals):.3f} s (target ≤ 5 s on one core)")
    print(f"once per worker process, importing pvlib (pandas, scipy): {import_seconds:.2f} s")

    # The point reader: a repeated read of one raster (the web process keeps the
    # entry's bytes), and the first read of a raster not decoded yet.
    tiff = result.tiff
    lat, lng = result.summary["site"]["latitude"], result.summary["site"]["longitude"]
    rng = np.random.default_rng(1)
    west, south, east, north = result.summary["raster"]["bounds"]
    points = [(south + (north - south) * a, west + (east - west) * b) for a, b in rng.random((1000, 2))]
    sun.sun_point_read(tiff=tiff, lat=lat, lng=lng)
    start = time.perf_counter()
    for _ in range(10):
        for point_lat, point_lng in points:
            sun.sun_point_read(tiff=tiff, lat=point_lat, lng=point_lng)
    repeated = (time.perf_counter() - start) / (10 * len(points))
    firsts = []
    for _ in range(50):
        fresh = bytes(bytearray(tiff))  # equal bytes, a new object: decoded anew after eviction
        output._decoded._rasters.clear()
        start = time.perf_counter()
        sun.sun_point_read(tiff=fresh, lat=lat, lng=lng)
        firsts.append(time.perf_counter() - start)
    print(
        f"point reader: {repeated * 1e6:.1f} µs a read of a decoded raster; "
        f"{statistics.median(firsts) * 1e3:.2f} ms the first read of a raster ({len(tiff):,} bytes GeoTIFF)"
    )
    print()
    terrain_figures(args.repeat)


if __name__ == "__main__":
    main()
