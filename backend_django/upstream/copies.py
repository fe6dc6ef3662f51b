"""Per-process copies of cache entries, kept coherent by Valkey.

Each web process keeps the entries it served recently (``LocalCopies``,
bounded in bytes). One background thread per process (``Tracker``) holds a
dedicated RESP3 connection on which Valkey's client-side caching support
(``CLIENT TRACKING ON BCAST PREFIX ss:e:``) announces every write, deletion,
expiry or eviction of any entry key, whoever made it; the thread drops the
process's copy of that unit at once.

While that connection is healthy (a heartbeat key the thread writes every
second is announced back to it), a hit on a *tracked* copy (one read from
Valkey while tracking was on, with no announcement in between) is served
with no Valkey round trip. In every other case (tracking not yet on or not
yet proven, connection lost, an announcement waiting on the socket, a server
or proxy that refuses CLIENT TRACKING, ``UPSTREAM_TRACKED_COPIES=False``) the
hit asks Valkey in one round trip whether its copy is current, and the copy
only saves moving the body. See docs/decisions/0010-tracked-local-copies.md.

Valkey writes an announcement to a connection that has no reply of its own
waiting before it answers the write that caused it, so the announcement is
on this process's socket by the time the writer has its answer; a request
checks the socket for waiting announcements (and whether the thread is
reading one) before serving a copy.

Requests answered from a copy are counted in process memory and added to the
Valkey counters (the per-client read limit, the per-kind statistics) by the
same thread every ``FLUSH_SECONDS``, together with a TOUCH of the entries
served (so LRU eviction sees them used); all processes still share one read
limit, with that much delay.
"""

import atexit
import logging
import math
import os
import select
import socket
import threading
import time
import uuid
from collections import OrderedDict, defaultdict
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0  # a heartbeat key is written this often...
HEALTHY_WITHIN = (
    3 * HEARTBEAT_SECONDS
)  # ...and copies are served only while its announcement came this recently
FLUSH_SECONDS = 0.1  # counts of requests served from copies reach Valkey this often
CONNECTION_NAME = "solar-sim-tracking"
HEARTBEAT_PREFIX = "ss:hb:"
MAX_READS = 256  # announcements read in one go
# Errors worth retrying while setting tracking up; any other answer is a refusal.
TRANSIENT = ("BUSY", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "READONLY")


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


class TrackingSilent(redis.ConnectionError):
    """CLIENT TRACKING was accepted, but no announcement arrives."""


class Tracker:
    """The thread that keeps a process's copies coherent and flushes its counts.

    ``serving()`` says whether a tracked copy may be served right now;
    ``count()`` records a request served from a copy and returns the client's
    estimated count in the current window (Valkey's last known total plus this
    process's requests not added yet).

    After its setup the tracking connection only listens: the heartbeat is a
    key of this process's own (``ss:hb:<host>:<pid>:<random>``, tracked as a
    second prefix) that the thread writes every second through a client of
    its own, and whose announcement proves that announcements reach this
    process. A connection that sent no command has no reply of its own
    waiting, so Valkey (with its default ``io-threads 1``) writes an
    announcement to it before the answer to the write that caused it; each
    heartbeat checks that this still holds (``late_announcements``).
    """

    def __init__(self, *, url: str, copies: LocalCopies, prefix: str):
        self.url = url
        self.copies = copies
        self.prefix = prefix
        self._prefix_bytes = prefix.encode()
        # Counts and heartbeats: a client of the thread's own, which fails fast
        # (no retries) so the thread never waits long on a stalled Valkey.
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, retry=Retry(NoBackoff(), 0)
        )
        self.late_announcements = 0  # heartbeats answered before their announcement arrived
        self.heartbeat_key = f"{HEARTBEAT_PREFIX}{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._heartbeat_bytes = self.heartbeat_key.encode()
        self._sock = None
        self._reading = False
        self._last_heartbeat = -math.inf  # when our heartbeat's announcement last arrived
        self._proven = False  # a heartbeat came back on the current connection
        self._pending: dict[str, list[int]] = {}  # counter key -> [requests not sent yet, ttl]
        self._stats: defaultdict[tuple[str, int], int] = defaultdict(int)  # (stats key, ttl) -> requests
        self._touched: set[str] = set()  # entry keys served from copies since the last batch
        self._known: dict[str, tuple[int, float]] = {}  # counter key -> (Valkey's total, forget after)
        self._sending: dict[str, list[int]] = {}  # the batch being added to Valkey right now
        self._counts_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one batch at a time
        self._next_prune = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="valkey-tracking", daemon=True)
        self._thread.start()
        atexit.register(self.stop)  # a worker recycled by gunicorn sends its last counts

    # --- used by request threads -------------------------------------------------

    def serving(self) -> bool:
        """True when nothing could make a tracked copy out of date right now.

        The order matters: the socket first (an announcement waiting there),
        then whether the thread is reading (it may hold one it took from the
        socket); the caller then checks that no invalidation was applied
        since it took its token.
        """
        sock = self._sock
        if sock is None or time.monotonic() - self._last_heartbeat > HEALTHY_WITHIN:
            return False
        try:
            readable = _readable(sock, 0)
        except (OSError, ValueError):  # closed under us
            return False
        return not readable and not self._reading

    def alive(self) -> bool:
        return self._thread.is_alive()

    def count(
        self, counter_key: str, counter_ttl: int, stats_key: str, stats_ttl: int, entry_key: str
    ) -> int:
        with self._counts_lock:
            pending = self._pending.get(counter_key)
            if pending is None:
                pending = self._pending[counter_key] = [0, counter_ttl]
            pending[0] += 1
            self._stats[(stats_key, stats_ttl)] += 1
            self._touched.add(entry_key)
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
            self._touched.clear()
            self._known.clear()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    # --- the thread ------------------------------------------------------------

    def flush(self) -> None:
        """Add the requests served from copies to the Valkey counters (one pipeline).

        The entries served are TOUCHed as well, so that Valkey's LRU eviction
        sees them as used although their hits did not read them there.
        """
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        now = time.monotonic()
        with self._counts_lock:
            pending, self._pending = self._pending, {}
            stats, self._stats = self._stats, defaultdict(int)
            touched, self._touched = self._touched, set()
            self._sending = pending
            if now >= self._next_prune:
                for key in [key for key, (_, forget_after) in self._known.items() if forget_after < now]:
                    del self._known[key]
                self._next_prune = now + HEARTBEAT_SECONDS
        if not pending and not stats:
            return
        # A transaction: a counter never exists without its expiry.
        pipe = self._client.pipeline(transaction=True)
        for key, (requests, ttl) in pending.items():
            pipe.incrby(key, requests)
            pipe.expire(key, ttl)
        for (key, ttl), requests in stats.items():
            pipe.hincrby(key, "requests", requests)
            pipe.expire(key, ttl)
        if touched:
            pipe.touch(*touched)
        try:
            results = pipe.execute()
        except redis.RedisError:
            logger.warning("could not add %d request counts to Valkey; dropped", len(pending), exc_info=True)
            with self._counts_lock:
                self._sending = {}
            return
        with self._counts_lock:
            self._sending = {}
            for index, (key, (_, ttl)) in enumerate(pending.items()):
                known = self._known.get(key)
                total = max(results[2 * index], known[0] if known is not None else 0)
                self._known[key] = (total, now + ttl)

    def _connect(self) -> redis.Connection:
        pool = redis.ConnectionPool.from_url(
            self.url, socket_connect_timeout=1.0, socket_timeout=HEALTHY_WITHIN
        )
        pool.connection_kwargs["protocol"] = 3  # announcements come as RESP3 pushes, whatever the URL says
        connection = pool.make_connection()
        connection.connect()
        # The handler redis-py itself uses for its client-side cache.
        connection._parser.set_invalidation_push_handler(self._invalidated)
        for command in (
            ("CLIENT", "SETNAME", CONNECTION_NAME),
            ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", self.prefix, "PREFIX", self.heartbeat_key),
        ):
            connection.send_command(*command)
            connection.read_response()
        return connection

    def _invalidated(self, message):
        keys = message[1]
        if keys is None:  # FLUSHDB / FLUSHALL
            self.copies.invalidate(None)
            return message
        units = []
        cut = len(self._prefix_bytes)
        for key in keys:
            if key.startswith(self._prefix_bytes):
                units.append(key[cut:].decode(errors="replace"))
            elif key == self._heartbeat_bytes:
                self._last_heartbeat = time.monotonic()
                self._proven = True
        if units:
            self.copies.invalidate(units)
        return message

    def _lost(self) -> None:
        """Nothing is served from copies until tracking is proven again."""
        self._sock = None
        self._last_heartbeat = -math.inf
        self.copies.set_tracking(False)

    def _heartbeat(self, sock) -> None:
        """Write the heartbeat key; its announcement must come back on ``sock``."""
        try:
            self._client.set(self.heartbeat_key, "1", px=int(2000 * HEALTHY_WITHIN))
        except redis.RedisError as exc:  # OOM, READONLY...: the heartbeat goes silent, which is handled
            logger.warning("could not write the tracking heartbeat: %s", exc)
            return
        # The announcement should be on the socket already (see the class docstring).
        if self._proven and not _readable(sock, 0):
            if not self.late_announcements:
                logger.warning(
                    "a tracking announcement arrived after the write was answered (Valkey on another "
                    "host, or with io-threads): a copy may be served for up to that delay after a write"
                )
            self.late_announcements += 1

    def _listen(self, connection: redis.Connection) -> None:
        sock = self._sock = connection._sock
        self.copies.set_tracking(True)
        connected_at = next_heartbeat = next_flush = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now - max(self._last_heartbeat, connected_at) > HEALTHY_WITHIN:
                raise TrackingSilent("no announcement of the heartbeat arrived")
            if now >= next_heartbeat:
                self._heartbeat(sock)
                next_heartbeat = now + HEARTBEAT_SECONDS
            if now >= next_flush:
                self.flush()
                next_flush = now + FLUSH_SECONDS
            wait = max(0.0, min(next_heartbeat, next_flush) - time.monotonic())
            # Poll the socket itself: nothing may be read from it outside the
            # _reading window below (serving() relies on that).
            if _readable(sock, wait):
                self._reading = True
                try:
                    for _ in range(MAX_READS):  # then heartbeats and counts get their turn
                        if not connection.can_read(timeout=0):
                            break
                        connection.read_response(push_request=True)
                except BaseException:
                    self._lost()  # before _reading is cleared: no request may trust the socket now
                    raise
                finally:
                    self._reading = False

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            connection = None
            problem = None
            self._proven = False
            try:
                connection = self._connect()
                self._listen(connection)
            except redis.ResponseError as exc:
                if not isinstance(exc, redis.exceptions.NoPermissionError) and str(exc).startswith(TRANSIENT):
                    problem = f"Valkey tracking not set up ({exc})"
                else:  # unknown command, no permission, a proxy that does not support it
                    logger.warning("Valkey refused client tracking (%s): every cache hit asks Valkey", exc)
                    self._stop.set()
            except TrackingSilent as exc:
                problem = f"Valkey tracking gives no announcements ({exc})"
            except (redis.RedisError, OSError) as exc:
                problem = f"Valkey tracking connection lost ({exc})"
            except Exception:
                logger.exception("Valkey tracking failed")
                problem = "Valkey tracking failed"
            finally:
                self._lost()
                if connection is not None:
                    connection.disconnect()
            # Back off from 0.5 s up to 10 s, starting afresh after a connection that had worked.
            delay = 0.5 if self._proven else min(delay * 2, 10.0)
            if problem is not None and not self._stop.is_set():
                logger.warning("%s; retrying in %.1f s", problem, delay)
            self._send_counts()
            if self._stop.wait(delay):
                break
        self._send_counts()
        atexit.unregister(self.stop)

    def _send_counts(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("could not send request counts", exc_info=True)


def _readable(sock, timeout: float) -> bool:
    """True when ``sock`` has bytes (or EOF, or an error) to read, within ``timeout`` seconds."""
    if getattr(sock, "pending", None) is not None and sock.pending():
        return True  # TLS: bytes decrypted above the OS socket
    # poll(), not select(): no limit on the descriptor's number.
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))  # POLLHUP/POLLERR count too
