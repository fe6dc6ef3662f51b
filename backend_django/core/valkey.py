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
from typing import Any, cast
from urllib.parse import SplitResult, urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ClusterDownError, MasterDownError, RedisClusterException, TryAgainError
from redis.retry import Retry
from redis.sentinel import Sentinel

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


# --- A Valkey Cluster (VALKEY_CLUSTER, or a "+cluster" URL scheme) ---------------


def is_cluster_url(url: str) -> bool:
    """``valkey+cluster://h1:p1,h2:p2/`` (or ``redis+cluster``, ``valkeys+cluster``, ``rediss+cluster``)."""
    return urlsplit(url).scheme.endswith("+cluster")


def cluster_nodes(url: str) -> list[ClusterNode]:
    """The seed nodes of a cluster URL, or the one node of a plain URL."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    nodes = []
    for seed in netloc.split(","):
        host, _, port = seed.rpartition(":") if ":" in seed else (seed, "", "6379")
        nodes.append(ClusterNode(host or "127.0.0.1", int(port or 6379)))
    return nodes


# What a cluster answers while a primary is being replaced: refused
# connections to the dead one, then CLUSTERDOWN / TRYAGAIN until a replica
# has its slots. Retried, backing off, for VALKEY_CLUSTER_FAILOVER_SECONDS; a
# timeout is not (the command may have run: decisions/0018).
_FAILOVER_ERRORS = (redis.ConnectionError, ClusterDownError, TryAgainError, MasterDownError)


def _through_failover(call):
    deadline = time.monotonic() + settings.VALKEY_CLUSTER_FAILOVER_SECONDS
    delay = 0.05
    while True:
        try:
            return call()
        except redis.TimeoutError:
            raise
        except _FAILOVER_ERRORS:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class FailoverRedisCluster(RedisCluster):
    """RedisCluster whose commands and pipelines wait out a failover (redis-py
    retries at once, before the replica has taken the slots over)."""

    def execute_command(self, *args, **kwargs):
        return _through_failover(lambda: super(FailoverRedisCluster, self).execute_command(*args, **kwargs))

    def pipeline(self, transaction=None, shard_hint=None):
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)
        execute = pipe.execute

        # redis-py 8 queues a cluster pipeline's commands in its execution
        # strategy, and a failed execute clears them: they are queued again.
        strategy = pipe._execution_strategy  # redis-py's own attribute

        def execute_through_failover(raise_on_error: bool = True) -> list[Any]:
            queued = list(strategy.command_queue)

            def attempt() -> list[Any]:
                if not strategy.command_queue:
                    strategy.command_queue = list(queued)
                return execute(raise_on_error)

            return _through_failover(attempt)

        pipe.execute = execute_through_failover
        return pipe


def _cluster_client(url: str) -> RedisCluster:
    parts = urlsplit(url)
    try:
        return _new_cluster_client(url, parts)
    except RedisClusterException as exc:  # no seed node answered: as unreachable as a refused connection
        raise ValkeyUnavailable(f"no node of the Valkey Cluster at {parts.netloc} answered: {exc}") from exc


def _new_cluster_client(url: str, parts: SplitResult) -> RedisCluster:
    return FailoverRedisCluster(
        startup_nodes=cluster_nodes(url),
        username=parts.username or None,
        password=parts.password or None,
        ssl=parts.scheme.startswith(("valkeys", "rediss")),
        socket_connect_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        socket_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        health_check_interval=30,
    )


def is_cluster() -> bool:
    """True when the cache and job records live on a Valkey Cluster (settings.VALKEY_CLUSTER)."""
    return bool(settings.VALKEY_CLUSTER)


@cache
def get_valkey() -> redis.Redis:
    if settings.VALKEY_CLUSTER:
        # cast: RedisCluster has the commands (and pipeline) of redis.Redis, routed
        # by key slot; the callers use no command a cluster refuses (see
        # docs/decisions/0027-valkey-cluster-and-sentinel.md). No circuit: the
        # cluster client finds the replica that took over a primary that stopped.
        return cast(redis.Redis, _cluster_client(settings.VALKEY_URL))
    return CircuitRedis.from_url(
        settings.VALKEY_URL,
        socket_connect_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        socket_timeout=settings.VALKEY_SOCKET_TIMEOUT,
        health_check_interval=30,
        retry=_retry(),
    )


# --- The broker: one Valkey, or a primary found through Sentinel -----------------


def is_sentinel_url(url: str) -> bool:
    return url.startswith("sentinel://")


def sentinel_addresses(url: str) -> list[tuple[str, int]]:
    """The Sentinels of kombu's ``sentinel://h1:p1;sentinel://h2:p2`` broker URL."""
    found = []
    for part in url.split(";"):
        parts = urlsplit(part.strip())
        if parts.hostname:
            found.append((parts.hostname, parts.port or 26379))
    return found


def broker_client(url: str, *, socket_timeout: float) -> redis.Redis:
    """A client of the broker's current primary (asked of the Sentinels for a sentinel URL)."""
    if is_sentinel_url(url):
        sentinel = Sentinel(
            sentinel_addresses(url), socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
        )
        return sentinel.master_for(
            settings.CELERY_BROKER_MASTER_NAME,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
        )
    return redis.Redis.from_url(url, socket_connect_timeout=socket_timeout, socket_timeout=socket_timeout)


def ping_through_circuit(url: str) -> None:
    """Raise if the server at ``url`` does not answer within VALKEY_SOCKET_TIMEOUT;
    at once (``ValkeyUnavailable``) while its circuit is open. A timeout opens
    it, an answer closes it. A cluster URL pings the cluster (any node that
    answers for it); a sentinel URL the primary the Sentinels name."""
    timeout = settings.VALKEY_SOCKET_TIMEOUT
    if is_cluster_url(url) or (url == settings.VALKEY_URL and settings.VALKEY_CLUSTER):
        get_valkey().ping()
        return
    client = broker_client(url, socket_timeout=timeout)
    try:
        circuit_for_url(url.split(";")[0]).call(client.ping)
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
    broker_url = conf.broker_write_url or conf.broker_url or settings.VALKEY_URL
    broker_circuit = circuit_for_url(broker_url.split(";")[0])  # the first Sentinel of a sentinel:// URL
    broker_circuit.check()
    started = time.monotonic()

    def failed(exc: BaseException, interval: float) -> None:
        if _is_timeout(exc):
            broker_circuit.trip(started)
            raise ValkeyUnavailable(f"the broker did not answer: {exc}") from exc

    policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0, "errback": failed}
    if is_sentinel_url(broker_url):
        # A refused connection while the Sentinels promote the replica: tried
        # again, every half second, for as long as a failover takes.
        retries = math.ceil(settings.VALKEY_CLUSTER_FAILOVER_SECONDS / 0.5)
        policy.update(max_retries=retries, interval_start=0.25, interval_step=0.25, interval_max=0.5)
    try:
        current_app.send_task(name, args=args, queue=queue, retry_policy=policy, **options)
    except Exception as exc:
        if _is_timeout(exc):
            broker_circuit.trip(started)
        raise
    broker_circuit.close()
