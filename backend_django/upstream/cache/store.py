"""The cache store: upstream data kept in Valkey ready to send.

Each cached unit of data (a climate point, a buildings cell, a canopy window)
is one Valkey hash ``ss:e:<unit>`` holding the response body gzip-compressed
once, its content type, ETag, fetch time and freshness limits. A hit sends the
stored bytes as they are, from the web process's tracked copy (no round trip;
local_copies.py, tracking.py) or after one Lua call (lua/entry_lookup.lua)
that returns the body only when the process's copy is not current.

    b   body, gzip (mtime 0, so the same data gives the same bytes), or the raw
        bytes when ``z`` says "identity"
    z   "identity" for a body stored as is (already compressed formats such as
        a deflate GeoTIFF, where gzip would only cost time); absent = gzip
    t   content type
    e   ETag (quoted)
    f   fetched at (unix seconds)
    fu  fresh until
    su  stale until (the key's TTL ends there too)
    v   the upstream's own validator (its ETag), for a conditional refresh
        (If-None-Match); absent for data that has none

An entry of a derived kind (kinds/base.py) is registered in the set
``ss:dep:<input unit>`` of each unit it was computed from; when an input is
rewritten with another ETag, its dependents' fresh-until drops to now right
after the write (``mark_dependents_stale``), so they are served stale and
recomputed.

Definite upstream errors (4xx) are remembered under ``ss:neg:<unit>`` for
UPSTREAM_NEGATIVE_TTL seconds; 5xx and timeouts never are.
"""

import gzip
import hashlib
import json
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict, cast

from django.conf import settings
from redis.client import Pipeline
from redis.crc import key_slot
from redis.typing import EncodableT, FieldT

from backend_django.core.lua import call_many, lua_script
from backend_django.core.valkey import get_valkey, is_cluster

from .client_counts import ClientCounts
from .local_copies import LocalCopies
from .tracking import Tracker

ENTRY_PREFIX = "ss:e:"
NEGATIVE_PREFIX = "ss:neg:"
DEPENDENTS_PREFIX = "ss:dep:"
STATS_PREFIX = "ss:stats:"
STATS_TTL = 30 * 86400  # counters of an endpoint nobody asked in 30 days go away

State = Literal["fresh", "stale", "missing"]


def entry_key(unit: str) -> str:
    return f"{ENTRY_PREFIX}{unit}"


def negative_key(unit: str) -> str:
    return f"{NEGATIVE_PREFIX}{unit}"


def dependents_key(unit: str) -> str:
    """The set of derived units computed from ``unit``."""
    return f"{DEPENDENTS_PREFIX}{unit}"


@dataclass(frozen=True)
class Entry:
    body: bytes  # gzip-compressed unless ``encoding`` is "identity"
    content_type: str
    etag: str
    fetched_at: float
    fresh_until: float
    stale_until: float
    encoding: str = "gzip"  # "gzip" or "identity"
    validator: str = ""  # the upstream's ETag of the data, when it gave one

    def state(self, now: float | None = None) -> State:
        now = time.time() if now is None else now
        if now < self.fresh_until:
            return "fresh"
        if now < self.stale_until:
            return "stale"
        return "missing"

    @property
    def gzipped(self) -> bool:
        return self.encoding == "gzip"

    def raw(self) -> bytes:
        return gzip.decompress(self.body) if self.gzipped else self.body

    def json(self) -> Any:
        return json.loads(self.raw())


def parse_entry(fields: dict[bytes, bytes]) -> Entry | None:
    """An Entry from HGETALL's answer, or None for a missing/partial hash."""
    try:
        return Entry(
            body=fields[b"b"],
            content_type=fields[b"t"].decode(),
            etag=fields[b"e"].decode(),
            fetched_at=float(fields[b"f"]),
            fresh_until=float(fields[b"fu"]),
            stale_until=float(fields[b"su"]),
            encoding=fields.get(b"z", b"gzip").decode(),
            validator=fields.get(b"v", b"").decode(),
        )
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class NewEntry:
    """Data to store: raw (uncompressed) bytes and how long they stay fresh."""

    unit: str
    raw: bytes
    content_type: str
    fresh_seconds: float
    stale_seconds: float
    # False for bodies that are compressed already (gzip would only cost time).
    compress: bool = True
    # The units a derived entry was computed from (kinds.Kind.derived_entry): it
    # is marked stale when one of them is rewritten with another ETag.
    inputs: tuple[str, ...] = ()
    # The upstream's validator of the data (its ETag), kept for a conditional refresh.
    validator: str = ""


def etag_for(raw: bytes) -> str:
    return '"' + hashlib.blake2b(raw, digest_size=16).hexdigest() + '"'


def queue_write(pipe: Pipeline, entry: NewEntry, now: float | None = None) -> None:
    """Add the commands that store ``entry`` to a (transactional) pipeline
    (without following dependents: ``write`` does)."""
    now = time.time() if now is None else now
    key = entry_key(entry.unit)
    pipe.delete(key)
    mapping: dict[FieldT, EncodableT] = {
        "b": gzip.compress(entry.raw, compresslevel=6, mtime=0) if entry.compress else entry.raw,
        "t": entry.content_type,
        "e": etag_for(entry.raw),
        "f": f"{now:.3f}",
        "fu": f"{now + entry.fresh_seconds:.3f}",
        "su": f"{now + entry.fresh_seconds + entry.stale_seconds:.3f}",
    }
    if not entry.compress:
        mapping["z"] = "identity"
    if entry.validator:
        mapping["v"] = entry.validator
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, max(1, math.ceil(entry.fresh_seconds + entry.stale_seconds)))
    pipe.delete(negative_key(entry.unit))


def write(entries: list[NewEntry]) -> int:
    """Store ``entries``, each in one Lua call on its own key (lua/entry_write.lua;
    all in one pipeline), forget their remembered errors, register derived
    entries with their inputs, and mark stale the entries derived from any of
    them whose ETag changed (``mark_dependents_stale``). Returns how many
    dependents were marked."""
    now = time.time()
    calls: list[tuple[list[str], list[Any]]] = []
    for entry in entries:
        lifetime = entry.fresh_seconds + entry.stale_seconds
        calls.append(
            (
                [entry_key(entry.unit)],
                [
                    gzip.compress(entry.raw, compresslevel=6, mtime=0) if entry.compress else entry.raw,
                    entry.content_type,
                    etag_for(entry.raw),
                    f"{now:.3f}",
                    f"{now + entry.fresh_seconds:.3f}",
                    f"{now + lifetime:.3f}",
                    "" if entry.compress else "identity",
                    entry.validator,
                    max(1, math.ceil(lifetime)),
                ],
            )
        )
    valkey = get_valkey()
    changed = call_many(lua_script(__file__, "entry_write"), calls, valkey)
    pipe = valkey.pipeline(transaction=False)
    for entry in entries:
        pipe.delete(negative_key(entry.unit))
        ttl = max(1, math.ceil(entry.fresh_seconds + entry.stale_seconds))
        for unit in entry.inputs:
            # The set lives as long as its longest-lived dependent.
            pipe.sadd(dependents_key(unit), entry.unit)
            pipe.expire(dependents_key(unit), ttl, nx=True)
            pipe.expire(dependents_key(unit), ttl, gt=True)
    pipe.execute()
    return mark_dependents_stale(
        [entry.unit for entry, moved in zip(entries, changed, strict=True) if moved], now
    )


def mark_dependents_stale(units: list[str], now: float) -> int:
    """Make the entries derived from ``units``, and theirs in turn (a derived kind
    of a derived kind), stale now: their fresh-until drops to ``now`` (one
    lua/mark_stale.lua call per entry, each marked once). How many were fresh."""
    valkey = get_valkey()
    marked, seen, frontier = 0, set[str](), units
    while frontier:
        pipe = valkey.pipeline(transaction=False)
        for unit in frontier:
            pipe.smembers(dependents_key(unit))
        found = sorted({member.decode() for members in pipe.execute() for member in members} - seen)
        seen.update(found)
        results = call_many(
            lua_script(__file__, "mark_stale"),
            [([entry_key(unit)], [f"{now:.3f}"]) for unit in found],
            valkey,
        )
        marked += sum(int(result) for result in results)
        frontier = found
    return marked


@dataclass
class _ProcessCopies:
    """What one process keeps between requests: its copies, the thread that
    keeps them coherent, and the counts of requests served from them."""

    pid: int
    url: str
    copies: LocalCopies[Entry]
    counts: ClientCounts | None = None
    tracker: Tracker | None = None


_process: _ProcessCopies | None = None
_process_lock = threading.Lock()


def _process_copies() -> _ProcessCopies:
    """This process's copies (new after a fork or a changed VALKEY_URL)."""
    global _process
    state = _process
    if state is None or state.pid != os.getpid() or state.url != settings.VALKEY_URL:
        with _process_lock:
            state = _process
            if state is None or state.pid != os.getpid() or state.url != settings.VALKEY_URL:
                if state is not None and state.tracker is not None and state.pid == os.getpid():
                    state.tracker.stop(wait=False)
                state = _process = _ProcessCopies(
                    pid=os.getpid(),
                    url=settings.VALKEY_URL,
                    copies=LocalCopies(settings.UPSTREAM_LOCAL_BODY_CACHE_BYTES),
                )
    return state


def local_copies() -> LocalCopies[Entry]:
    return _process_copies().copies


def tracker(state: _ProcessCopies | None = None) -> Tracker | None:
    """The thread keeping this process's copies coherent (started on first use)."""
    # On a cluster, CLIENT TRACKING would need a connection to every node and a
    # new one after each failover: copies are checked by ETag instead (decisions/0027).
    if not settings.UPSTREAM_TRACKED_COPIES or is_cluster():
        return None
    state = state or _process_copies()
    if state.tracker is None:
        with _process_lock:
            if state.tracker is None:
                state.counts = ClientCounts(url=state.url)
                state.tracker = Tracker(
                    url=state.url, copies=state.copies, prefix=ENTRY_PREFIX, counts=state.counts
                )
    return state.tracker


def client_counts() -> ClientCounts | None:
    """This process's counts of requests served from copies (None before tracking started)."""
    return _process_copies().counts


def reset_local_state() -> None:
    """Forget this process's copies and unsent counts (between tests: call it
    before deleting keys, so no batch in flight writes a counter afterwards)."""
    state = _process_copies()
    state.copies.clear()
    if state.counts is not None:
        state.counts.forget()


def stop_tracking() -> None:
    """Stop this process's tracking thread (before its Valkey goes away)."""
    state = _process
    if state is not None and state.tracker is not None and state.pid == os.getpid():
        state.tracker.stop()
        state.tracker = None


def lookup_counted(unit: str, *, stats: str, counter_key: str, counter_ttl: int) -> tuple[Entry | None, int]:
    """Read ``unit`` and count the request: in the client's window
    (``counter_key``) and in the endpoint's statistics (``ss:stats:<stats>``).

    No round trip when this process holds a tracked copy (tracking.py);
    otherwise one Lua call (lua/entry_lookup.lua), which sends the body only if
    the process's copy is not the current one (on a cluster,
    ``_lookup_on_cluster``). Returns
    the entry (None when missing) and the client's count in the window.
    """
    state = _process_copies()
    local = state.copies
    watcher = tracker(state)
    stats_key = f"{STATS_PREFIX}{stats}"
    if watcher is not None:
        token = local.token()
        copy = local.tracked(unit)
        if copy is not None and watcher.serving() and local.token() == token:
            return copy, watcher.counts.count(counter_key, counter_ttl, stats_key, STATS_TTL, entry_key(unit))
    token = local.token()
    known = local.get(unit)
    key = entry_key(unit)
    valkey = get_valkey()
    if is_cluster():
        found, count = _lookup_on_cluster(key, known, stats_key, counter_key, counter_ttl)
    else:  # one command
        count, flat = lua_script(__file__, "entry_lookup")(
            keys=[key, counter_key, stats_key],
            args=[counter_ttl, known.etag if known is not None else "", STATS_TTL],
            client=valkey,
        )
        found = dict(zip(flat[::2], flat[1::2], strict=True))
    if watcher is not None and watcher.alive():  # add what this process served from copies, not sent yet
        count = watcher.counts.seen(counter_key, count, counter_ttl)
    entry: Entry | None
    if b"b" not in found and known is not None and found.get(b"e", b"").decode() == known.etag:
        entry = replace(known, fresh_until=float(found[b"fu"]), stale_until=float(found[b"su"]))
    else:
        entry = parse_entry(found)
    if entry is not None:
        local.put(unit, entry, token)
    return entry, count


def _lookup_on_cluster(
    key: str, known: Entry | None, stats_key: str, counter_key: str, counter_ttl: int
) -> tuple[dict[bytes, bytes], int]:
    """``lookup_counted``'s read on a cluster, where the entry, the client's
    counter and the statistics live on three slots: one pipeline (one round
    trip per node) of the entry (only its ETag and freshness when this process
    holds a copy), the counter (its expiry set when it has none) and the
    statistics; the whole entry in a second read when the copy is not current."""
    valkey = get_valkey()
    pipe = valkey.pipeline(transaction=False)
    if known is not None:
        pipe.hmget(key, "e", "fu", "su")
    else:
        pipe.hgetall(key)
    pipe.incr(counter_key)
    pipe.expire(counter_key, counter_ttl, nx=True)
    pipe.hincrby(stats_key, "requests", 1)
    pipe.expire(stats_key, STATS_TTL)
    found, count, *_ = pipe.execute()
    if known is None:
        return found, count
    if found[0] is None:
        return {}, count
    if found[0].decode() == known.etag:
        return {b"e": found[0], b"fu": found[1], b"su": found[2]}, count
    return cast(dict[bytes, bytes], valkey.hgetall(key)), count


def read(unit: str) -> Entry | None:
    # cast: redis-py types answers as bytes | str; this client never decodes them.
    return parse_entry(cast(dict[bytes, bytes], get_valkey().hgetall(entry_key(unit))))


def fresh_untils(units: list[str]) -> list[float | None]:
    """When each unit stops being fresh (None: not stored), in one round trip, without bodies."""
    pipe = get_valkey().pipeline(transaction=False)
    for unit in units:
        pipe.hget(entry_key(unit), "fu")
    return [None if value is None else float(value) for value in pipe.execute()]


def states(units: list[str], now: float | None = None) -> dict[str, State]:
    """Freshness of many units in one round trip, without reading bodies."""
    if not units:
        return {}
    now = time.time() if now is None else now
    pipe = get_valkey().pipeline(transaction=False)
    for unit in units:
        pipe.hmget(entry_key(unit), "fu", "su")
    result: dict[str, State] = {}
    for unit, (fresh_until, stale_until) in zip(units, pipe.execute(), strict=True):
        if fresh_until is None or stale_until is None:
            result[unit] = "missing"
        elif now < float(fresh_until):
            result[unit] = "fresh"
        elif now < float(stale_until):
            result[unit] = "stale"
        else:
            result[unit] = "missing"
    return result


def states_and_bodies(pairs: list[str], bodies: list[str]) -> list[bytes]:
    """For each (entry key, pending-job key) in ``pairs`` (flattened), its
    fresh-until, stale-until and the pending job id; then for each entry key in
    ``bodies``, its body, encoding and stale-until (b"" for absent).

    One command on a single node (lua/data_status.lua); on a cluster, one call
    of it per hash slot (a unit's entry and pending mark share one), all in
    one pipeline per node."""
    script = lua_script(__file__, "data_status")
    if not is_cluster():
        return script(keys=[*pairs, *bodies], args=[len(pairs)], client=get_valkey())
    groups: dict[int, tuple[list[str], list[str]]] = {}
    order: list[tuple[int, int]] = []  # per pair, then per body: (slot, index in its group)
    for i in range(0, len(pairs), 2):
        group = groups.setdefault(key_slot(pairs[i].encode()), ([], []))
        order.append((key_slot(pairs[i].encode()), len(group[0]) // 2))
        group[0].extend(pairs[i : i + 2])
    for key in bodies:
        group = groups.setdefault(key_slot(key.encode()), ([], []))
        order.append((key_slot(key.encode()), -1 - len(group[1])))
        group[1].append(key)
    slots = list(groups)
    calls = [([*groups[slot][0], *groups[slot][1]], [len(groups[slot][0])]) for slot in slots]
    answers = dict(zip(slots, call_many(script, calls, get_valkey()), strict=True))
    out: list[bytes] = []
    for slot, index in order:
        paired = len(groups[slot][0]) // 2
        at = index if index >= 0 else paired + (-1 - index)
        out.extend(answers[slot][3 * at : 3 * at + 3])
    return out


class RememberedError(TypedDict):
    """An upstream's definite refusal of a unit (a 4xx), remembered for a while."""

    code: str
    message: str
    status: int | None


def remember_error(unit: str, code: str, message: str, status: int | None) -> None:
    get_valkey().set(
        negative_key(unit),
        json.dumps({"code": code, "message": message, "status": status}),
        ex=settings.UPSTREAM_NEGATIVE_TTL,
    )


FAILED_PREFIX = "ss:failed:"
FAILED_COOL_DOWN = 60


def note_failure(unit: str) -> None:
    """A transient failure: background refreshes leave the unit alone for a minute."""
    get_valkey().set(f"{FAILED_PREFIX}{unit}", "1", ex=FAILED_COOL_DOWN)


def refresh_allowed(units: list[str]) -> bool:
    """False while any unit has a remembered error or a recent failed fetch."""
    keys = [key for unit in units for key in (negative_key(unit), f"{FAILED_PREFIX}{unit}")]
    valkey = get_valkey()
    if is_cluster():  # the keys of several units live on several slots: read by slot
        return not any(valkey.mget_nonatomic(keys))  # type: ignore[attr-defined]  # a RedisCluster here
    return not any(valkey.mget(keys))


def remembered_error(unit: str) -> RememberedError | None:
    value = get_valkey().get(negative_key(unit))
    return json.loads(value) if value else None


def count(endpoint: str, field: str, amount: int = 1, pipe: Pipeline | None = None) -> None:
    """Request/miss/stale counters per endpoint, for the admin's cache page."""
    target = pipe if pipe is not None else get_valkey().pipeline(transaction=False)
    target.hincrby(f"{STATS_PREFIX}{endpoint}", field, amount)
    target.expire(f"{STATS_PREFIX}{endpoint}", STATS_TTL)
    if pipe is None:
        target.execute()
