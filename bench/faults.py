"""The fault matrix on a dev-like stack: what a person sees while an upstream fails.

Starts the bench stack (private Valkey, the upstream simulator, gunicorn, a
Celery worker) with production's budgets, breaker and waits (bench/
faults_settings.py; read timeouts shortened to BENCH_FAULTS_READ_TIMEOUT so
that hangs do not take minutes), then for each fault, on the four upstreams at
once (each has its own breaker):

1. the simulator fails the upstream that way; a place is asked for (a 202);
2. its job is polled as the app polls it (the server's Retry-After) while the
   fault lasts BENCH_FAULTS_HOLD seconds;
3. the fault clears; the job must resume by itself and succeed;
4. another place is asked for and must succeed at once.

Prints one row per upstream and fault: when the job first showed
``last_error`` and ``waiting_for`` (seconds after the request), polls made,
seconds from the fault clearing to success, the other place's time, the
upstream requests sent, and the Open-Meteo weighted calls charged (for the
failed calls vs. the successful ones).

    make bench-faults        # or: .venv/bin/python bench/faults.py
"""

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import stack

HOLD = float(os.environ.get("BENCH_FAULTS_HOLD", "45"))
READ_TIMEOUT = os.environ.get("BENCH_FAULTS_READ_TIMEOUT", "10")
FAULTS = os.environ.get("BENCH_FAULTS", "500,429,hang,unusable").split(",")

TARGETS = {
    "open_meteo": ("/api/v1/climate/", {"lat": 45.52, "lng": -122.68}, {"lat": 40.0, "lng": -3.7}),
    "overpass": (
        "/api/v1/buildings/",
        {"bbox": "47.3701,8.5401,47.3709,8.5409"},
        {"bbox": "52.5201,13.4001,52.5209,13.4009"},
    ),
    "canopy": ("/api/v1/canopy/", {"lat": 45.5231, "lng": -122.6765}, {"lat": 47.61, "lng": -122.33}),
    "geocoder": ("/api/v1/places/", {"q": "Lisbon"}, {"q": "Berlin"}),
}
UNUSABLE = {"open_meteo": "html", "overpass": "html", "canopy": "garbage", "geocoder": "html"}


@dataclass
class Row:
    upstream: str
    fault: str
    first_error_at: float | None = None
    first_error: str = ""
    waiting_at: float | None = None
    waiting_for: str = ""
    retry_after_max: int = 0
    polls: int = 0
    recovered_after: float | None = None
    final: str = ""
    other_seconds: float | None = None
    requests_sent: int = 0
    notes: list[str] = field(default_factory=list)


def follow(base: str, row: Row, path: str, params: dict, cleared: threading.Event, clear_at: list) -> None:
    session = requests.Session()
    started = time.monotonic()
    response = session.get(base + path, params=params)
    if response.status_code != 202:
        row.final = f"HTTP {response.status_code}"
        return
    location = base + response.headers["Location"]
    wait = int(response.headers.get("Retry-After", "1"))
    while True:
        time.sleep(min(wait, 2.0) if not cleared.is_set() else min(wait, 1.0))
        try:
            poll = session.get(location)
        except requests.ConnectionError:  # gunicorn closed the idle keep-alive connection
            poll = session.get(location)
        row.polls += 1
        job = poll.json()
        now = time.monotonic() - started
        if job.get("last_error") and row.first_error_at is None:
            row.first_error_at, row.first_error = now, job["last_error"]["message"]
        if job.get("waiting_for") and row.waiting_at is None:
            row.waiting_at, row.waiting_for = now, job["waiting_for"]
        wait = int(poll.headers.get("Retry-After", "0") or 0) or 1
        row.retry_after_max = max(row.retry_after_max, wait)
        if job["status"] in ("succeeded", "failed"):
            row.final = job["status"] if job["status"] == "succeeded" else f"failed: {job['error']['code']}"
            if cleared.is_set():
                row.recovered_after = time.monotonic() - clear_at[0]
            return
        if now > HOLD + 600:
            row.final = "still waiting after 10 min"
            return


def other_place(base: str, path: str, params: dict) -> float:
    session = requests.Session()
    started = time.monotonic()
    response = session.get(base + path, params=params)
    location = base + response.headers.get("Location", "")
    while response.status_code == 202:
        time.sleep(0.1)
        try:
            job = session.get(location).json()
        except requests.ConnectionError:
            continue
        if job["status"] in ("succeeded", "failed"):
            break
    return time.monotonic() - started


def warm_up(base: str) -> None:
    """One fetch per upstream first, so that the worker's start-up is not in the figures."""
    places = {
        "open_meteo": {"lat": 10.0, "lng": 10.0},
        "overpass": {"bbox": "48.8501,2.3501,48.8509,2.3509"},
        "canopy": {"lat": 44.0, "lng": -121.0},
        "geocoder": {"q": "Paris"},
    }
    for upstream, (path, _, _) in TARGETS.items():
        other_place(base, path, places[upstream])


def weighted_used(client: redis.Redis) -> float:
    now = int(client.time()[0])
    return float(client.get(f"ss:lim:open_meteo:all:86400:{now // 86400}") or 0)


def run_fault(base: str, simulator, valkey: redis.Redis, fault: str) -> tuple[list[Row], float, float]:
    simulator.reset()
    for key in valkey.scan_iter(match="ss:*"):
        valkey.delete(key)  # a fresh cache and fresh breakers for each fault
    used_before = weighted_used(valkey)
    rows, threads = [], []
    cleared, clear_at = threading.Event(), [0.0]
    for upstream, (path, params, _) in TARGETS.items():
        mode = UNUSABLE[upstream] if fault == "unusable" else fault
        simulator.fail(upstream, mode, retry_after=60 if fault == "429" else None)
        row = Row(upstream, mode + (" (Retry-After 60)" if fault == "429" else ""))
        rows.append(row)
        thread = threading.Thread(target=follow, args=(base, row, path, params, cleared, clear_at))
        thread.start()
        threads.append(thread)
    time.sleep(HOLD)
    stats = simulator.stats()
    sent = {name: stats[name]["requests"] for name in TARGETS}
    # Requests that arrived, less those answered with data (a hung one is logged only when it ends).
    answered = sum(1 for entry in stats["open_meteo"]["requests_log"] if "weighted_calls" in entry)
    failed_open_meteo = stats["open_meteo"]["requests"] - answered
    charged_failing = weighted_used(valkey) - used_before
    clear_at[0] = time.monotonic()
    simulator.reset()
    cleared.set()
    for thread in threads:
        thread.join()
    for row in rows:
        row.requests_sent = sent[row.upstream]
        path, _, other = TARGETS[row.upstream]
        row.other_seconds = other_place(base, path, other)
    return rows, charged_failing, failed_open_meteo


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main() -> None:
    # bench/faults_settings.py gives every upstream this read timeout.
    extra = {"BENCH_FAULTS_READ_TIMEOUT": READ_TIMEOUT}
    with stack(
        canopy_size=1024, settings_module="bench.faults_settings", extra_env=extra, worker_concurrency=4
    ) as s:
        valkey = redis.Redis.from_url(s.valkey_url)
        warm_up(s.base)
        print(
            f"fault matrix: fault held {HOLD:.0f} s, then cleared; read timeouts {READ_TIMEOUT} s; "
            "breaker, budgets and waits as production's defaults"
        )
        header = (
            f"{'upstream':<11} {'fault':<22} {'last_error at':>13} {'waiting_for (at)':>22} "
            f"{'max Retry-After':>15} {'polls':>5} {'recovered after':>15} {'other place':>11} "
            f"{'requests':>8}  result"
        )
        budget_lines = []
        print(header)
        print("-" * len(header))
        for fault in FAULTS:
            rows, charged, failed_calls = run_fault(s.base, s.simulator, valkey, fault)
            for row in rows:
                waiting = f"{row.waiting_for} ({seconds(row.waiting_at)})" if row.waiting_for else "-"
                print(
                    f"{row.upstream:<11} {row.fault:<22} {seconds(row.first_error_at):>13} {waiting:>22} "
                    f"{row.retry_after_max:>15} {row.polls:>5} {seconds(row.recovered_after):>15} "
                    f"{seconds(row.other_seconds):>11} {row.requests_sent:>8}  {row.final}"
                )
            budget_lines.append(
                f"  {fault:<9} Open-Meteo: {failed_calls} failed calls while down, charged "
                f"{charged:.2f} weighted calls (a full fetch weighs ~161)"
            )
            sys.stdout.flush()
        print("budget while failing:")
        print("\n".join(budget_lines))
        example = next((row.first_error for row in rows if row.first_error), "")
        if example:
            print(f"a message people saw: {example!r} ({len(example)} characters)")


if __name__ == "__main__":
    main()
