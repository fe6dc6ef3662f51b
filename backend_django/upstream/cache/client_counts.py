"""Requests answered from a process's copies, counted in memory and sent in batches.

A hit served from a tracked copy (tracking.py) makes no Valkey round trip,
but it still counts: against the client's read limit (``ss:rl:...``) and in
the endpoint's statistics (``ss:stats:...``). ``ClientCounts`` keeps those
counts in process memory and the tracking thread adds them to Valkey every
``FLUSH_SECONDS`` in one transaction, together with a TOUCH of the entries
served (so that LRU eviction sees them used). All processes still share one
read limit, with that much delay.
"""

import logging
import threading
import time
from collections import defaultdict

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.1  # counts of requests served from copies reach Valkey this often
PRUNE_SECONDS = 1.0  # totals learnt from Valkey are forgotten this often once their window ended


class ClientCounts:
    """The requests a process answered from its copies, not yet added to Valkey.

    ``count()`` records one and returns the client's estimated count in the
    current window: Valkey's last known total plus this process's requests
    not added yet.
    """

    def __init__(self, *, url: str):
        # A client of its own that fails fast (no retries), so that a stalled
        # Valkey never holds the thread that sends the counts for long.
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, retry=Retry(NoBackoff(), 0)
        )
        self._pending: dict[str, list[int]] = {}  # counter key -> [requests not sent yet, ttl]
        self._stats: defaultdict[tuple[str, int], int] = defaultdict(int)  # (stats key, ttl) -> requests
        self._touched: set[str] = set()  # entry keys served from copies since the last batch
        self._known: dict[str, tuple[int, float]] = {}  # counter key -> (Valkey's total, forget after)
        self._sending: dict[str, list[int]] = {}  # the batch being added to Valkey right now
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one batch at a time
        self._next_prune = 0.0

    def count(
        self, counter_key: str, counter_ttl: int, stats_key: str, stats_ttl: int, entry_key: str
    ) -> int:
        with self._lock:
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
        with self._lock:
            known = self._known.get(counter_key)
            if known is None or known[0] < total:
                self._known[counter_key] = (total, time.monotonic() + counter_ttl)
            pending = self._pending.get(counter_key)
            return total + (pending[0] if pending else 0)

    def forget(self) -> None:
        """Drop counts not sent yet and the totals last seen (tests start afresh)."""
        with self._flush_lock, self._lock:
            self._pending.clear()
            self._stats.clear()
            self._touched.clear()
            self._known.clear()

    def flush(self) -> None:
        """Add the counts to the Valkey counters and TOUCH the entries served (one transaction)."""
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        now = time.monotonic()
        with self._lock:
            pending, self._pending = self._pending, {}
            stats, self._stats = self._stats, defaultdict(int)
            touched, self._touched = self._touched, set()
            self._sending = pending
            if now >= self._next_prune:
                for key in [key for key, (_, forget_after) in self._known.items() if forget_after < now]:
                    del self._known[key]
                self._next_prune = now + PRUNE_SECONDS
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
            with self._lock:
                self._sending = {}
            return
        with self._lock:
            self._sending = {}
            for index, (key, (_, ttl)) in enumerate(pending.items()):
                known = self._known.get(key)
                total = max(results[2 * index], known[0] if known is not None else 0)
                self._known[key] = (total, now + ttl)

    def send(self) -> None:
        """Flush, logging rather than raising (at exit, after a lost connection)."""
        try:
            self.flush()
        except Exception:
            logger.warning("could not send request counts", exc_info=True)
