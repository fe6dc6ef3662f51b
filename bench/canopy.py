"""Benchmark of the canopy endpoints under the production WSGI server.

Starts the same local stack as bench/proxy.py (private Valkey, the upstream
simulator with its default 4096 x 4096 tiles, gunicorn and a Celery worker),
then prints, measured in this one run:

- for a few windows (one across a tile corner): upstream requests and bytes
  the worker used, against the tile's size, and the stored GeoTIFF's size;
- how that scales to the real 65536 x 65536 tiles (rows needed x bytes per row);
- requests/s of a window cache hit (GET /api/v1/canopy/?lat=&lng=);
- requests/s of a 64 KiB range from cached blocks through the Range proxy.

Load comes from wrk (apt-get install wrk). Run: make bench-canopy
"""

import json
import math
import os
import shutil
import statistics
import sys
from pathlib import Path

import requests

if not __package__:  # run as a script: python bench/canopy.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import CONNECTIONS, DURATION, poll_job, stack, wrk

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TILE_SIZE = int(os.environ.get("BENCH_CANOPY_SIZE", "4096"))
REAL_TILE_PIXELS = 65536
REAL_TILE_BYTES = 300 * 1024 * 1024  # "hundreds of MB" (docs/upstream-proxy.md); order of magnitude

POINTS = [
    ("Portland", 45.5231, -122.6765),
    ("Cape Town", -33.9249, 18.4241),
    ("Quito", -0.1807, -78.4678),
    ("Oslo", 59.9139, 10.7522),
]


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from backend_django.devtools.simulator import data as simdata
    from backend_django.upstream.kinds.canopy import grid

    with stack(canopy_size=TILE_SIZE) as running:
        base, sim = running.base, running.simulator
        session = requests.Session()
        # A point in the top-left block of Portland's tile: its window crosses the corner.
        minx, _, _, maxy = simdata.quadkey_bounds(simdata.quadkey_for(45.5231, -122.6765))
        corner = grid.to_lnglat(minx + 5, maxy - 5)
        rows = []
        for name, lat, lng in [*POINTS, ("tile corner", *corner)]:
            before = sim.stats()["canopy"]
            response = session.get(f"{base}/api/v1/canopy/", params={"lat": lat, "lng": lng})
            if response.status_code != 202:
                raise SystemExit(f"bench: expected a miss for {name}, got {response.status_code}")
            job = poll_job(base, response, session)
            if job["status"] != "succeeded":
                raise SystemExit(f"bench: job failed: {job}")
            after = sim.stats()["canopy"]
            tiff = session.get(base + job["result_url"])
            assert tiff.headers["X-Cache"] == "HIT"
            block = grid.block_for(lat, lng)
            tile_bytes = sim.tiles.get(block.quadkey).size
            x0, y0, x1, y1 = block.window_bounds()
            pixel = grid.TILE_METRES / TILE_SIZE
            rows.append(
                {
                    "name": name,
                    "window_px": [math.ceil((x1 - x0) / pixel), math.ceil((y1 - y0) / pixel)],
                    "tiles": len(grid.tiles_touching(block.window_bounds())),
                    "tile_columns": len(
                        {grid.tile_of_quadkey(q)[0] for q in grid.tiles_touching(block.window_bounds())}
                    ),
                    "upstream_requests": after["requests"] - before["requests"],
                    "upstream_bytes": after["bytes_sent"] - before["bytes_sent"],
                    "tile_bytes": tile_bytes,
                    "geotiff_bytes": len(tiff.content),
                    "real_rows": math.ceil((y1 - y0) / (grid.TILE_METRES / REAL_TILE_PIXELS)),
                    "hit_url": base + job["result_url"],
                }
            )

        hit_url = rows[0]["hit_url"]
        range_url = f"{base}/api/v1/canopy/{grid.block_for(*POINTS[0][1:]).quadkey}/"
        first = session.get(range_url, headers={"Range": "bytes=0-65535"})
        assert first.status_code == 206
        wrk(hit_url)  # warm every worker process
        wrk(range_url, "Range: bytes=0-65535")
        hits = [wrk(hit_url) for _ in range(ROUNDS)]
        ranges = [wrk(range_url, "Range: bytes=0-65535") for _ in range(ROUNDS)]

    print()
    print(f"windows (simulator tiles {TILE_SIZE} x {TILE_SIZE} px, uint8 strips of one row)")
    print(f"  {'point':<12} {'window px':>10} {'tiles':>5} {'requests':>8} {'upstream':>10} {'tile':>11} "
          f"{'share':>6} {'GeoTIFF':>8} {'real rows':>9} {'real est.':>9}")  # fmt: skip
    for row in rows:
        share = row["upstream_bytes"] / row["tile_bytes"]
        # Rows are whole strips: a window reads each of its rows once per tile column it spans.
        real = row["real_rows"] * REAL_TILE_BYTES / REAL_TILE_PIXELS * row["tile_columns"]
        row["share"] = round(share, 4)
        row["real_estimate_bytes"] = round(real)
        print(
            f"  {row['name']:<12} {'x'.join(map(str, row['window_px'])):>10} {row['tiles']:>5} "
            f"{row['upstream_requests']:>8} {row['upstream_bytes']:>10,} {row['tile_bytes']:>11,} "
            f"{share:>6.1%} {row['geotiff_bytes']:>8,} {row['real_rows']:>9} {real / 1e6:>7.1f}MB"
        )
    print(f"hits (wrk {CONNECTIONS} connections x {DURATION}, median of {ROUNDS})")
    print(f"  window hit        {statistics.median(hits):>9.0f} req/s   rounds {[round(v) for v in hits]}")
    print(
        f"  64 KiB range hit  {statistics.median(ranges):>9.0f} req/s   rounds {[round(v) for v in ranges]}"
    )
    report = {
        "windows": [{k: v for k, v in row.items() if k != "hit_url"} for row in rows],
        "window_hit_rps": round(statistics.median(hits)),
        "range_hit_rps": round(statistics.median(ranges)),
    }
    print("json:", json.dumps(report))


if __name__ == "__main__":
    main()
