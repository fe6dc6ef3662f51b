"""Keeping a process's copies coherent with Valkey: the tracking thread.

One background thread per process (``Tracker``) holds a dedicated RESP3
connection on which Valkey's client-side caching support
(``CLIENT TRACKING ON BCAST PREFIX ss:e:``) announces every write, deletion,
expiry or eviction of any entry key, whoever made it; the thread drops the
process's copy of that unit at once (local_copies.py).

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

The same thread sends the counts of requests served from copies
(client_counts.py) every ``FLUSH_SECONDS``.
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
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection
from redis.retry import Retry

from .client_counts import FLUSH_SECONDS, ClientCounts
from .local_copies import LocalCopies

logger = logging.getLogger(__name__)

# A heartbeat key is written this often, and copies are served only while its
# announcement came back this recently.
HEARTBEAT_SECONDS = 1.0
HEALTHY_WITHIN = 3 * HEARTBEAT_SECONDS
CONNECTION_NAME = "solar-sim-tracking"
HEARTBEAT_PREFIX = "ss:hb:"
MAX_READS = 256  # announcements read in one go
# Errors worth retrying while setting tracking up; any other answer is a refusal.
TRANSIENT = ("BUSY", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "READONLY")


class TrackingSilent(redis.ConnectionError):
    """CLIENT TRACKING was accepted, but no announcement arrives."""


class Tracker:
    """The thread that keeps a process's copies coherent and sends its counts.

    ``serving()`` says whether a tracked copy may be served right now.

    After its setup the tracking connection only listens: the heartbeat is a
    key of this process's own (``ss:hb:<host>:<pid>:<random>``, tracked as a
    second prefix) that the thread writes every second through a client of
    its own, and whose announcement proves that announcements reach this
    process. A connection that sent no command has no reply of its own
    waiting, so Valkey (with its default ``io-threads 1``) writes an
    announcement to it before the answer to the write that caused it; each
    heartbeat checks that this still holds (``late_announcements``).
    """

    def __init__(self, *, url: str, copies: LocalCopies[Any], prefix: str, counts: ClientCounts):
        self.url = url
        self.copies = copies
        self.counts = counts
        self.prefix = prefix
        self._prefix_bytes = prefix.encode()
        # Heartbeats: a client of the thread's own, which fails fast (no
        # retries) so the thread never waits long on a stalled Valkey.
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, retry=Retry(NoBackoff(), 0)
        )
        self.late_announcements = 0  # heartbeats answered before their announcement arrived
        self.heartbeat_key = f"{HEARTBEAT_PREFIX}{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._heartbeat_bytes = self.heartbeat_key.encode()
        self._sock: socket.socket | None = None  # the tracking connection's, while it listens
        self._reading = False
        self._last_heartbeat = -math.inf  # when our heartbeat's announcement last arrived
        self._proven = False  # a heartbeat came back on the current connection
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

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    # --- the thread ------------------------------------------------------------

    def _connect(self) -> AbstractConnection:
        pool = redis.ConnectionPool.from_url(
            self.url, socket_connect_timeout=1.0, socket_timeout=HEALTHY_WITHIN
        )
        pool.connection_kwargs["protocol"] = 3  # announcements come as RESP3 pushes, whatever the URL says
        # Typed as the interface; a pool from a URL makes one of redis-py's socket connections.
        connection = cast(AbstractConnection, pool.make_connection())
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

    def _invalidated(self, message: list[Any]) -> list[Any]:
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

    def _heartbeat(self, sock: socket.socket) -> None:
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

    def _listen(self, connection: AbstractConnection) -> None:
        # cast: connected by _connect; redis-py's attribute is typed from its __init__ (None).
        sock = self._sock = cast(socket.socket, connection._sock)
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
                self.counts.flush()
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
            self.counts.send()
            if self._stop.wait(delay):
                break
        self.counts.send()
        atexit.unregister(self.stop)


def _readable(sock: socket.socket, timeout: float) -> bool:
    """True when ``sock`` has bytes (or EOF, or an error) to read, within ``timeout`` seconds."""
    pending = getattr(sock, "pending", None)
    if pending is not None and pending():
        return True  # TLS: bytes decrypted above the OS socket
    # poll(), not select(): no limit on the descriptor's number.
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))  # POLLHUP/POLLERR count too
