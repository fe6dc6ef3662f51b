"""The Django cache backend: django-redis, failing open when Valkey is down.

The Django cache holds allauth's login-limit history (the data endpoints'
per-client limits are counted in Valkey directly, upstream/api/throttles.py). With
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
"""

import logging
import threading

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

_unsure_keys: set[str] = set()
_unsure_lock = threading.Lock()


class FailOpenRedisCache(RedisCache):
    def add(self, key, *args, **kwargs) -> bool:
        if _unsure_keys:
            self._forget_unsure()
        try:
            return self.client.add(key, *args, **kwargs)
        except ConnectionInterrupted as exc:
            if not self._ignore_exceptions:
                raise exc.__cause__ from exc
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
