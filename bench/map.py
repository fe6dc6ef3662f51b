"""Benchmark of what the plan page's map asks: basemap tiles and shadow images.

On the local stack of bench/common.py (private Valkey, the upstream
simulator at zero latency, gunicorn, a worker), in one run:

- **tile hit through the stack**: a basemap tile (``/api/v1/tiles/z/x/y.png``)
  answered by the shipped shared cache (docker/cache/nginx.conf) in front of
  gunicorn, against **nginx serving the same bytes from a file** (the
  limit); requests/s under wrk, the median of per-round ratios (target ≥ 0.8);
  the Django hit (no front) beside them;
- **tile miss overhead**: for new tiles, the time of the miss (answered
  with the tile in the request) minus the simulator's own time for the same
  tile asked directly (target p50 ≤ 100 ms);
- **shadow from a cached surface**: ``sun/shadow/?at=`` for new instants on
  a site whose inputs are cached and whose surface model the web process
  holds (drawn in the request: sun position, the shade of 10,000 cells for
  one direction, the PNG, the entry written) (target p50 ≤ 50 ms).

``make bench-map`` then runs bench/beds_sun.py (``beds/sun/`` for 50 beds,
target p50 ≤ 20 ms). Prints figures for docs/performance.md.

Run: make bench-map   (or .venv/bin/python bench/map.py [--rounds 5])
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    CONNECTIONS,
    DURATION,
    PORT,
    find_nginx,
    nginx_static,
    poll_job,
    shipped_front,
    stack,
    wrk,
)

LAT, LNG = 45.5231, -122.6765
ZOOM = 17
MISSES = 20
SHADOWS = 40


def tile_of(lat: float, lng: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding (lat, lng) at zoom z (the Web Mercator tiling's formula)."""
    import math

    n = 2**z
    x = int((lng + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def tile_misses(base: str, sim_url: str, session: requests.Session) -> tuple[list[float], list[float]]:
    """(miss seconds, the simulator's own seconds) for MISSES new tiles in a row west of the site."""
    x0, y0 = tile_of(LAT, LNG, ZOOM)
    totals, upstream = [], []
    for i in range(MISSES):
        x, y = x0 - 10 - i, y0 + 10
        started = time.perf_counter()
        miss = session.get(f"{base}/api/v1/tiles/{ZOOM}/{x}/{y}.png")
        totals.append(time.perf_counter() - started)
        if miss.status_code != 200 or miss.headers.get("X-Cache") != "MISS":
            raise SystemExit(f"bench: a new tile answered {miss.status_code} {miss.headers.get('X-Cache')}")
        started = time.perf_counter()
        direct = session.get(f"{sim_url}/basemap/{ZOOM}/{x}/{y}.png")
        upstream.append(time.perf_counter() - started)
        if direct.content != miss.content:
            raise SystemExit("bench: the tile served differs from the simulator's")
    return totals, upstream


def shadows(base: str, session: requests.Session) -> list[float]:
    """Seconds of each of SHADOWS new instants' shadow, drawn in the request from a cached surface."""
    url = f"{base}/api/v1/sun/shadow/"
    first = datetime(2026, 6, 21, 16, 0, tzinfo=UTC)
    answer = session.get(url, params={"lat": LAT, "lng": LNG, "at": first.isoformat()})
    if answer.status_code == 202:  # the inputs are fetched by a job, then drawn
        job = poll_job(base, answer, session)
        if job["status"] != "succeeded":
            raise SystemExit(f"bench: the shadow's job failed: {job}")
    # Each gunicorn process builds the surface once: warm them all on instants not measured.
    for minutes in range(0, 16 * 15, 15):
        at = (first + timedelta(days=200, minutes=minutes)).isoformat()
        assert session.get(url, params={"lat": LAT, "lng": LNG, "at": at}).status_code == 200
    seconds = []
    for i in range(SHADOWS):
        at = (first + timedelta(days=1 + i // 8, minutes=15 * (i % 8))).isoformat()
        started = time.perf_counter()
        response = session.get(url, params={"lat": LAT, "lng": LNG, "at": at})
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200 or response.headers.get("X-Cache") != "MISS":
            raise SystemExit(f"bench: a new instant answered {response.status_code} {response.headers}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="wrk rounds of the hits (median)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    nginx, nginx_found = find_nginx()
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp, stack() as running:
        base, session = running.base, requests.Session()
        misses, upstream = tile_misses(base, running.simulator_url, session)
        overheads = [t - u for t, u in zip(misses, upstream, strict=True)]

        x, y = tile_of(LAT, LNG, ZOOM)
        tile_url = f"{base}/api/v1/tiles/{ZOOM}/{x}/{y}.png"
        sample = session.get(tile_url)
        again = session.get(tile_url)
        assert sample.status_code == again.status_code == 200 and again.headers["X-Cache"] == "HIT"
        work = Path(tmp)
        limit = nginx_static(
            nginx, work / "static", PORT + 20, again.content, again.headers["Content-Type"], gzipped=False
        )
        front = shipped_front(nginx, work / "front", PORT + 21, f"127.0.0.1:{PORT}")
        with limit as static_url, front as front_base:
            stack_url = tile_url.replace(base, front_base)
            for _ in range(2):
                through = session.get(stack_url)
            assert through.headers["X-Front-Cache"] == "HIT" and through.content == again.content
            measured = (("django", tile_url), ("stack", stack_url), ("static", static_url))
            results: dict[str, list[float]] = {name: [] for name, _ in measured}
            for _, url in measured:
                wrk(url)  # warm every process
            for _ in range(args.rounds):
                for name, url in measured:
                    results[name].append(wrk(url))

        shadow_seconds = shadows(base, session)

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(results[top], results[bottom], strict=True))

    rps = {name: statistics.median(values) for name, values in results.items()}
    stack_ratio = ratio("stack", "static")
    overhead_p50 = statistics.median(overheads)
    shadow_p50 = statistics.median(shadow_seconds)

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    def row(label: str, name: str) -> str:
        return f"  {label:<28}{rps[name]:>8.0f} req/s   rounds {[round(v) for v in results[name]]}"

    print(
        f"basemap tile z{ZOOM} ({len(again.content):,} B PNG); wrk {CONNECTIONS} connections x {DURATION}, "
        f"median of {args.rounds} ({nginx_found})"
    )
    print(row("nginx static (same bytes)", "static"))
    print(row("tile hit through the stack", "stack"))
    print(row("tile hit from Django", "django"))
    print(f"  stack / nginx static        {stack_ratio:>8.2f}   (target >= 0.8: {met(stack_ratio >= 0.8)})")
    print(f"tile miss ({MISSES} new tiles, answered with the tile; the simulator at zero latency)")
    print(
        f"  miss p50 {ms(statistics.median(misses))}, simulator alone p50 {ms(statistics.median(upstream))}"
    )
    print(
        f"  own overhead p50 {ms(overhead_p50)}, p95 {ms(percentile(overheads, 0.95))}   "
        f"(target p50 <= 100 ms: {met(overhead_p50 <= 0.1)})"
    )
    print(f"shadow image for a new instant, the surface cached ({SHADOWS} instants)")
    print(
        f"  p50 {ms(shadow_p50)}, p95 {ms(percentile(shadow_seconds, 0.95))}   "
        f"(target p50 <= 50 ms: {met(shadow_p50 <= 0.05)})"
    )


if __name__ == "__main__":
    main()
