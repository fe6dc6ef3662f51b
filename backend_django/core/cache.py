"""The Django cache backend: django-redis, failing open when Valkey is down.

The Django cache holds allauth's login-limit history (the data endpoints'
per-client limits are counted in Valkey directly, upstream/http/throttles.py). With
IGNORE_EXCEPTIONS, django-redis turns connection errors into "nothing
cached"; ``add()`` would then report failure, which makes allauth's rate-limit
lock fail *closed* and refuse every login. Reporting success instead keeps
sign-in working through a Valkey outage (without limits until it returns).

Its client is core.valkey.CircuitRedis (settings CACHES): a Valkey that stops
answering costs one socket timeout, then the circuit skips it for a while.

A lock ``add()`` that timed out may still be carried out when a stopped Valkey
resumes (the command was sent, only the answer never came), while its
``delete()`` was skipped: allauth's lock would then refuse that login for its
10 s timeout ("too many attempts", wrongly). So the keys of adds whose outcome
is unknown are remembered, and deleted by the next ``add()`` once Valkey
answers again.

django-redis logs each error it ignores with its traceback: during an
outage, one per cache call. Here an outage is logged once instead: a timeout
by the circuit as it opens (core/valkey.py), a refused connection as one
WARNING line per circuit window; the traceback of that first error goes to
DEBUG, the calls skipped meanwhile are not logged.
"""

import logging
import sys
import threading
import time
from collections.abc import Collection

import redis
from django.conf import settings
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis import Redis

from .valkey import ValkeyUnavailable, get_valkey

logger = logging.getLogger(__name__)


class IgnoredErrorLog:
    """Stands in for django-redis's logger of ignored errors (its ``exception``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._quiet_until = 0.0  # time.monotonic()

    def exception(self, msg: str, *args, **kwargs) -> None:
        error = sys.exc_info()[1]
        cause = getattr(error, "__cause__", None) or error
        if isinstance(cause, ValkeyUnavailable):
            return  # skipped by the open circuit, whose opening was logged
        if isinstance(cause, redis.TimeoutError):  # it opened the circuit, which logged one line
            logger.debug("cache call timed out, ignored", exc_info=True)
            return
        with self._lock:
            now = time.monotonic()
            if now < self._quiet_until:
                return
            self._quiet_until = now + settings.VALKEY_CIRCUIT_SECONDS
        logger.warning(
            "cache unreachable (%s: %s): cache calls fail open; not logged again for %.1f s",
            type(cause).__name__,
            cause,
            settings.VALKEY_CIRCUIT_SECONDS,
        )
        logger.debug("cache call failed, ignored", exc_info=True)


_unsure_keys: set[str] = set()
_unsure_lock = threading.Lock()


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._log_ignored_exceptions = True
        self.logger = IgnoredErrorLog()

    def add(self, key, *args, **kwargs) -> bool:
        if _unsure_keys:
            self._forget_unsure()
        try:
            return self.client.add(key, *args, **kwargs)
        except ConnectionInterrupted as exc:
            if not self._ignore_exceptions:
                raise exc.__cause__ from exc
            self.logger.exception("Exception ignored")
            with _unsure_lock:
                _unsure_keys.add(key)
            return True

    def _forget_unsure(self) -> None:
        with _unsure_lock:
            keys = list(_unsure_keys)
        try:
            self.client.delete_many(keys)
        except ConnectionInterrupted:
            return  # still unreachable: the next add() tries again
        with _unsure_lock:
            _unsure_keys.difference_update(keys)
        logger.info("removed %d cache keys whose add had no answer while Valkey was unreachable", len(keys))


class SharedClusterClient(DefaultClient):
    """django-redis's client on a Valkey Cluster: the process's shared cluster
    client (core.valkey.get_valkey), so the Django cache uses the same
    connections as the rest; ``get_many`` reads key by key's slot."""

    def connect(self, index: int = 0) -> Redis:
        return get_valkey()

    def disconnect(self, index: int = 0, client: Redis | None = None) -> None:
        return None  # shared: closed with the process

    def get_many(
        self, keys: Collection[str], version: int | None = None, client: Redis | None = None
    ) -> dict:
        if client is None:
            client = self.get_client(write=False)
        if not keys:
            return {}
        map_keys = {self.make_key(k, version=version): k for k in keys}
        try:
            # mget_nonatomic: RedisCluster's MGET split by slot.
            results = client.mget_nonatomic(*map_keys)  # type: ignore[union-attr]  # a RedisCluster here
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError) as e:
            raise ConnectionInterrupted(connection=client) from e
        return {
            map_keys[key]: self.decode(value)
            for key, value in zip(map_keys, results, strict=True)
            if value is not None
        }
