"""The ``Kind`` declaration: what one sort of cached data is, declared once.

A *kind* is one sort of data the cache holds and a worker can fill: climate
points, buildings grid cells, canopy windows, place searches. Its module
declares it as ``KIND = Kind(...)``: the unit names it owns, its upstream
(upstreams.py), freshness, how its entries are stored, how to fetch them,
which units a place needs, their canonical URLs and how it shows in the
admin. Jobs, the store, data status, warming, the admin overview and the
API read these declarations; nothing else knows a kind by its name.

A *derived* kind (``inputs`` set, ``upstream`` None) is computed from other
kinds' entries instead of fetched from an upstream: ``jobs.tasks.fill_unit``
fills its inputs first (each through its own lock and budget), then calls
its fetch, which reads them from the store (``read_inputs``) and stores its
entries with ``derived_entry``: fresh as long as every input is, and
registered as a dependent of each input, so that an input rewritten with a
new ETag marks it stale (cache/store.py, decision 0019).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from backend_django.core.valkey import get_valkey

from ..cache import store
from ..cache.store import Entry, NewEntry

# fetch(unit, existing entry or None, pool) -> the entries to store. It asks
# its upstream through ``guards.request`` (breaker, budget, share) and raises
# UpstreamError, UpstreamDown or BudgetWait; jobs.tasks.fill_unit holds the
# unit's lock and retries (jobs/retry.py). A derived kind's fetch reads its
# inputs from the store (``read_inputs``) and raises InputsMissing when one
# has gone meanwhile.
Fetch = Callable[[str, Entry | None, str], list[NewEntry]]


class InputsMissing(Exception):
    """A derived unit's input is not in the store (evicted since it was filled)."""

    def __init__(self, unit: str, missing: list[str]):
        super().__init__(f"{unit}: inputs not cached: {', '.join(missing[:5])}")
        self.unit = unit
        self.missing = missing


def _no_companions(unit: str) -> list[str]:
    return []


@dataclass(frozen=True)
class Kind:
    name: str  # as shown in plans' data status and the admin
    unit_prefix: str  # its units are "<prefix><rest>", e.g. "climate:45.5:-122.7"
    # The upstream it is fetched from (a name in upstreams.py); None for a
    # derived kind (computed from its inputs: no upstream health or budget of its own).
    upstream: str | None
    label: str  # its row in the admin's cache overview
    fresh_setting: str  # setting name: seconds an entry stays fresh...
    stale_setting: str  # ...and is then served stale while it is refreshed
    content_type: str
    fetch: Fetch = field(repr=False)
    # Stored gzip-compressed once (False for bodies compressed already).
    compress: bool = True
    # Other units a fetch writes beside the unit (the climate summary); a unit
    # counts as fresh only when these are fresh too.
    companions: Callable[[str], list[str]] = field(default=_no_companions, repr=False)
    # The units a place (a plan's point) needs of this kind; None for kinds
    # that are not about a place.
    units_for_place: Callable[[float, float], list[str]] | None = field(default=None, repr=False)
    # The canonical URL of each answer a plan page shows of this kind for a
    # place, by name ({"climate": "/api/v1/climate/?lat=45.5&lng=-122.7", ...}):
    # the plans API's ``data_urls`` (decision 0021); ``urls`` names them, with
    # what each is (the API's documentation of ``data_urls``).
    urls_for_place: Callable[[float, float], dict[str, str]] | None = field(default=None, repr=False)
    urls: dict[str, str] = field(default_factory=dict)
    # What a list of plans shows of a place from this kind, at a glance: the
    # unit whose stored body holds it, and the facts read from that body
    # (called with None while it is not cached). The plans API returns each
    # place kind's facts merged under ``facts``. The unit may be None for a
    # place the kind has nothing for (the sun beyond 85°).
    facts_unit_for_place: Callable[[float, float], str | None] | None = field(default=None, repr=False)
    facts: Callable[[dict | None], dict] | None = field(default=None, repr=False)
    # Names of the endpoints answering from this kind (their request counters,
    # ``ss:stats:<name>``, and the kind of their jobs).
    endpoints: tuple[str, ...] = ()
    # Prefixes of other entries of this kind's upstream, counted with it in the admin.
    also_stored: tuple[str, ...] = ()
    # Setting name of a per-client daily limit on misses of this kind (each
    # costs much of the deployment's upstream budget), or None.
    daily_miss_limit: str | None = None
    # A derived kind: the units of other kinds a unit of it is computed from
    # (filled before its fetch runs; their freshness bounds its own).
    inputs: Callable[[str], list[str]] | None = field(default=None, repr=False)

    @property
    def derived(self) -> bool:
        return self.inputs is not None

    def fresh_seconds(self) -> int:
        return getattr(settings, self.fresh_setting)

    def stale_seconds(self) -> int:
        return getattr(settings, self.stale_setting)

    def entry(self, unit: str, raw: bytes) -> NewEntry:
        """``raw`` stored as an entry of this kind (its content type and freshness)."""
        return NewEntry(
            unit, raw, self.content_type, self.fresh_seconds(), self.stale_seconds(), compress=self.compress
        )

    def derived_entry(
        self,
        unit: str,
        raw: bytes,
        inputs: dict[str, Entry],
        *,
        content_type: str | None = None,
        compress: bool | None = None,
    ) -> NewEntry:
        """``raw`` stored as an entry derived from ``inputs`` (their entries as read):
        fresh and kept exactly as long as all of them (the earliest fresh-until and
        stale-until), and marked stale when one of them is rewritten with a new ETag.
        ``content_type``/``compress`` default to the kind's (for a companion in
        another format)."""
        now = time.time()
        fresh_until = min((entry.fresh_until for entry in inputs.values()), default=now)
        stale_until = min((entry.stale_until for entry in inputs.values()), default=now)
        fresh = max(0.0, fresh_until - now)
        return NewEntry(
            unit,
            raw,
            content_type or self.content_type,
            fresh,
            max(0.0, stale_until - now - fresh),
            compress=self.compress if compress is None else compress,
            inputs=tuple(sorted(inputs)),
        )

    def place_units(self, lat: float, lng: float) -> list[str]:
        """``units_for_place``; none for a kind that is not about a place."""
        return self.units_for_place(lat, lng) if self.units_for_place is not None else []

    def place_facts_unit(self, lat: float, lng: float) -> str | None:
        """``facts_unit_for_place``; None for a kind without facts."""
        return self.facts_unit_for_place(lat, lng) if self.facts_unit_for_place is not None else None

    def place_facts(self, body: dict | None) -> dict:
        """``facts`` of a stored body (None while not cached); none for a kind without facts."""
        return self.facts(body) if self.facts is not None else {}

    def written_units(self, unit: str) -> list[str]:
        return [unit, *self.companions(unit)]

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every unit prefix under which this kind's data is stored."""
        return (self.unit_prefix, *self.also_stored)


def read_inputs(unit: str, units: list[str]) -> dict[str, Entry]:
    """The stored entries of a derived ``unit``'s inputs (one round trip); raises
    InputsMissing when any is missing or past its stale window."""
    pipe = get_valkey().pipeline(transaction=False)
    for input_unit in units:
        pipe.hgetall(store.entry_key(input_unit))
    now = time.time()
    found: dict[str, Entry] = {}
    missing = []
    for input_unit, fields in zip(units, pipe.execute(), strict=True):
        entry = store.parse_entry(fields)
        if entry is None or entry.state(now) == "missing":
            missing.append(input_unit)
        else:
            found[input_unit] = entry
    if missing:
        raise InputsMissing(unit, missing)
    return found
