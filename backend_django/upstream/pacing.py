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

Nothing here waits: a taken turn raises ``limits.BudgetWait`` with the
seconds left, and the caller decides (a worker through retry_policy.py).
"""

import secrets
from contextlib import contextmanager

from django.conf import settings

from backend_django.core.valkey import get_valkey

from .clients.http import UpstreamError
from .limits import BudgetWait
from .lua import script

GEOCODER_TURN_KEY = "ss:lim:geo:turn"


class Turns:
    """A one-at-a-time turn with a pause after each answer, shared through Valkey."""

    def __init__(self, *, key: str, upstream: str, interval_setting: str, lease_seconds):
        self.key = key
        self.upstream = upstream
        self.interval_setting = interval_setting
        self.lease_seconds = lease_seconds

    def interval(self) -> float:
        return float(getattr(settings, self.interval_setting))

    def try_take(self) -> tuple[str | None, float]:
        """(token, 0) when the turn is ours, else (None, seconds until it may be free)."""
        token = secrets.token_hex(8)
        wait_ms = script("turn_acquire")(
            keys=[self.key],
            args=[token, int(self.lease_seconds() * 1000), int(self.interval() * 1000)],
            client=get_valkey(),
        )
        if wait_ms == 0:
            return token, 0.0
        return None, wait_ms / 1000

    def give_back(self, token: str, pause: float | None = None) -> bool:
        """End our turn with a pause (``interval`` by default); False if our lease had ended."""
        pause_ms = int(max(self.interval(), pause or 0) * 1000)
        return bool(script("turn_release")(keys=[self.key], args=[token, pause_ms], client=get_valkey()))

    @contextmanager
    def turn(self):
        """Hold the turn for the block; raises BudgetWait when someone else has it."""
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


GeocoderTurns = Turns(
    key=GEOCODER_TURN_KEY,
    upstream="geocoder",
    interval_setting="GEOCODER_MIN_INTERVAL_SECONDS",
    lease_seconds=lambda: settings.UPSTREAM_CONNECT_TIMEOUT + settings.GEOCODER_READ_TIMEOUT + 5,
)


def geocoder_turn():
    """The deployment's one geocoder request at a time (see the module's docstring)."""
    return GeocoderTurns.turn()
