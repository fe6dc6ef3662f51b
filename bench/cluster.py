"""``make bench-cluster``: hits and misses with the cache on one Valkey and on a
Valkey Cluster (3 primaries, 3 replicas, loopback), in the same run, one stack
after the other (bench/common.py's stack: gunicorn, a worker, the simulator
with no latency).

    hit    GET /api/v1/climate/ of a cached point under wrk (req/s, median of rounds),
           with tracked copies (the default on one node) and without (the cluster's way)
    miss   a new point: first request to data (s, median of MISSES points)

On the cluster the broker is the harness's Sentinel-watched primary
(backend_django/testing/cluster.py); on one node it is that node.
"""

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import requests

if not __package__:  # run as a script: python bench/cluster.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend_django.testing import cluster
from bench.common import CONNECTIONS, DURATION, stack, wrk
from bench.proxy import poll_until_ready

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MISSES = int(os.environ.get("BENCH_MISSES", "9"))


def measure(name: str, extra_env: dict[str, str]) -> dict[str, str]:
    with stack(variants={"untracked": {"UPSTREAM_TRACKED_COPIES": "False"}}, extra_env=extra_env) as running:
        session = requests.Session()
        poll_until_ready(running.base, 40.0, -100.0, session)  # the worker's first job
        misses = [poll_until_ready(running.base, 44.0 + 0.3 * i, -121.0, session) for i in range(MISSES)]
        lat, lng = 44.0, -121.0
        hits = {}
        for variant, base in (("hit", running.base), ("hit, untracked", running.variants["untracked"])):
            url = f"{base}/api/v1/climate/?lat={lat}&lng={lng}"
            assert session.get(url, headers={"Accept-Encoding": "gzip"}).headers["X-Cache"] == "HIT"
            wrk(url)  # warm every worker process
            hits[variant] = statistics.median(wrk(url) for _ in range(ROUNDS))
    return {
        "store": name,
        "hit": f"{hits['hit']:,.0f} req/s",
        "hit, untracked": f"{hits['hit, untracked']:,.0f} req/s",
        "miss": f"{statistics.median(misses) * 1000:.0f} ms (p50 of {MISSES})",
    }


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is needed (apt-get install -y wrk)")
    rows = [measure("one Valkey", {})]
    workdir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    harness = cluster.start(workdir)
    try:
        rows.append(
            measure(
                "Valkey Cluster 3+3",
                {
                    "VALKEY_URL": cluster.cluster_url(),
                    "CELERY_BROKER_URL": cluster.broker_url(),
                    "CELERY_BROKER_MASTER_NAME": cluster.MASTER_NAME,
                },
            )
        )
    finally:
        harness.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row[column] for column in columns) + " |")
    print(
        f"\nwrk -t 2 -c {CONNECTIONS} -d {DURATION}, "
        f"{ROUNDS} rounds; misses against the simulator with no latency; gunicorn "
        f"{os.environ.get('BENCH_GUNICORN_WORKERS', '2')} x {os.environ.get('BENCH_GUNICORN_THREADS', '4')}"
    )


if __name__ == "__main__":
    main()
