"""Per-process copies of cache entries, kept coherent by Valkey.

Each web process keeps the entries it served recently (``LocalCopies``,
bounded in bytes). One background thread per process (``Tracker``) holds a
dedicated RESP3 connection on which Valkey's client-side caching support
(``CLIENT TRACKING ON BCAST PREFIX ss:e:``) announces every write, deletion,
expiry or eviction of any entry key, whoever made it; the thread drops the
process's copy of that unit at once.

While that connection is healthy, a hit on a *tracked* copy (one read from
Valkey while tracking was on, with no invalidation in between) is served with
no Valkey round trip. In every other case (tracking not yet on, connection
lost, an announcement waiting on the socket, a server or proxy without
CLIENT TRACKING, ``UPSTREAM_TRACKED_COPIES=False``) the hit asks Valkey in one
round trip whether its copy is current, and the copy only saves moving the
body. See docs/decisions/0010-tracked-local-copies.md.

Valkey writes the announcement to this connection before it answers the
writer, so once a write has returned anywhere, no process serves the old copy:
a request checks the socket for waiting announcements (and whether the thread
is reading one) before serving a copy.

Requests answered from a copy are counted in process memory and added to the
Valkey counters (the per-client read limit, the per-kind statistics) by the
same thread within ``FLUSH_SECONDS`` while requests come, so all processes
still share one read limit, with that much delay.
"""

import logging
import os
import select
import threading
import time
from collections import OrderedDict, defaultdict
from typing import Protocol

import redis

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0  # the tracking connection is pinged this often...
HEALTHY_WITHIN = 3 * HEARTBEAT_SECONDS  # ...and copies are served only while it answered this recently
FLUSH_SECONDS = 0.1  # counts of requests served from copies reach Valkey this often while they come
CONNECTION_NAME = "solar-sim-tracking"


class Sized(Protocol):
    body: bytes


class LocalCopies:
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
        self._entries: OrderedDict[str, tuple[Sized, bool]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0  # changes whenever tracking starts or stops
        self._invalidations = 0  # invalidation announcements applied so far
        self._tracking = False

    def token(self) -> tuple[int, int] | None:
        """Taken before a Valkey read; None while no tracking is on."""
        return (self._generation, self._invalidations) if self._tracking else None

    def get(self, unit: str):
        """Any copy of ``unit`` (to compare its ETag with Valkey's)."""
        with self._lock:
            found = self._entries.get(unit)
            if found is None:
                return None
            self._entries.move_to_end(unit)
            return found[0]

    def tracked(self, unit: str):
        """The copy of ``unit`` if it is tracked, else None."""
        with self._lock:
            found = self._entries.get(unit)
            if found is None or not found[1]:
                return None
            self._entries.move_to_end(unit)
            return found[0]

    def put(self, unit: str, entry: Sized, token: tuple[int, int] | None = None) -> None:
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


class Tracker:
    """The thread that keeps a process's copies coherent and flushes its counts.

    ``serving()`` says whether a tracked copy may be served right now;
    ``count()`` records a request served from a copy and returns the client's
    estimated count in the current window (Valkey's last known total plus this
    process's requests not sent yet).
    """

    def __init__(self, *, url: str, copies: LocalCopies, prefix: str, client_factory):
        self.pid = os.getpid()
        self.url = url
        self.copies = copies
        self.prefix = prefix
        self._client = client_factory  # the process's regular client, for flushing counts
        self._sock = None
        self._reading = False
        self._last_pong = 0.0
        self._pending: dict[str, list[int]] = {}  # counter key -> [requests not sent yet, ttl]
        self._stats: defaultdict[tuple[str, int], int] = defaultdict(int)  # (stats key, ttl) -> requests
        self._known: dict[str, tuple[int, float]] = {}  # counter key -> (Valkey's total, forget after)
        self._sending: dict[str, list[int]] = {}  # the batch being added to Valkey right now
        self._counts_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one batch at a time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="valkey-tracking", daemon=True)
        self._thread.start()

    # --- used by request threads -------------------------------------------------

    def serving(self) -> bool:
        """True when nothing could make a tracked copy out of date right now.

        The order matters: the socket first (an announcement waiting there),
        then whether the thread is reading (it may hold one it took from the
        socket); the caller then checks that no invalidation was applied
        since it took its token.
        """
        sock = self._sock
        if sock is None or time.monotonic() - self._last_pong > HEALTHY_WITHIN:
            return False
        try:
            if getattr(sock, "pending", None) is not None and sock.pending():
                return False  # TLS: bytes decrypted above the OS socket
            # poll(), not select(): no limit on the descriptor's number.
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            readable = poller.poll(0)  # POLLHUP/POLLERR count too
        except (OSError, ValueError):  # closed under us
            return False
        return not readable and not self._reading

    def count(self, counter_key: str, counter_ttl: int, stats_key: str, stats_ttl: int) -> int:
        with self._counts_lock:
            pending = self._pending.get(counter_key)
            if pending is None:
                pending = self._pending[counter_key] = [0, counter_ttl]
            pending[0] += 1
            self._stats[(stats_key, stats_ttl)] += 1
            known = self._known.get(counter_key)
            sending = self._sending.get(counter_key)
            return (known[0] if known is not None else 0) + (sending[0] if sending else 0) + pending[0]

    def seen(self, counter_key: str, total: int, counter_ttl: int) -> int:
        """Valkey's total for ``counter_key``, learnt by a request's own round
        trip; returns it plus this process's requests not sent yet."""
        with self._counts_lock:
            known = self._known.get(counter_key)
            if known is None or known[0] < total:
                self._known[counter_key] = (total, time.monotonic() + counter_ttl)
            pending = self._pending.get(counter_key)
            return total + (pending[0] if pending else 0)

    def forget_counts(self) -> None:
        """Drop counts not sent yet and the totals last seen (tests start afresh)."""
        with self._flush_lock, self._counts_lock:
            self._pending.clear()
            self._stats.clear()
            self._known.clear()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait:
            self._thread.join(timeout=5)

    # --- the thread ------------------------------------------------------------

    def flush(self) -> None:
        """Add the requests served from copies to the Valkey counters (one pipeline)."""
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        with self._counts_lock:
            pending, self._pending = self._pending, {}
            stats, self._stats = self._stats, defaultdict(int)
            self._sending = pending
        if not pending and not stats:
            return
        pipe = self._client().pipeline(transaction=False)
        for key, (requests, ttl) in pending.items():
            pipe.incrby(key, requests)
            pipe.expire(key, ttl)
        for (key, ttl), requests in stats.items():
            pipe.hincrby(key, "requests", requests)
            pipe.expire(key, ttl)
        try:
            results = pipe.execute()
        except redis.RedisError:
            logger.warning("could not add %d request counts to Valkey; dropped", len(pending), exc_info=True)
            with self._counts_lock:
                self._sending = {}
            return
        now = time.monotonic()
        with self._counts_lock:
            self._sending = {}
            for index, (key, (_, ttl)) in enumerate(pending.items()):
                self._known[key] = (results[2 * index], now + ttl)
            for key in [key for key, (_, forget_after) in self._known.items() if forget_after < now]:
                del self._known[key]

    def _connect(self) -> redis.Connection:
        connection = redis.Redis.from_url(
            self.url, protocol=3, socket_connect_timeout=1.0, socket_timeout=HEALTHY_WITHIN
        ).connection_pool.make_connection()
        connection.connect()
        # The handler redis-py itself uses for its client-side cache.
        connection._parser.set_invalidation_push_handler(self._invalidated)
        for command in (
            ("CLIENT", "SETNAME", CONNECTION_NAME),
            ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.prefix),
        ):
            connection.send_command(*command)
            connection.read_response()
        return connection

    def _invalidated(self, message):
        keys = message[1]
        if keys is None:
            self.copies.invalidate(None)
        else:
            cut = len(self.prefix)
            self.copies.invalidate([key.decode()[cut:] for key in keys])
        return message

    def _listen(self, connection: redis.Connection) -> None:
        self._last_pong = time.monotonic()
        self._sock = connection._sock
        self.copies.set_tracking(True)
        next_ping = next_flush = time.monotonic()
        ping_sent = None
        while not self._stop.is_set():
            now = time.monotonic()
            busy = bool(self._pending)
            wake = min(next_ping, next_flush) if busy else next_ping
            if connection.can_read(timeout=max(0.0, wake - now)):
                self._reading = True
                try:
                    while connection.can_read(timeout=0):
                        if connection.read_response(push_request=True) == b"PONG":
                            self._last_pong = time.monotonic()
                            ping_sent = None
                finally:
                    self._reading = False
            now = time.monotonic()
            if ping_sent is not None and now - ping_sent > HEALTHY_WITHIN:
                raise redis.ConnectionError("the tracking connection stopped answering")
            if now >= next_ping:
                if ping_sent is None:
                    connection.send_command("PING")
                    ping_sent = now
                next_ping = now + HEARTBEAT_SECONDS
            if now >= next_flush:
                self.flush()
                next_flush = now + FLUSH_SECONDS

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            connection = None
            try:
                connection = self._connect()
                delay = 0.5
                self._listen(connection)
            except redis.ResponseError as exc:
                logger.warning("Valkey refused client tracking (%s): every cache hit asks Valkey", exc)
                self._stop.set()
            except (redis.RedisError, OSError) as exc:
                logger.warning("Valkey tracking connection lost (%s); retrying in %.1f s", exc, delay)
            finally:
                self._sock = None
                self.copies.set_tracking(False)
                if connection is not None:
                    connection.disconnect()
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, 10.0)
        self.flush()
