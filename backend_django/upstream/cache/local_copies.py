"""Per-process copies of cache entries (bounded in bytes, least recently used first out).

A web process keeps the entries it served recently so that a repeated hit
does not move the body again; tracking.py keeps them coherent with Valkey.
Each copy is *tracked* or not: only a tracked copy (read from Valkey while
tracking was on, with no announcement since) may be served without asking
Valkey; any copy saves moving the body when Valkey says its ETag is current.
See docs/decisions/0010-tracked-local-copies.md.
"""

import threading
from collections import OrderedDict
from typing import Protocol


class Sized(Protocol):
    @property
    def body(self) -> bytes: ...


class LocalCopies[EntryT: Sized]:
    """Entries this process served recently, by unit, bounded in bytes (LRU).

    Each copy is *tracked* or not. Only a tracked copy may be served without
    asking Valkey; any copy saves moving the body when Valkey says its ETag is
    current. ``token()`` is taken before reading Valkey: a copy put with a
    token that is no longer current (tracking restarted or stopped, or any
    invalidation arrived meanwhile) is kept untracked.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, tuple[EntryT, bool]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0  # changes whenever tracking starts or stops
        self._invalidations = 0  # invalidation announcements applied so far
        self._tracking = False

    def token(self) -> tuple[int, int] | None:
        """Taken before a Valkey read; None while no tracking is on."""
        return (self._generation, self._invalidations) if self._tracking else None

    def get(self, unit: str) -> EntryT | None:
        """Any copy of ``unit`` (to compare its ETag with Valkey's)."""
        with self._lock:
            found = self._entries.get(unit)
            if found is None:
                return None
            self._entries.move_to_end(unit)
            return found[0]

    def tracked(self, unit: str) -> EntryT | None:
        """The copy of ``unit`` if it is tracked, else None."""
        with self._lock:
            found = self._entries.get(unit)
            if found is None or not found[1]:
                return None
            self._entries.move_to_end(unit)
            return found[0]

    def put(self, unit: str, entry: EntryT, token: tuple[int, int] | None = None) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return
        with self._lock:
            current = (self._generation, self._invalidations)
            tracked = token is not None and self._tracking and token == current
            old = self._entries.pop(unit, None)
            if old is not None:
                self.size -= len(old[0].body)
            self._entries[unit] = (entry, tracked)
            self.size += len(entry.body)
            while self.size > self.max_bytes:
                _, (evicted, _) = self._entries.popitem(last=False)
                self.size -= len(evicted.body)

    def invalidate(self, units: list[str] | None) -> None:
        """Drop the copies of ``units`` (None: all of them, e.g. after FLUSHDB)."""
        with self._lock:
            self._invalidations += 1
            if units is None:
                self._entries.clear()
                self.size = 0
                return
            for unit in units:
                old = self._entries.pop(unit, None)
                if old is not None:
                    self.size -= len(old[0].body)

    def set_tracking(self, on: bool) -> None:
        """Tracking started or stopped: no copy read before now stays tracked."""
        with self._lock:
            self._generation += 1
            self._tracking = on
            for unit, (entry, _) in self._entries.items():
                self._entries[unit] = (entry, False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0
