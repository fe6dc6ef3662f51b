"""Benchmark of the data proxy under the production WSGI server.

Starts a private Valkey, the upstream simulator (zero latency), gunicorn with
the API and a Celery worker, then prints, measured in this one run:

- requests/s of a climate cache hit (GET /api/v1/climate/, gzip accepted),
  answered from the web process's tracked copy (the default);
- the same hit from a second gunicorn with UPSTREAM_TRACKED_COPIES=False,
  where every hit makes its one Lua round trip to Valkey;
- requests/s of a view sending the same bytes from process memory (floor);
- requests/s of a naive view (Django cache get of the decoded dict + DRF Response);
- their ratios (targets: hit >= 0.8 x floor, hit >= 5 x naive);
- miss-to-ready time: from the 202 to the data, for new points, and the
  overhead above the upstream's own time (target: p50 <= 150 ms).

Load comes from wrk (apt-get install wrk). Run: make bench
"""

import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import requests

if not __package__:  # run as a script: python bench/proxy.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import CONNECTIONS, DURATION, poll_job, stack, wrk

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
MISSES = int(os.environ.get("BENCH_MISSES", "15"))


def poll_until_ready(base: str, lat: float, lng: float, session: requests.Session) -> float:
    """Seconds from the first request to the data for a new point."""
    started = time.perf_counter()
    response = session.get(f"{base}/api/v1/climate/", params={"lat": lat, "lng": lng})
    if response.status_code != 202:
        raise SystemExit(f"bench: expected a miss for {lat},{lng}, got {response.status_code}")
    job = poll_job(base, response, session)
    if job["status"] != "succeeded":
        raise SystemExit(f"bench: job failed: {job}")
    data = session.get(base + job["result_url"])
    assert data.status_code == 200
    return time.perf_counter() - started


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    with stack(variants={"untracked": {"UPSTREAM_TRACKED_COPIES": "False"}}) as running:
        base = running.base
        sim_url = running.simulator_url
        session = requests.Session()
        # Warm-up: the worker's first job, and one entry to serve.
        poll_until_ready(base, 40.0, -100.0, session)
        lat, lng = 45.5, -122.7
        first = poll_until_ready(base, lat, lng, session)
        unit = "climate:45.5:-122.7"
        hit_url = f"{base}/api/v1/climate/?lat={lat}&lng={lng}"
        floor_url = f"{base}/api/v1/bench/floor/?unit={unit}"
        naive_url = f"{base}/api/v1/bench/naive/?unit={unit}"
        sample = session.get(hit_url, headers={"Accept-Encoding": "gzip"})
        assert sample.headers["X-Cache"] == "HIT"
        assert session.get(floor_url).content == sample.content
        assert session.get(naive_url).json() == sample.json()
        body_bytes = int(sample.headers["Content-Length"])

        untracked_url = hit_url.replace(base, running.variants["untracked"])
        untracked = session.get(untracked_url, headers={"Accept-Encoding": "gzip"})
        assert untracked.content == sample.content and untracked.headers["X-Cache"] == "HIT"

        measured = (
            ("hit", hit_url),
            ("floor", floor_url),
            ("naive", naive_url),
            ("untracked", untracked_url),
        )
        results: dict[str, list[float]] = {name: [] for name, _ in measured}
        for _, url in measured:
            wrk(url)  # warm every worker process
        for _ in range(ROUNDS):
            for name, url in measured:
                results[name].append(wrk(url))
        rps = {name: statistics.median(values) for name, values in results.items()}
        # Each round measures the three back to back; the median of the
        # per-round ratios is steadier than the ratio of medians on a noisy box.
        ratio_floor = statistics.median(h / f for h, f in zip(results["hit"], results["floor"], strict=True))
        ratio_naive = statistics.median(h / n for h, n in zip(results["hit"], results["naive"], strict=True))
        ratio_untracked = statistics.median(
            u / f for u, f in zip(results["untracked"], results["floor"], strict=True)
        )

        # Miss to ready, and the upstream's own share of it.
        totals, upstream = [], []
        for i in range(MISSES):
            point = (10.0 + i * 0.7, 20.0 + i * 0.3)
            totals.append(poll_until_ready(base, *point, session))
            before = time.perf_counter()
            direct = session.get(
                f"{sim_url}/v1/archive",
                params={
                    "latitude": point[0], "longitude": point[1], "start_date": "1996-01-01",
                    "end_date": time.strftime("%Y-%m-%d"), "daily": "temperature_2m_max,temperature_2m_min",
                    "timezone": "auto",
                },
            )  # fmt: skip
            direct.raise_for_status()
            upstream.append(time.perf_counter() - before)
        overheads = sorted(t - u for t, u in zip(totals, upstream, strict=True))

        def ms(value: float) -> str:
            return f"{value * 1000:.0f} ms"

        report = {
            "hit_rps": round(rps["hit"]),
            "floor_rps": round(rps["floor"]),
            "naive_rps": round(rps["naive"]),
            "untracked_hit_rps": round(rps["untracked"]),
            "hit_vs_floor": round(ratio_floor, 2),
            "hit_vs_floor_of_medians": round(rps["hit"] / rps["floor"], 2),
            "untracked_hit_vs_floor": round(ratio_untracked, 2),
            "hit_vs_naive": round(ratio_naive, 1),
            "miss_to_ready_p50_ms": round(statistics.median(totals) * 1000),
            "miss_overhead_p50_ms": round(statistics.median(overheads) * 1000),
            "miss_overhead_p95_ms": round(overheads[int(0.95 * (len(overheads) - 1))] * 1000),
            "upstream_p50_ms": round(statistics.median(upstream) * 1000),
        }
        print()
        print(
            f"climate body: {body_bytes} bytes gzip; "
            f"wrk {CONNECTIONS} connections x {DURATION}, median of {ROUNDS}"
        )
        print(f"  cache hit        {rps['hit']:>9.0f} req/s   rounds {[round(v) for v in results['hit']]}")
        print(
            f"  floor (memory)   {rps['floor']:>9.0f} req/s   rounds {[round(v) for v in results['floor']]}"
        )
        print(
            f"  naive (cache+DRF){rps['naive']:>9.0f} req/s   rounds {[round(v) for v in results['naive']]}"
        )
        print(
            f"  hit, untracked   {rps['untracked']:>9.0f} req/s   "
            f"rounds {[round(v) for v in results['untracked']]}"
            "   (UPSTREAM_TRACKED_COPIES=False: one Valkey round trip per hit)"
        )
        print(
            f"  hit / floor      {report['hit_vs_floor']:>9}   (median of per-round ratios; target >= 0.8;"
            f" ratio of the medians {report['hit_vs_floor_of_medians']})"
        )
        print(f"  untracked / floor{report['untracked_hit_vs_floor']:>9}   (median of per-round ratios)")
        print(f"  hit / naive      {report['hit_vs_naive']:>9}   (median of per-round ratios; target >= 5)")
        print(f"miss to ready ({MISSES} new points, simulator at zero latency; first ever: {ms(first)})")
        print(
            f"  total p50 {ms(statistics.median(totals))}, "
            f"upstream alone p50 {ms(statistics.median(upstream))}"
        )
        print(
            f"  overhead p50 {report['miss_overhead_p50_ms']} ms, p95 {report['miss_overhead_p95_ms']} ms"
            "   (target p50 <= 150 ms)"
        )
        print("json:", json.dumps(report))


if __name__ == "__main__":
    main()
