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
import time
from dataclasses import dataclass
from typing import Literal

from django.conf import settings

from backend_django.core.valkey import get_valkey

ENTRY_PREFIX = "ss:e:"
NEGATIVE_PREFIX = "ss:neg:"
STATS_PREFIX = "ss:stats:"

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


def read(unit: str) -> Entry | None:
    return parse_entry(get_valkey().hgetall(entry_key(unit)))


def read_many(units: list[str]) -> list[Entry | None]:
    pipe = get_valkey().pipeline(transaction=False)
    for unit in units:
        pipe.hgetall(entry_key(unit))
    return [parse_entry(fields) for fields in pipe.execute()]


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


def remembered_error(unit: str) -> dict | None:
    value = get_valkey().get(negative_key(unit))
    return json.loads(value) if value else None


def count(kind: str, field: str, amount: int = 1, pipe=None) -> None:
    """Hit/miss/stale counters per data kind, for the admin's cache page."""
    target = pipe if pipe is not None else get_valkey()
    target.hincrby(f"{STATS_PREFIX}{kind}", field, amount)
