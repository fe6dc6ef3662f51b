"""How much of what a place needs is cached: the plans' data status and facts.

A plan page shows, for its point, every kind that declares
``units_for_place`` (kinds/): its climate, the buildings around it, the
canopy window around it and its sun and shade (derived from those two).
This module answers "fresh, stale, missing or being fetched" for many
places with one Valkey command (cache/lua/data_status.lua), together with
the facts a list of plans shows of each place (``Kind.facts``: the last
spring frost, ...). Other apps (plans) read a place's data through here.
"""

import gzip
import json
import time
from collections.abc import Sequence
from typing import Literal

from . import kinds
from .cache import store
from .jobs import records
from .kinds import units_for

DataState = Literal["fresh", "stale", "missing", "fetching"]
Location = tuple[float, float]


def data_status_many(locations: Sequence[Location]) -> list[dict[str, dict]]:
    """Per place and kind: ``{"state": ..., "job_id": ...}``, in one Valkey command.

    A kind is missing when any of its units is, stale when any is stale, and
    "fetching" (with the job filling it) when a job is filling a unit that is
    not fresh.
    """
    return place_overview_many(locations, facts=False)[0]


def place_overview_many(
    locations: Sequence[Location], *, facts: bool = True
) -> tuple[list[dict[str, dict]], list[dict]]:
    """Per place its data status (see ``data_status_many``) and its facts (each
    kind's ``Kind.facts`` of its cached body, or of None while that is not
    cached), in one Valkey command (cache/lua/data_status.lua)."""
    per_location = [units_for(lat, lng) for lat, lng in locations]
    unique = sorted({unit for by_kind in per_location for units in by_kind.values() for unit in units})
    fact_kinds = kinds.fact_kinds() if facts else ()
    wanted = [[kind.place_facts_unit(lat, lng) for kind in fact_kinds] for lat, lng in locations]
    bodies_wanted = sorted({unit for units in wanted for unit in units if unit is not None})
    if not unique and not bodies_wanted:
        return [{} for _ in locations], [{} for _ in locations]
    status_keys = [key for unit in unique for key in (store.entry_key(unit), records.pending_key(unit))]
    flat = store.states_and_bodies(status_keys, [store.entry_key(unit) for unit in bodies_wanted])
    now = time.time()
    unit_state: dict[str, tuple[str, str | None]] = {}
    state: DataState
    for index, unit in enumerate(unique):
        fresh_until, stale_until, pending = flat[3 * index : 3 * index + 3]
        if fresh_until and now < float(fresh_until):
            state = "fresh"
        elif stale_until and now < float(stale_until):
            state = "stale"
        else:
            state = "missing"
        unit_state[unit] = (state, pending.decode() if pending else None)

    statuses = []
    for by_kind in per_location:
        status = {}
        for name, units in by_kind.items():
            states = [unit_state[unit][0] for unit in units]
            job_ids = [unit_state[unit][1] for unit in units if unit_state[unit][0] != "fresh"]
            job_id = next((job_id for job_id in job_ids if job_id), None)
            if job_id:
                state = "fetching"
            elif "missing" in states:
                state = "missing"
            elif "stale" in states:
                state = "stale"
            else:
                state = "fresh"
            status[name] = {"state": state, "job_id": job_id}
        statuses.append(status)

    offset = 3 * len(unique)
    bodies: dict[str | None, dict | None] = {None: None}
    for index, unit in enumerate(bodies_wanted):
        body, encoding, stale_until = flat[offset + 3 * index : offset + 3 * index + 3]
        usable = body and stale_until and now < float(stale_until)
        bodies[unit] = (
            json.loads(body if encoding == b"identity" else gzip.decompress(body)) if usable else None
        )
    place_facts = [
        {
            name: value
            for kind, unit in zip(fact_kinds, units, strict=True)
            for name, value in kind.place_facts(bodies[unit]).items()
        }
        for units in wanted
    ]
    return statuses, place_facts
