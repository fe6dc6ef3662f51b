"""How many distinct data URLs the plan pages of one neighbourhood ask for, before and after
canonical URLs (decision 0021): what the shared cache in front can answer across people.

N plans at random points in a square of SIDE degrees (default 200 plans in
0.01° x 0.01°, about 1.1 x 0.8 km at 45°N). "Before": the URLs the plan page
built from the plan's own point (frontend_svelte/src/lib/data/urls.ts: six
decimals). "After": the plans API's ``data_urls`` (upstream/kinds/ (each kind's urls_for_place)).
Each distinct URL is one miss in the shared cache; every other request is a
hit there. No server needed. Run: .venv/bin/python bench/canonical_urls.py
"""

import os
import random
import sys
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "False")

import django

django.setup()

from django.conf import settings  # noqa: E402

from backend_django.upstream import canonical  # noqa: E402

PLANS = int(os.environ.get("BENCH_PLANS", "200"))
SIDE = float(os.environ.get("BENCH_SIDE_DEGREES", "0.01"))
CENTRE = (45.5231, -122.6765)


def coord(value: float) -> str:
    """The frontend's coord(): six decimals, as JavaScript's String() prints them."""
    rounded = round(value * 1e6) / 1e6
    return repr(rounded).removesuffix(".0") if rounded != int(rounded) else str(int(rounded))


def before(lat: float, lng: float) -> dict[str, str]:
    d = settings.PLAN_BUILDINGS_RADIUS_DEGREES
    bbox = ",".join(coord(v) for v in (lat - d, lng - d, lat + d, lng + d))
    return {
        "climate_summary": f"/api/v1/climate/summary/?lat={coord(lat)}&lng={coord(lng)}",
        "buildings": f"/api/v1/buildings/?bbox={bbox}",
        "canopy": f"/api/v1/canopy/?lat={coord(lat)}&lng={coord(lng)}",
    }


def main() -> None:
    rng = random.Random(19)
    points = [
        (CENTRE[0] + rng.uniform(-SIDE / 2, SIDE / 2), CENTRE[1] + rng.uniform(-SIDE / 2, SIDE / 2))
        for _ in range(PLANS)
    ]
    print(f"{PLANS} plans at random points in {SIDE} x {SIDE} degrees around {CENTRE}")
    print(f"  {'data':16} {'distinct URLs before':>21} {'after':>6}   shared-cache hit rate before, after")
    for kind in ("climate_summary", "buildings", "canopy"):
        old = {before(*point)[kind] for point in points}
        new = {canonical.data_urls(*point)[kind] for point in points}
        rates = f"{1 - len(old) / PLANS:.1%}, {1 - len(new) / PLANS:.1%}"
        print(f"  {kind:16} {len(old):>21} {len(new):>6}   {rates}")


if __name__ == "__main__":
    main()
