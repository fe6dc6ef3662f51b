"""What a place needs from the upstreams, and how much of it is cached.

A plan page shows, for its point: the climate (one climate unit), the
buildings in a box of PLAN_BUILDINGS_RADIUS_DEGREES around it (the grid cells
of that box) and the canopy window around it. This module names those units
and answers "fresh, stale, missing or being fetched" for many places with one
Valkey pipeline.
"""

import time
from collections.abc import Callable, Sequence
from typing import Literal

from django.conf import settings

from backend_django.core.valkey import get_valkey

from . import buildings, canopy, climate, jobs, store

DataState = Literal["fresh", "stale", "missing", "fetching"]
Location = tuple[float, float]

# kind -> function giving the units a place needs of that kind.
KINDS: dict[str, Callable[[float, float], list[str]]] = {}


def register_kind(kind: str, units_for: Callable[[float, float], list[str]]) -> None:
    KINDS[kind] = units_for


def plan_bbox(lat: float, lng: float) -> tuple[float, float, float, float]:
    radius = settings.PLAN_BUILDINGS_RADIUS_DEGREES
    return (
        max(-90.0, lat - radius),
        max(-180.0, lng - radius),
        min(90.0, lat + radius),
        min(180.0, lng + radius),
    )


def _building_units(lat: float, lng: float) -> list[str]:
    return [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(*plan_bbox(lat, lng))]


register_kind("climate", lambda lat, lng: [climate.unit_for(lat, lng)])
register_kind("buildings", _building_units)
register_kind("canopy", lambda lat, lng: [canopy.unit_for(lat, lng)])


def units_for(lat: float, lng: float) -> dict[str, list[str]]:
    return {kind: units_for_kind(lat, lng) for kind, units_for_kind in KINDS.items()}


def all_units(lat: float, lng: float) -> list[str]:
    return [unit for units in units_for(lat, lng).values() for unit in units]


# Freshness and pending job of many units in one command (a pipeline of two
# commands per unit costs more to parse than the rest of a plans page).
_STATUS_SCRIPT = """
local out = {}
for i = 1, #KEYS, 2 do
    local times = redis.call('HMGET', KEYS[i], 'fu', 'su')
    out[#out + 1] = times[1] or ''
    out[#out + 1] = times[2] or ''
    out[#out + 1] = redis.call('GET', KEYS[i + 1]) or ''
end
return out
"""


def _status_script():
    # Registering only hashes the script; bound to the current client so a
    # changed VALKEY_URL (tests) is honoured.
    return get_valkey().register_script(_STATUS_SCRIPT)


def data_status_many(locations: Sequence[Location]) -> list[dict[str, dict]]:
    """Per place and kind: ``{"state": ..., "job_id": ...}``, in one Valkey command.

    A kind is missing when any of its units is, stale when any is stale, and
    "fetching" (with the job filling it) when a job is filling a unit that is
    not fresh.
    """
    per_location = [units_for(lat, lng) for lat, lng in locations]
    unique = sorted({unit for kinds in per_location for units in kinds.values() for unit in units})
    if not unique:
        return [{} for _ in locations]
    flat = _status_script()(
        keys=[key for unit in unique for key in (store.entry_key(unit), jobs.pending_key(unit))]
    )
    now = time.time()
    unit_state: dict[str, tuple[str, str | None]] = {}
    for index, unit in enumerate(unique):
        fresh_until, stale_until, pending = flat[3 * index : 3 * index + 3]
        if fresh_until and now < float(fresh_until):
            state = "fresh"
        elif stale_until and now < float(stale_until):
            state = "stale"
        else:
            state = "missing"
        unit_state[unit] = (state, pending.decode() if pending else None)

    answer = []
    for kinds in per_location:
        statuses = {}
        for kind, units in kinds.items():
            states = [unit_state[unit][0] for unit in units]
            job_ids = [unit_state[unit][1] for unit in units if unit_state[unit][0] != "fresh"]
            job_id = next((job_id for job_id in job_ids if job_id), None)
            if job_id:
                state: DataState = "fetching"
            elif "missing" in states:
                state = "missing"
            elif "stale" in states:
                state = "stale"
            else:
                state = "fresh"
            statuses[kind] = {"state": state, "job_id": job_id}
        answer.append(statuses)
    return answer
