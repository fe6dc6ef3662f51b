"""The process-wide Valkey client (redis-py with the hiredis parser), and the
circuit that keeps a Valkey that stopped answering from slowing every request.

Django's cache framework is used for the login limits; code that needs
Valkey itself (the upstream cache store, job records, budgets, the data
endpoints' per-client limits, health) uses this client, one connection pool
per process.

A Valkey that refuses connections fails at once; one that accepts them but
does not answer (stopped, swapping, a dead host behind a live port) makes each
call wait for its socket timeout, VALKEY_SOCKET_TIMEOUT. So that this costs
one timeout and not one per call, every client here (this one, the Django
cache's, the enqueueing of tasks from a request) goes through a circuit per
server, in this process: after a timeout, calls to that server fail at once
with ``ValkeyUnavailable`` (a redis ``ConnectionError``, so every handler of
an unreachable Valkey handles it) for VALKEY_CIRCUIT_SECONDS; then one call
is let through to try again, and its answer closes the circuit
(docs/decisions/0018-valkey-circuit.md).
"""

import logging
import math
import threading
import time
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

logger = logging.getLogger(__name__)


class ValkeyUnavailable(redis.ConnectionError):
    """Valkey did not answer a moment ago, so it is not asked again yet."""


# The circuits' clock (time.monotonic); tests move it on instead of sleeping.
clock = time.monotonic


class Circuit:
    """Open for VALKEY_CIRCUIT_SECONDS after a timeout of one server's calls.

    Process-local and thread-safe. While open, ``check`` raises; when the
    window has passed, one caller is let through (and the window is extended
    for the others) until a call answers (``close``) or times out again.

    A timeout opens it only when nothing this process asked of the server was
    answered while the timed-out call waited: a server that answers other
    calls meanwhile is there, only slow for this one (a busy machine), and
    skipping it would turn a slow moment into seconds of 503s.
    """

    def __init__(self, server: str) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._open_until = 0.0  # clock(); 0: closed
        self._last_answer = 0.0  # clock() of the latest answered call

    @property
    def is_open(self) -> bool:
        return bool(self._open_until)

    def check(self) -> None:
        if not self._open_until:  # closed: the path of every call
            return
        with self._lock:
            now = clock()
            if now < self._open_until:
                raise ValkeyUnavailable(
                    f"Valkey at {self.server} did not answer a moment ago; not asked again for "
                    f"{self._open_until - now:.1f} s"
                )
            if self._open_until:  # the window has passed: this call tries again
                self._open_until = now + settings.VALKEY_CIRCUIT_SECONDS

    def trip(self, started: float | None = None) -> None:
        """A call (begun at ``started``, clock()) timed out: open, unless
        another call was answered since it began."""
        if started is not None and self._last_answer > started:
            return
        with self._lock:
            was_open = bool(self._open_until)
            self._open_until = clock() + settings.VALKEY_CIRCUIT_SECONDS
        if not was_open:
            logger.warning(
                "Valkey at %s did not answer within %.2f s: skipping it for %.1f s",
                self.server,
                settings.VALKEY_SOCKET_TIMEOUT,
                settings.VALKEY_CIRCUIT_SECONDS,
            )

    def close(self) -> None:
        self._last_answer = clock()
        if not self._open_until:
            return
        with self._lock:
            was_open, self._open_until = bool(self._open_until), 0.0
        if was_open:
            logger.info("Valkey at %s answers again", self.server)

    def reset(self) -> None:
        self._open_until = 0.0

    def call(self, function, *args, **kwargs):
        """``function(*args, **kwargs)`` through the circuit."""
        self.check()
        started = clock()
        try:
            result = function(*args, **kwargs)
        except redis.TimeoutError:
            self.trip(started)
            raise
        self.close()
        return result


_circuits: dict[str, Circuit] = {}
_circuits_lock = threading.Lock()


def circuit_for(host: str | None, port: int | str | None) -> Circuit:
    """The circuit of the server at host:port (one per server and process)."""
    server = f"{host or 'localhost'}:{port or 6379}"
    found = _circuits.get(server)
    if found is None:
        with _circuits_lock:
            found = _circuits.setdefault(server, Circuit(server))
    return found


def circuit_for_url(url: str) -> Circuit:
    parts = urlsplit(url)
    return circuit_for(parts.hostname, parts.port)


def reset_circuits() -> None:
    """Close every circuit (tests; a process that knows Valkey is back)."""
    for found in list(_circuits.values()):
        found.reset()


def retry_after_seconds() -> int:
    """What a 503 for an unreachable Valkey tells clients to wait (Retry-After)."""
    return max(1, math.ceil(settings.VALKEY_CIRCUIT_SECONDS))


def _pool_circuit(pool: redis.ConnectionPool) -> Circuit:
    found = getattr(pool, "_solar_sim_circuit", None)  # one lookup per pool, not per call
    if found is None:
        kwargs = pool.connection_kwargs
        found = circuit_for(kwargs.get("host"), kwargs.get("port"))
        pool._solar_sim_circuit = found  # type: ignore[attr-defined]  # our own attribute on redis-py's pool
    return found


class CircuitRedis(redis.Redis):
    """redis.Redis whose commands and pipelines go through the server's circuit.

    Also the Django cache's client class (REDIS_CLIENT_CLASS, settings CACHES).
    """

    def execute_command(self, *args, **options):
        return _pool_circuit(self.connection_pool).call(super().execute_command, *args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> "CircuitPipeline":
        return CircuitPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


class CircuitPipeline(Pipeline):
    def execute(self, raise_on_error: bool = True) -> list[Any]:
        return _pool_circuit(self.connection_pool).call(super().execute, raise_on_error)

    def immediate_execute_command(self, *args, **options):
        return _pool_circuit(self.connection_pool).call(super().immediate_execute_command, *args, **options)


# A connection the server dropped (a restart) is retried once on a new one; a
# timeout never is: the server is there but not answering, and asking again
# only doubles the wait.
def _retry() -> Retry:
    return Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))


@cache
def get_valkey() -> redis.Redis:
    return CircuitRedis.from_url(
        settings.VALKEY_URL,
        socket_connect_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        socket_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        health_check_interval=30,
        retry=_retry(),
    )


def ping_through_circuit(url: str) -> None:
    """Raise if the server at ``url`` does not answer within VALKEY_SOCKET_TIMEOUT;
    at once (``ValkeyUnavailable``) while its circuit is open. A timeout opens
    it, an answer closes it."""
    timeout = settings.VALKEY_SOCKET_TIMEOUT
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        circuit_for_url(url).call(client.ping)
    finally:
        client.close()


# --- Enqueueing a task from a request -------------------------------------------


def _is_timeout(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, redis.TimeoutError | TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def send_task(name: str, *, args: list | tuple = (), queue: str | None = None, **options: Any) -> None:
    """Send a Celery task by name from a request, within about one socket timeout.

    Fails at once while the broker's circuit is open. A publish that times
    out opens it and is not retried; one on a connection the broker dropped
    is retried once. (Celery's own default retries three times, with pauses,
    which a person waits through.)
    """
    from celery import current_app

    conf = current_app.conf
    broker_circuit = circuit_for_url(conf.broker_write_url or conf.broker_url or settings.VALKEY_URL)
    broker_circuit.check()
    started = time.monotonic()

    def failed(exc: BaseException, interval: float) -> None:
        if _is_timeout(exc):
            broker_circuit.trip(started)
            raise ValkeyUnavailable(f"the broker did not answer: {exc}") from exc

    policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0, "errback": failed}
    try:
        current_app.send_task(name, args=args, queue=queue, retry_policy=policy, **options)
    except Exception as exc:
        if _is_timeout(exc):
            broker_circuit.trip(started)
        raise
    broker_circuit.close()
