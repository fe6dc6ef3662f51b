"""One request at a time, spaced out: the limiter of the geocoder.

Nominatim's public instance allows an application (all its users together)
one thread and at most one request per second. ``Turns`` holds that for the
whole deployment, whatever the number of workers and hosts: one key in
Valkey is the turn. A worker takes it (``SET NX`` with a lease longer than
any request can take) before it calls out; when the answer is in, it swaps
its token for a pause of ``interval`` seconds. So each request leaves at
least ``interval`` after the previous answer arrived, which is after the
upstream received the previous request: the upstream never sees two requests
closer than ``interval``, whatever the network's delays. A worker that died
frees the turn when its lease ends; after a 429 the pause is the upstream's
Retry-After (or a few seconds).

Nothing here waits: a taken turn raises ``BudgetWait`` with the
seconds left, and the caller decides (a worker through jobs/retry.py).
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from backend_django.core.lua import lua_script
from backend_django.core.valkey import get_valkey

from ..clients.http import UpstreamError
from ..upstreams import Turn, Upstream
from .budgets import BudgetWait, lease_seconds, limit_prefix


class Turns:
    """A one-at-a-time turn with a pause after each answer, shared through Valkey (``Turn``)."""

    def __init__(self, upstream: Upstream):
        assert isinstance(upstream.limit, Turn)
        self.upstream_spec = upstream
        self.upstream = upstream.name
        self.key = f"{limit_prefix(upstream.name)}turn"
        self.interval_setting = upstream.limit.interval

    def interval(self) -> float:
        return float(getattr(settings, self.interval_setting))

    def try_take(self) -> tuple[str | None, float]:
        """(token, 0) when the turn is ours, else (None, seconds until it may be free)."""
        token = secrets.token_hex(8)
        wait_ms = lua_script(__file__, "turn_acquire")(
            keys=[self.key],
            args=[token, int(lease_seconds(self.upstream_spec) * 1000), int(self.interval() * 1000)],
            client=get_valkey(),
        )
        if wait_ms == 0:
            return token, 0.0
        return None, wait_ms / 1000

    def give_back(self, token: str, pause: float | None = None) -> bool:
        """End our turn with a pause (``interval`` by default); False if our lease had ended."""
        pause_ms = int(max(self.interval(), pause or 0) * 1000)
        return bool(
            lua_script(__file__, "turn_release")(keys=[self.key], args=[token, pause_ms], client=get_valkey())
        )

    @contextmanager
    def hold(self, pool: str = "interactive", weight: float = 1.0, max_wait: float = 0.0) -> Iterator[None]:
        """Hold the turn for the block; raises BudgetWait when someone else has it
        (the turn is never waited for here: it is a second at most, and the caller decides)."""
        token, wait = self.try_take()
        if token is None:
            raise BudgetWait(self.upstream, wait)
        pause = None
        try:
            yield
        except UpstreamError as error:
            if error.status == 429:
                pause = error.retry_after or settings.UPSTREAM_RETRY_BASE_DELAY * 4
            raise
        finally:
            self.give_back(token, pause)
