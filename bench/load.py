"""``make bench-load``: simulated gardeners against two web nodes, bounded, on loopback.

The stack of ``make test-cluster`` (backend_django/testing/cluster.py): the
cache on a Valkey Cluster of 3 + 3, the broker behind Sentinel, two gunicorn
processes behind the shipped nginx, a worker, the simulator as every
upstream; PostgreSQL (DATABASE_URL, default the database ``bench_load`` on
127.0.0.1, dropped and created afresh).

For BENCH_LOAD_SECONDS (300) each of BENCH_LOAD_GARDENERS (8) threads signs
in, then over and over: creates a plan with a bed at one of 20 places, opens
its page (the plan, then its data URLs, polling their jobs), renames it,
redraws its bed, and every third plan deletes it and undoes the deletion.
A third of the way in the climate upstream fails (500) for a minute; half
way in a cache primary is killed. Then it stops by itself and prints the
requests per second held, p50/p95 per endpoint, the 5xx (inside the
failover window and outside it) and the audit: every acknowledged plan
write is in PostgreSQL exactly as last acknowledged.
"""

import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests

if not __package__:  # run as a script: python bench/load.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from backend_django.testing import cluster

ROOT = Path(__file__).resolve().parents[1]

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "300"))
GARDENERS = int(os.environ.get("BENCH_LOAD_GARDENERS", "8"))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load")
PASSWORD = "Bench-Load-Password-2026"  # noqa: S105 - throwaway accounts of the run
# 20 places on the 0.0005 degree sun grid, so a plan's point is its sun site.
PLACES = [(round(45.0 + 0.05 * (i // 5), 4), round(-122.9 + 0.05 * (i % 5), 4)) for i in range(20)]
ID = re.compile(r"/(\d+|[A-Za-z0-9_-]{16,})/")


def bed(lat: float, lng: float, size: float) -> dict:
    ring = [
        [lng - size, lat - size],
        [lng + size, lat - size],
        [lng + size, lat + size],
        [lng - size, lat + size],
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "bed-1",
                "properties": {"name": "Bed", "plants": []},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        ],
    }


@dataclass
class Record:
    at: float
    endpoint: str
    seconds: float
    status: int


@dataclass
class Run:
    base: str
    deadline: float
    records: list[Record] = field(default_factory=list)
    # plan id -> what the last acknowledged write left: its name and beds, or None (deleted)
    acked: dict[str, dict | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, session: requests.Session, method: str, path: str, **kwargs) -> requests.Response | None:
        endpoint = f"{method} {ID.sub('/{id}/', urlsplit(path).path)}"
        started = time.monotonic()
        try:
            response = session.request(method, self.base + path, timeout=15, **kwargs)
        except requests.RequestException:
            response = None
        with self.lock:
            self.records.append(
                Record(
                    started,
                    endpoint,
                    time.monotonic() - started,
                    0 if response is None else response.status_code,
                )
            )
        return response

    def ack(self, plan_id: str, state: dict | None) -> None:
        with self.lock:
            self.acked[plan_id] = state


def gardener(run: Run, email: str, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    while time.monotonic() < run.deadline:
        signed_in = run.call(
            session, "POST", "/api/v1/auth/login/", json={"email": email, "password": PASSWORD}
        )
        if signed_in is not None and signed_in.status_code == 200:
            session.headers["Authorization"] = f"Token {signed_in.json()['key']}"
            break
        time.sleep(0.5)
    made = 0
    while time.monotonic() < run.deadline:
        lat, lng = rng.choice(PLACES)
        body = {
            "name": f"{email} plan {made}",
            "latitude": lat,
            "longitude": lng,
            "beds": bed(lat, lng, 0.0001),
        }
        created = run.call(session, "POST", "/api/v1/plans/", json=body)
        if created is None or created.status_code != 201:
            time.sleep(0.2)
            continue
        made += 1
        plan = created.json()
        plan_id = str(plan["id"])
        run.ack(plan_id, {"name": body["name"], "beds": plan["beds"]})
        # The plan's page: the plan, its data (polling the jobs of misses), its list.
        page = run.call(session, "GET", f"/api/v1/plans/{plan_id}/")
        urls = page.json().get("data_urls", {}) if page is not None and page.status_code == 200 else {}
        for url in list(urls.values())[:4]:
            if not isinstance(url, str) or time.monotonic() > run.deadline:
                continue
            answer = run.call(session, "GET", url)
            polls = 0
            while (
                answer is not None
                and answer.status_code == 202
                and polls < 20
                and time.monotonic() < run.deadline
            ):
                time.sleep(min(2.0, float(answer.headers.get("Retry-After", "1"))))
                job = run.call(session, "GET", answer.headers["Location"])
                if job is None or job.status_code != 200 or job.json()["status"] in ("succeeded", "failed"):
                    break
                polls += 1
        # Edits: a new name, a bed redrawn.
        name = f"{body['name']} (renamed)"
        renamed = run.call(session, "PATCH", f"/api/v1/plans/{plan_id}/", json={"name": name})
        if renamed is not None and renamed.status_code == 200:
            run.ack(plan_id, {"name": name, "beds": renamed.json()["beds"]})
        redrawn = run.call(
            session, "PATCH", f"/api/v1/plans/{plan_id}/", json={"beds": bed(lat, lng, 0.00015)}
        )
        if redrawn is not None and redrawn.status_code == 200:
            run.ack(plan_id, {"name": redrawn.json()["name"], "beds": redrawn.json()["beds"]})
        if made % 3 == 0:
            deleted = run.call(session, "DELETE", f"/api/v1/plans/{plan_id}/")
            if deleted is not None and deleted.status_code == 204:
                before = run.acked[plan_id]
                run.ack(plan_id, None)
                restored = run.call(session, "POST", f"/api/v1/plans/{plan_id}/restore/")
                if restored is not None and restored.status_code == 201:
                    run.ack(plan_id, before)
        run.call(session, "GET", "/api/v1/plans/")


def fresh_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = DATABASE_URL.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def audit(acked: dict[str, dict | None]) -> list[str]:
    """Each acknowledged plan as PostgreSQL has it: what differs."""
    problems = []
    with psycopg.connect(DATABASE_URL.replace("postgres://", "postgresql://")) as connection:
        rows = {
            str(plan_id): (name, beds)
            for plan_id, name, beds in connection.execute("SELECT id, name, beds FROM plans_plan").fetchall()
        }
    for plan_id, state in acked.items():
        row = rows.get(plan_id)
        if state is None:
            if row is not None:
                problems.append(f"plan {plan_id}: deleted, but still there")
        elif row is None:
            problems.append(f"plan {plan_id}: acknowledged, missing")
        elif row[0] != state["name"] or json.loads(json.dumps(row[1])) != state["beds"]:
            problems.append(f"plan {plan_id}: {row[0]!r} differs from the acknowledged {state['name']!r}")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    harness = cluster.start(workdir)
    try:
        with cluster.web_stack(harness, database_url=DATABASE_URL) as web:
            emails = [f"gardener{n}@example.com" for n in range(GARDENERS)]
            cluster.manage_shell(
                web.env,
                "from backend_django.users.models import User\n"
                + "".join(f"User.objects.create_user(email={e!r}, password={PASSWORD!r})\n" for e in emails)
                + "print('ok')",
            )
            started = time.monotonic()
            run = Run(base=web.base, deadline=started + SECONDS)
            threads = [
                threading.Thread(target=gardener, args=(run, email, n), daemon=True)
                for n, email in enumerate(emails)
            ]
            for thread in threads:
                thread.start()
            events: dict[str, tuple[float, float]] = {}
            time.sleep(SECONDS / 3)
            web.simulator.fail("open_meteo", "500")  # type: ignore[attr-defined]
            failing_from = time.monotonic()
            time.sleep(min(60.0, SECONDS / 5))
            web.simulator.fail("open_meteo", "500", times=0)  # type: ignore[attr-defined]
            events["climate upstream failing"] = (failing_from, time.monotonic())
            time.sleep(max(0.0, started + SECONDS / 2 - time.monotonic()))
            killed_at = time.monotonic()
            took = cluster._kill_cache_primary(harness)
            events["cache primary killed"] = (killed_at, killed_at + took)
            for thread in threads:
                thread.join(timeout=SECONDS + 60)
            elapsed = time.monotonic() - started
    finally:
        harness.stop()
        errors = workdir / "front" / "error.log"
        if errors.exists():
            shutil.copy(errors, ROOT / "var" / "bench-load-nginx-error.log")
        shutil.rmtree(workdir, ignore_errors=True)
    report(run, elapsed, events)


def report(run: Run, elapsed: float, events: dict[str, tuple[float, float]]) -> None:
    by_endpoint: dict[str, list[Record]] = defaultdict(list)
    for record in run.records:
        by_endpoint[record.endpoint].append(record)
    print(
        f"\n{GARDENERS} gardeners for {elapsed:.0f} s: "
        f"{len(run.records) / elapsed:.1f} requests per second held\n"
    )
    print("| endpoint | requests | p50 | p95 | 5xx | other 4xx |")
    print("|---|---|---|---|---|---|")
    for endpoint, records in sorted(by_endpoint.items(), key=lambda item: -len(item[1])):
        seconds = [record.seconds for record in records]
        fives = sum(1 for record in records if record.status >= 500 or record.status == 0)
        fours = sum(1 for record in records if 400 <= record.status < 500)
        print(
            f"| {endpoint} | {len(records)} | {statistics.median(seconds) * 1000:.0f} ms "
            f"| {percentile(seconds, 0.95) * 1000:.0f} ms | {fives} | {fours} |"
        )
    failover = events.get("cache primary killed", (0.0, 0.0))
    failing = [record for record in run.records if record.status >= 500 or record.status == 0]
    inside = [r for r in failing if failover[0] - 1 <= r.at <= failover[1] + 1]
    for what, (start, end) in events.items():
        print(f"\n{what}: {end - start:.2f} s")
    print(
        f"5xx: {len(failing)} in all, {len(inside)} within the failover, "
        f"{len(failing) - len(inside)} outside it"
    )
    first = min((record.at for record in run.records), default=0.0)
    for record in sorted(failing, key=lambda r: r.at):
        where = "within the failover" if record in inside else "outside the failover"
        answer = "no answer" if record.status == 0 else str(record.status)
        print(
            f"  at {record.at - first:6.1f} s: {record.endpoint} -> {answer} "
            f"after {record.seconds:.2f} s ({where})"
        )
    problems = audit(run.acked)
    print(f"audit: {len(run.acked)} plans written, {len(problems)} not as last acknowledged")
    for problem in problems[:20]:
        print(f"  {problem}")
    if problems or len(failing) - len(inside):
        sys.exit(1)


if __name__ == "__main__":
    main()
