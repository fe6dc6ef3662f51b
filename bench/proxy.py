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
  overhead above the upstream's own time (target: p50 <= 150 ms);
- nginx serving the same bytes from a file (the limit: the web server in
  front), and the shipped front (docker/cache/nginx.conf in front of the
  same gunicorn) serving repeated hits; hit / limit for Django alone and for
  the stack (target: stack >= 0.5 x nginx static);
- a buildings hit (the plan page's box, and a 0.015 x 0.02 degree box):
  "before", assembled from its cells per request (a bench-only view), and
  the endpoint as shipped; buildings hit / climate hit (target >= 0.8).

Load comes from wrk (apt-get install wrk); nginx from scripts/nginx (found,
or Debian's nginx-light installed). Run: make bench
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

if not __package__:  # run as a script: python bench/proxy.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
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

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
MISSES = int(os.environ.get("BENCH_MISSES", "15"))


# The plan page's box (frontend_svelte/src/lib/data/urls.ts: 0.0015 degrees
# each side of the point) and a larger 0.015 x 0.02 degree one.
PLAN_BOX = "45.5185,-122.6815,45.5215,-122.6785"
LARGE_BOX = "45.51,-122.69,45.525,-122.67"


def poll_until_ready(base: str, lat: float, lng: float, session: requests.Session) -> float:
    """Seconds from the first request to the data for a new point."""
    return poll_url(base, "/api/v1/climate/", {"lat": lat, "lng": lng}, session)


def poll_url(base: str, path: str, params: dict, session: requests.Session) -> float:
    """Seconds from the first request (a miss) to the data."""
    started = time.perf_counter()
    response = session.get(f"{base}{path}", params=params)
    if response.status_code != 202:
        raise SystemExit(f"bench: expected a miss for {path} {params}, got {response.status_code}")
    job = poll_job(base, response, session)
    if job["status"] != "succeeded":
        raise SystemExit(f"bench: job failed: {job}")
    data = session.get(base + job["result_url"])
    assert data.status_code == 200
    return time.perf_counter() - started


def raw_body(url: str, session: requests.Session) -> tuple[bytes, str]:
    """The body of a GET accepting gzip as it was sent, and its Content-Encoding."""
    response = session.get(url, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert response.status_code == 200
    return response.raw.read(decode_content=False), response.headers.get("Content-Encoding", "identity")


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    nginx, nginx_found = find_nginx()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        run(nginx, nginx_found, Path(tmp))


def run(nginx: str, nginx_found: str, work: Path) -> None:
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

        # Buildings: both boxes filled, then served by the shipped endpoint
        # and by the bench view that assembles them per request.
        box_urls = {}
        for name, box in (("plan_box", PLAN_BOX), ("large_box", LARGE_BOX)):
            if session.get(f"{base}/api/v1/buildings/", params={"bbox": box}).status_code == 202:
                poll_url(base, "/api/v1/buildings/", {"bbox": box}, session)  # the job joined
            shipped = f"{base}/api/v1/buildings/?bbox={box}"
            assembled = f"{base}/api/v1/bench/buildings-assembled/?bbox={box}"
            one = session.get(shipped, headers={"Accept-Encoding": "gzip"})
            two = session.get(assembled, headers={"Accept-Encoding": "gzip"})
            assert one.status_code == two.status_code == 200 and one.json() == two.json()
            again = session.get(shipped, headers={"Accept-Encoding": "gzip"})
            assert again.headers["X-Cache"] == "HIT" and again.headers["Content-Encoding"] == "gzip"
            sent, encoding = raw_body(shipped, session)
            box_urls[name] = (shipped, assembled, f"{len(sent)} bytes {encoding}", len(one.content))

        gzip_body, encoding = raw_body(hit_url, session)  # as sent (requests decodes .content)
        assert encoding == "gzip" and len(gzip_body) == body_bytes
        limit = nginx_static(nginx, work / "static", PORT + 20, gzip_body, sample.headers["Content-Type"])
        front = shipped_front(nginx, work / "front", PORT + 21, f"127.0.0.1:{PORT}")
        with limit as static_url, front as front_base:
            stack_url = hit_url.replace(base, front_base)
            for _ in range(2):
                through = session.get(stack_url, headers={"Accept-Encoding": "gzip"})
            assert through.headers["X-Front-Cache"] == "HIT" and through.content == sample.content
            assert session.get(static_url, headers={"Accept-Encoding": "gzip"}).content == sample.content
            stack_box = box_urls["large_box"][0].replace(base, front_base)
            for _ in range(2):
                through = session.get(stack_box, headers={"Accept-Encoding": "gzip"})
            assert through.headers["X-Front-Cache"] == "HIT"

            measured = (
                ("hit", hit_url),
                ("floor", floor_url),
                ("naive", naive_url),
                ("untracked", untracked_url),
                ("static", static_url),
                ("stack", stack_url),
                ("plan_box", box_urls["plan_box"][0]),
                ("plan_box_before", box_urls["plan_box"][1]),
                ("large_box", box_urls["large_box"][0]),
                ("large_box_before", box_urls["large_box"][1]),
                ("large_box_stack", stack_box),
            )
            results: dict[str, list[float]] = {name: [] for name, _ in measured}
            for _, url in measured:
                wrk(url)  # warm every worker process
            for _ in range(ROUNDS):
                for name, url in measured:
                    results[name].append(wrk(url))
                    if name.endswith("_before"):
                        # Requests still being assembled when wrk stops would slow the next one.
                        time.sleep(2)
        rps = {name: statistics.median(values) for name, values in results.items()}

        def per_round(top: str, bottom: str) -> float:
            return statistics.median(a / b for a, b in zip(results[top], results[bottom], strict=True))

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
            "nginx_static_rps": round(rps["static"]),
            "stack_hit_rps": round(rps["stack"]),
            "hit_vs_static": round(per_round("hit", "static"), 3),
            "stack_vs_static": round(per_round("stack", "static"), 2),
            **{f"{name}_rps": round(rps[name]) for name in results if "box" in name},
            "plan_box_vs_hit": round(per_round("plan_box", "hit"), 2),
            "plan_box_before_vs_hit": round(per_round("plan_box_before", "hit"), 2),
            "large_box_vs_hit": round(per_round("large_box", "hit"), 2),
            "large_box_before_vs_hit": round(per_round("large_box_before", "hit"), 2),
            "large_box_stack_vs_stack": round(per_round("large_box_stack", "stack"), 2),
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
        print(f"the limit and the stack ({nginx_found}; same wrk settings)")
        print(f"  nginx static     {rps['static']:>9.0f} req/s   "
              f"rounds {[round(v) for v in results['static']]}")  # fmt: skip
        print(f"  stack hit        {rps['stack']:>9.0f} req/s   rounds {[round(v) for v in results['stack']]}"
              "   (docker/cache/nginx.conf in front of the same gunicorn)")  # fmt: skip
        print(f"  Django hit / nginx static {report['hit_vs_static']:>7}")
        print(f"  stack hit / nginx static  {report['stack_vs_static']:>7}   (target >= 0.5)")
        for name, label in (("plan_box", "plan page box 0.003 x 0.003"), ("large_box", "box 0.015 x 0.02")):
            _, _, sent, raw_bytes = box_urls[name]
            print(f"buildings, {label} ({raw_bytes} bytes JSON, sent as {sent})")
            print(f"  before (assembled per request) {rps[name + '_before']:>7.0f} req/s, "
                  f"/ climate hit {report[name + '_before_vs_hit']}")  # fmt: skip
            print(f"  shipped endpoint               {rps[name]:>7.0f} req/s, "
                  f"/ climate hit {report[name + '_vs_hit']}   (target >= 0.8)")  # fmt: skip
        print(f"  large box through the stack    {rps['large_box_stack']:>7.0f} req/s, "
              f"/ climate through the stack {report['large_box_stack_vs_stack']}")  # fmt: skip
        print("json:", json.dumps(report))


if __name__ == "__main__":
    main()
