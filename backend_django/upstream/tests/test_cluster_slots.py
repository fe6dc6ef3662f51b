"""Every Lua script's keys hash to one slot, so the scripts run on a Valkey Cluster.

The operations that call scripts run as they would on a cluster
(settings.VALKEY_CLUSTER; against the test Valkey, a single node, unless
``make test-cluster`` runs this against a real cluster, where a script whose
keys crossed slots would fail outright); each call's keys are recorded and
their slots computed per the cluster spec (CRC16 of the hash tag, mod 16384),
here independently of redis-py, and checked against redis-py's ``key_slot`` and,
on a cluster, against the server's ``CLUSTER KEYSLOT``.
"""

import time
from pathlib import Path

import pytest
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.crc import key_slot

from backend_django.core import lua
from backend_django.core.valkey import get_valkey
from backend_django.upstream import jobs
from backend_django.upstream.cache import store
from backend_django.upstream.guards import breaker, budgets, pacing, shares
from backend_django.upstream.jobs import liveness, locks, records
from backend_django.upstream.upstreams import get

pytestmark = pytest.mark.django_db

UPSTREAM_DIR = Path(__file__).resolve().parents[1]
# Scripts a cluster never runs: on a single node they read or count keys of
# several slots in one command (the hit path's round trip); on a cluster the
# same work is a pipeline routed per node (store._lookup_on_cluster).
SINGLE_NODE_ONLY = {"entry_lookup"}


def crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key: str) -> int:
    """The cluster spec's HASH_SLOT: the text between the first "{" and the next
    "}" when that is not empty, else the whole key."""
    raw = key.encode()
    start = raw.find(b"{")
    if start != -1:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1 : end]
    return crc16_xmodem(raw) % 16384


def test_the_slot_function_matches_the_cluster_spec():
    # The spec's own example (CRC16 of "123456789") and hash-tag rules.
    assert crc16_xmodem(b"123456789") == 0x31C3
    assert slot("{user1000}.following") == slot("{user1000}.followers") == slot("user1000")
    assert slot("foo{}{bar}") == key_slot(b"foo{}{bar}")
    assert slot("foo{{bar}}zap") == slot("{bar")
    for key in ("ss:e:climate:45.5:-122.7", records.pending_key("climate:45.5:-122.7"), "a{b}c", "x}{y"):
        assert slot(key) == key_slot(key.encode())


def script_names() -> dict[str, str]:
    """sha -> name of every script under upstream/ (each folder's lua/)."""
    found = {}
    for path in UPSTREAM_DIR.glob("*/lua/*.lua"):
        found[lua.lua_script(str(path.parent.parent / "x.py"), path.stem).sha] = path.stem
    return found


@pytest.fixture
def recorded_calls(monkeypatch, settings):
    """(script name, keys) of every script call, with the cluster code paths on."""
    settings.VALKEY_CLUSTER = True
    names = script_names()
    calls: list[tuple[str, list[str]]] = []
    original_call, original_many = Script.__call__, lua.call_many

    def call(self, keys=None, args=None, client=None):
        calls.append((names[self.sha], [k.decode() if isinstance(k, bytes) else k for k in keys or []]))
        return original_call(self, keys=keys, args=args, client=client)

    def many(script, batch, client):
        calls.extend((names[script.sha], list(keys)) for keys, _ in batch)
        return original_many(script, batch, client)

    monkeypatch.setattr(Script, "__call__", call)
    for module in (store, records, locks):
        monkeypatch.setattr(module, "call_many", many)
    return calls


def exercise_every_script(monkeypatch) -> None:
    """Representative calls of every operation that runs a script."""
    monkeypatch.setattr(records, "send_task", lambda name, **options: None)
    # Guards: an upstream's budget windows, a client's share, slots, turns, the breaker.
    shares.set_client(shares.for_address("203.0.113.9"))
    try:
        calls = budgets.WeightedCalls(get("open_meteo"))
        with calls.hold("interactive", weight=1.5):
            pass
        calls.refund(0.5, "warm")
    finally:
        shares.set_client("")
    slots = budgets.LeaseSlots(get("overpass"))
    token, _ = slots.try_acquire("warm")
    assert token is not None
    turns = pacing.Turns(get("geocoder"))
    turn, _ = turns.try_take()
    assert turn is not None
    turns.give_back(turn)
    with breaker.guarded("open_meteo"):
        pass
    # The store: entries, one derived from two others, rewritten so it goes stale; data status.
    store.write(
        [
            store.NewEntry("test:a", b"1", "application/json", 60, 60),
            store.NewEntry("test:b", b"2", "application/json", 60, 60),
        ]
    )
    store.write([store.NewEntry("test:d", b"3", "application/json", 60, 60, inputs=("test:a", "test:b"))])
    assert store.write([store.NewEntry("test:a", b"changed", "application/json", 60, 60)]) == 1
    status = store.states_and_bodies(
        [key for unit in ("test:a", "test:d") for key in (store.entry_key(unit), records.pending_key(unit))],
        [store.entry_key("test:b")],
    )
    assert len(status) == 9 and status[6] != b""
    # Jobs: start (and join), run, count, wait, run again after its worker died, finish.
    units = ["test:1", "test:2"]
    job = jobs.job_start(kind="test", units=units, result_url="/x", queue="test-no-worker").job
    assert not jobs.job_start(kind="test", units=units, result_url="/x", queue="test-no-worker").created
    assert liveness.start_run(job, task_id="task-1")
    locks.unit_lock_acquire("test:1", liveness.lock_token() or "")
    liveness._beat_once()
    records.job_attempted(job.id)
    records.job_progress(job.id, 1)
    get_valkey().zadd(liveness.RUNNING_KEY, {job.id: float(get_valkey().time()[0]) - 3600})
    liveness._running.clear()
    assert liveness.reclaim_if_stale(records.job_get(job.id)).status == "queued"
    records.job_waiting(job.id, waiting_for="budget", retry_at=time.time() - 3600)
    get_valkey().zadd(liveness.DUE_KEY, {job.id: time.time() - 3600})
    assert liveness._resend(records.job_get(job.id))
    assert liveness.start_run(records.job_get(job.id), task_id="task-2")
    records.job_requeued(job.id, countdown=5)
    liveness.end_run(job.id, "task-2")
    assert liveness.start_run(records.job_get(job.id), task_id="task-3")
    records.job_succeed(job.id)
    liveness.end_run(job.id, "task-3")
    liveness._running.clear()
    liveness._current.job_id = liveness._current.task_id = liveness._current.token = None


def test_every_script_keeps_its_keys_on_one_slot(recorded_calls, monkeypatch):
    exercise_every_script(monkeypatch)
    seen = {name for name, _ in recorded_calls}
    every = set(script_names().values())
    assert seen == every - SINGLE_NODE_ONLY, f"not exercised: {sorted(every - SINGLE_NODE_ONLY - seen)}"
    for name, keys in recorded_calls:
        assert keys, f"{name} was called without keys"
        assert len({slot(key) for key in keys}) == 1, f"{name}: keys on several slots: {keys}"
    # Data spreads: the calls of different units, jobs and upstreams land on different slots.
    assert len({slot(keys[0]) for _, keys in recorded_calls}) > 10


def test_the_slots_agree_with_the_servers_when_it_is_a_cluster(recorded_calls, monkeypatch, settings):
    exercise_every_script(monkeypatch)
    if not isinstance(get_valkey(), RedisCluster):
        pytest.skip("a single Valkey: make test-cluster checks CLUSTER KEYSLOT")
    for _, keys in recorded_calls:
        for key in keys:
            assert get_valkey().cluster_keyslot(key) == slot(key)


def test_the_single_node_hit_script_is_not_run_on_a_cluster(recorded_calls):
    store.write([store.NewEntry("test:a", b"1", "application/json", 60, 60)])
    entry, count = store.lookup_counted("test:a", stats="test", counter_key="ss:rl:t", counter_ttl=60)
    assert entry is not None and entry.raw() == b"1" and count == 1
    entry, count = store.lookup_counted("test:a", stats="test", counter_key="ss:rl:t", counter_ttl=60)
    assert entry is not None and count == 2
    assert "entry_lookup" not in {name for name, _ in recorded_calls}
    assert 0 < get_valkey().ttl("ss:rl:t") <= 60
    assert int(get_valkey().hget("ss:stats:test", "requests")) == 2


def test_data_status_split_by_slot_answers_as_the_one_command_does(settings):
    units = [f"test:{n}" for n in range(12)]
    store.write([store.NewEntry(unit, unit.encode(), "application/json", 60, 60) for unit in units[::2]])
    for unit in units[::3]:
        get_valkey().set(records.pending_key(unit), f"job-{unit}", ex=60)
    pairs = [key for unit in units for key in (store.entry_key(unit), records.pending_key(unit))]
    bodies = [store.entry_key(unit) for unit in units[:5]]
    # What it must say, read key by key.
    valkey = get_valkey()
    expected: list[bytes] = []
    for unit in units:
        fresh, stale = valkey.hmget(store.entry_key(unit), "fu", "su")
        expected += [fresh or b"", stale or b"", valkey.get(records.pending_key(unit)) or b""]
    for key in bodies:
        expected += [value or b"" for value in valkey.hmget(key, "b", "z", "su")]
    settings.VALKEY_CLUSTER = True
    assert store.states_and_bodies(pairs, bodies) == expected
    if not isinstance(valkey, RedisCluster):  # one node: the one command says the same
        settings.VALKEY_CLUSTER = False
        assert store.states_and_bodies(pairs, bodies) == expected
    assert expected[2] == b"job-test:0" and expected[3 * 12] != b""  # the shapes line up
