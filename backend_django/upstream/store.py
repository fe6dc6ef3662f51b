"""The cache store: upstream data kept in Valkey ready to send.

Each cached unit of data (a climate point, a buildings cell, a canopy window)
is one Valkey hash ``ss:e:<unit>`` holding the response body gzip-compressed
once, its content type, ETag, fetch time and freshness limits. A hit reads the
hash in one round trip and sends the stored bytes as they are.

    b   body, gzip (mtime 0, so the same data gives the same bytes), or the raw
        bytes when ``z`` says "identity"
    z   "identity" for a body stored as is (already compressed formats such as
        a deflate GeoTIFF, where gzip would only cost time); absent = gzip
    t   content type
    e   ETag (quoted)
    f   fetched at (unix seconds)
    fu  fresh until
    su  stale until (the key's TTL ends there too)

Definite upstream errors (4xx) are remembered under ``ss:neg:<unit>`` for
UPSTREAM_NEGATIVE_TTL seconds; 5xx and timeouts never are.
"""

import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from django.conf import settings

from backend_django.core.valkey import get_valkey

ENTRY_PREFIX = "ss:e:"
NEGATIVE_PREFIX = "ss:neg:"
STATS_PREFIX = "ss:stats:"
STATS_TTL = 30 * 86400  # counters of a kind nobody asked for in 30 days go away

State = Literal["fresh", "stale", "missing"]


def entry_key(unit: str) -> str:
    return f"{ENTRY_PREFIX}{unit}"


def negative_key(unit: str) -> str:
    return f"{NEGATIVE_PREFIX}{unit}"


@dataclass(frozen=True)
class Entry:
    body: bytes  # gzip-compressed unless ``encoding`` is "identity"
    content_type: str
    etag: str
    fetched_at: float
    fresh_until: float
    stale_until: float
    encoding: str = "gzip"  # "gzip" or "identity"

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

    def json(self):
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
        )
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class NewEntry:
    """Data to store: raw (uncompressed) bytes and how long they stay fresh."""

    unit: str
    raw: bytes
    content_type: str
    fresh_seconds: int
    stale_seconds: int
    # False for bodies that are compressed already (gzip would only cost time).
    compress: bool = True


def etag_for(raw: bytes) -> str:
    return '"' + hashlib.blake2b(raw, digest_size=16).hexdigest() + '"'


def queue_write(pipe, entry: NewEntry, now: float | None = None) -> None:
    """Add the commands that store ``entry`` to a (transactional) pipeline."""
    now = time.time() if now is None else now
    key = entry_key(entry.unit)
    pipe.delete(key)
    mapping = {
        "b": gzip.compress(entry.raw, compresslevel=6, mtime=0) if entry.compress else entry.raw,
        "t": entry.content_type,
        "e": etag_for(entry.raw),
        "f": f"{now:.3f}",
        "fu": f"{now + entry.fresh_seconds:.3f}",
        "su": f"{now + entry.fresh_seconds + entry.stale_seconds:.3f}",
    }
    if not entry.compress:
        mapping["z"] = "identity"
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, entry.fresh_seconds + entry.stale_seconds)
    pipe.delete(negative_key(entry.unit))


# A hit in one command: the entry, the client's request counter (a fixed
# window that expires with its period) and the kind's request counter. When
# the caller already holds the body with ETag ARGV[2] (its process-local copy),
# only the freshness fields come back instead of the whole body.
_LOOKUP_SCRIPT = """
local meta = redis.call('HMGET', KEYS[1], 'e', 'fu', 'su')
local count = redis.call('INCR', KEYS[2])
if count == 1 then
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
end
redis.call('HINCRBY', KEYS[3], 'requests', 1)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
if not meta[1] then
    return {count, {}}
end
if meta[1] == ARGV[2] then
    return {count, {'e', meta[1], 'fu', meta[2], 'su', meta[3]}}
end
return {count, redis.call('HGETALL', KEYS[1])}
"""


class LocalBodies:
    """A small per-process LRU of entries, keyed by unit, bounded in bytes.

    It only saves moving the body out of Valkey: every hit still asks Valkey
    (one round trip) whether the copy's ETag is current and how fresh it is.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, unit: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(unit)
            if entry is not None:
                self._entries.move_to_end(unit)
            return entry

    def put(self, unit: str, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(unit, None)
            if old is not None:
                self.size -= len(old.body)
            self._entries[unit] = entry
            self.size += len(entry.body)
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


@cache
def local_bodies() -> LocalBodies:
    return LocalBodies(settings.UPSTREAM_LOCAL_BODY_CACHE_BYTES)


def _lookup_script():
    # Registering only hashes the script; bound to the current client so a
    # changed VALKEY_URL (tests) is honoured.
    return get_valkey().register_script(_LOOKUP_SCRIPT)


def lookup_counted(unit: str, *, kind: str, counter_key: str, counter_ttl: int) -> tuple[Entry | None, int]:
    """Read ``unit`` and count the request (client window + kind), one round trip."""
    local = local_bodies()
    known = local.get(unit)
    count, flat = _lookup_script()(
        keys=[entry_key(unit), counter_key, f"{STATS_PREFIX}{kind}"],
        args=[counter_ttl, known.etag if known is not None else "", STATS_TTL],
    )
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    if b"b" not in fields and known is not None and fields.get(b"e", b"").decode() == known.etag:
        return replace(known, fresh_until=float(fields[b"fu"]), stale_until=float(fields[b"su"])), count
    entry = parse_entry(fields)
    if entry is not None:
        local.put(unit, entry)
    return entry, count


def read(unit: str) -> Entry | None:
    return parse_entry(get_valkey().hgetall(entry_key(unit)))


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
    return not any(get_valkey().mget(keys))


def remembered_error(unit: str) -> dict | None:
    value = get_valkey().get(negative_key(unit))
    return json.loads(value) if value else None


def count(kind: str, field: str, amount: int = 1, pipe=None) -> None:
    """Hit/miss/stale counters per data kind, for the admin's cache page."""
    target = pipe if pipe is not None else get_valkey().pipeline(transaction=False)
    target.hincrby(f"{STATS_PREFIX}{kind}", field, amount)
    target.expire(f"{STATS_PREFIX}{kind}", STATS_TTL)
    if pipe is None:
        target.execute()
