"""Derived kinds: a kind computed from other kinds' entries follows their ETags.

A probe kind, declared here, is computed from two buildings cells (fetched
from the upstream simulator through the buildings kind, its locks and its
budget): its fetch records the ETags of the inputs it read and recomputes
only when they differ, as the sun kind does with ``sun_result_current``.
Real Valkey (marking is a Lua script), real fetches against the simulator;
``tasks.fill_unit`` runs in this process.
"""

import json
import time

import pytest

from backend_django.core.valkey import get_valkey
from backend_django.upstream import kinds
from backend_django.upstream.cache import store
from backend_django.upstream.jobs import tasks
from backend_django.upstream.jobs.retry import Attempt
from backend_django.upstream.kinds import Kind, buildings

LAT, LNG = 45.5231, -122.6765
CELLS = [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(LAT, LNG, LAT + 0.001, LNG + 0.01)]
PROBE = "probe:portland"
PROBE_SUMMARY = "probe_summary:portland"

computed: list[str] = []


def probe_fetch(unit: str, existing, pool: str) -> list[store.NewEntry]:
    inputs = kinds.read_inputs(unit, PROBE_KIND.inputs(unit))
    etags = {name: entry.etag for name, entry in inputs.items()}
    if existing is not None and json.loads(existing.raw())["inputs"] == etags:
        raw = existing.raw()  # nothing new: the same bytes, freshness renewed
    else:
        computed.append(unit)
        ways = sum(len(entry.json()["ways"]) for entry in inputs.values())
        raw = json.dumps({"ways": ways, "inputs": etags, "n": len(computed)}).encode()
    return [
        PROBE_KIND.derived_entry(unit, raw, inputs),
        PROBE_KIND.derived_entry(PROBE_SUMMARY, b'{"summary": true}', inputs),
    ]


PROBE_KIND = Kind(
    name="probe",
    unit_prefix="probe:",
    upstream=None,
    label="Probe (derived)",
    fresh_setting="BUILDINGS_FRESH_SECONDS",
    stale_setting="BUILDINGS_STALE_SECONDS",
    content_type="application/json",
    fetch=probe_fetch,
    companions=lambda unit: [PROBE_SUMMARY],
    inputs=lambda unit: list(CELLS),
    also_stored=("probe_summary:",),
)


@pytest.fixture(autouse=True)
def probe_kind(monkeypatch):
    monkeypatch.setitem(kinds._BY_PREFIX, "probe:", PROBE_KIND)
    computed.clear()
    yield PROBE_KIND


def fill(unit: str = PROBE, **kwargs) -> None:
    tasks.fill_unit(unit, attempt=Attempt(pool="interactive"), **kwargs)


def age(unit: str, *, fresh_by: float) -> None:
    """Move an entry's fresh-until back by ``fresh_by`` seconds (as time passing would)."""
    key = store.entry_key(unit)
    get_valkey().hset(key, "fu", f"{float(get_valkey().hget(key, 'fu')) - fresh_by:.3f}")


def test_missing_inputs_are_fetched_first_and_bound_the_derived_freshness(simulator):
    assert len(CELLS) == 2
    fill()
    assert simulator.stats()["overpass"]["requests"] == 2  # one per cell, through the buildings kind
    probe, summary = store.read(PROBE), store.read(PROBE_SUMMARY)
    cells = [store.read(unit) for unit in CELLS]
    assert probe.json()["ways"] == sum(len(cell.json()["ways"]) for cell in cells) > 0
    assert probe.json()["inputs"] == {unit: cell.etag for unit, cell in zip(CELLS, cells, strict=True)}
    # Fresh and kept as long as its inputs, no longer.
    assert probe.fresh_until == pytest.approx(min(cell.fresh_until for cell in cells), abs=0.01)
    assert probe.stale_until == pytest.approx(min(cell.stale_until for cell in cells), abs=0.01)
    assert summary.fresh_until == pytest.approx(probe.fresh_until, abs=0.01)
    ttl = get_valkey().ttl(store.entry_key(PROBE))
    assert abs(ttl - (probe.stale_until - time.time())) <= 2
    # Registered as a dependent of each input, the set expiring with it.
    for unit in CELLS:
        assert get_valkey().smembers(store.dependents_key(unit)) == {PROBE.encode(), PROBE_SUMMARY.encode()}
        assert 0 < get_valkey().ttl(store.dependents_key(unit)) <= ttl + 1
    # Up to date: nothing is fetched or computed again.
    fill()
    assert simulator.stats()["overpass"]["requests"] == 2 and computed == [PROBE]


def test_an_input_with_a_new_etag_makes_the_dependent_stale_and_it_is_recomputed(simulator):
    fill()
    before = store.read(PROBE)
    changed = json.loads(store.read(CELLS[0]).raw())
    changed["ways"] = changed["ways"][1:]
    marked = store.write([buildings.KIND.entry(CELLS[0], buildings.encode(changed))])
    assert marked == 2  # the probe and its summary
    assert store.read(PROBE).state() == "stale" and store.read(PROBE_SUMMARY).state() == "stale"
    assert store.read(PROBE).etag == before.etag  # still served (stale) until recomputed
    fill()
    after = store.read(PROBE)
    assert after.state() == "fresh" and after.etag != before.etag
    assert after.json()["ways"] == before.json()["ways"] - 1
    assert computed == [PROBE, PROBE]
    assert simulator.stats()["overpass"]["requests"] == 2  # the inputs were fresh: not fetched again


def test_an_input_rewritten_unchanged_leaves_the_dependent_as_it_is_and_renews_it(simulator):
    fill()
    before = store.read(PROBE)
    same = store.read(CELLS[0]).raw()
    assert store.write([buildings.KIND.entry(CELLS[0], same)]) == 0
    assert store.read(PROBE).state() == "fresh" and store.read(PROBE).fresh_until == before.fresh_until
    # Time passes: the inputs and the probe stop being fresh. A refresh fetches
    # the inputs again (the simulator answers the same), and the probe is renewed only.
    for unit in [*CELLS, PROBE, PROBE_SUMMARY]:
        age(unit, fresh_by=before.fresh_until - time.time() + 1)
    assert store.read(PROBE).state() == "stale"
    fill()
    assert simulator.stats()["overpass"]["requests"] == 4
    after = store.read(PROBE)
    assert computed == [PROBE]  # not recomputed
    assert after.etag == before.etag and after.body == before.body
    assert after.state() == "fresh" and after.fresh_until > time.time() + 3600
    assert store.read(PROBE_SUMMARY).state() == "fresh"


def test_refresh_ahead_reaches_the_inputs(simulator):
    fill()
    before = store.read(PROBE)
    # Everything stops being fresh within the next hour: refreshing the probe an
    # hour ahead refreshes its inputs first, then renews it from them.
    for unit in [*CELLS, PROBE, PROBE_SUMMARY]:
        age(unit, fresh_by=before.fresh_until - time.time() - 1800)
    fill(refresh_within=3600)
    assert simulator.stats()["overpass"]["requests"] == 4
    after = store.read(PROBE)
    assert after.fresh_until > time.time() + 3600
    assert after.etag == before.etag and computed == [PROBE]


def test_marking_follows_dependents_of_dependents_and_spares_other_entries():
    now = time.time()
    store.write([store.NewEntry("test:in", b"1", "text/plain", 600, 600)])
    store.write([store.NewEntry("test:mid", b"m", "text/plain", 600, 600, inputs=("test:in",))])
    store.write([store.NewEntry("test:top", b"t", "text/plain", 600, 600, inputs=("test:mid",))])
    store.write([store.NewEntry("test:other", b"o", "text/plain", 600, 600, inputs=("test:else",))])
    assert store.write([store.NewEntry("test:in", b"2", "text/plain", 600, 600)]) == 2
    states = store.states(["test:in", "test:mid", "test:top", "test:other"], now=time.time() + 0.01)
    assert states == {"test:in": "fresh", "test:mid": "stale", "test:top": "stale", "test:other": "fresh"}
    # Marking only lowers fresh-until: the bodies and their stale windows stay.
    mid = store.read("test:mid")
    assert mid.raw() == b"m" and mid.stale_until == pytest.approx(now + 1200, abs=2)
    # Marking again (an already stale dependent) counts nothing.
    assert store.write([store.NewEntry("test:in", b"3", "text/plain", 600, 600)]) == 0
    assert all(get_valkey().ttl(key) > 0 for key in get_valkey().scan_iter(match="ss:*"))


def test_a_buildings_refresh_that_finds_the_same_buildings_keeps_its_bytes(simulator):
    unit = CELLS[0]
    (first,) = buildings.fetch_entries(unit, None, "interactive")
    payload = json.loads(first.raw)
    # Stored a while ago: the same ways, an older osm_base (Overpass moves it every minute).
    payload["osm_base"] = "2020-01-01T00:00:00Z"
    older = buildings.encode(payload)
    store.write([buildings.KIND.entry(unit, older)])
    (again,) = buildings.fetch_entries(unit, store.read(unit), "interactive")
    assert again.raw == older
    # A building fewer in the stored copy: the refresh stores what the upstream has now.
    payload["ways"] = payload["ways"][1:]
    store.write([buildings.KIND.entry(unit, buildings.encode(payload))])
    (changed,) = buildings.fetch_entries(unit, store.read(unit), "interactive")
    assert json.loads(changed.raw)["ways"] == json.loads(first.raw)["ways"]
    assert simulator.stats()["overpass"]["requests"] == 3


def test_a_fresh_unit_is_found_fresh_without_reading_its_body(valkey_commands):
    store.write([store.NewEntry(PROBE_SUMMARY, b"{}", "application/json", 3600, 3600)])
    store.write([store.NewEntry(PROBE, b"x" * 100_000, "application/json", 3600, 3600)])
    valkey_commands.clear()
    fill()
    assert valkey_commands == ["pipeline"], "one pipeline of fresh-until fields, no HGETALL of the body"


def test_the_unit_is_stored_after_its_companions(simulator, monkeypatch):
    """Readers go by the unit's freshness (a plan's data status); its companions
    (the sun's summary, whose numbers are a plan's light fact) are in Valkey
    before it, so whoever sees the unit fresh finds them too."""
    written: list[str] = []
    write = store.write

    def recording(entries):
        written.extend(entry.unit for entry in entries)
        return write(entries)

    monkeypatch.setattr(store, "write", recording)
    fill()
    assert PROBE in written and PROBE_SUMMARY in written
    assert written.index(PROBE_SUMMARY) < written.index(PROBE)
