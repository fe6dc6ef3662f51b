"""Each upstream's health, shared by every worker: a circuit breaker in Valkey.

After UPSTREAM_BREAKER_FAILURES transient failures in a row (5xx, 429,
timeouts, unusable bodies) from any workers, an upstream is *down* for a
cool-off: UPSTREAM_BREAKER_COOL_OFF seconds at first, doubling each time a
probe fails, up to UPSTREAM_BREAKER_MAX_COOL_OFF, and never shorter than the
upstream's Retry-After. A Retry-After longer than UPSTREAM_RETRY_MAX_DELAY
opens it at once (the upstream said so). While down:

- ``admit()`` raises ``UpstreamDown`` with the seconds until the cool-off
  ends, before any budget is reserved (budgets.py) or request sent;
- once the cool-off is over, one request at a time goes out as the *probe*
  (a lease of UPSTREAM_BREAKER_PROBE_SECONDS, so a probe whose worker died
  does not keep it shut); everyone else keeps waiting;
- the first usable answer (or a definite 4xx: the upstream is answering)
  closes it; a failed probe opens it again for longer.

    ss:health:<upstream>   hash (lua/health.lua), kept a day after its last change

``guarded()`` wraps one request in all of this; ``guards.request()`` puts
it around every upstream request (the workers' fetches and the answers
given in the request, such as the canopy Range proxy). Waiting jobs go back
to the queue (jobs/retry.py) and resume by themselves; an answer given in
the request is a 503 with Retry-After.
``states()`` is what the admin cache page and ``health/`` show.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypedDict, cast

from django.conf import settings

from backend_django.core.lua import lua_script
from backend_django.core.valkey import get_valkey

from ..clients.http import UpstreamError
from ..upstreams import NAMES, label

HEALTH_PREFIX = "ss:health:"
HEALTH_TTL = 86400
# While the probe is out, others look again this soon (at most): its answer may close it.
PROBE_POLL_SECONDS = 5.0


def health_key(upstream: str) -> str:
    return f"{HEALTH_PREFIX}{upstream}"


class UpstreamDown(Exception):
    """The upstream is down (its breaker is open): try again in ``seconds``."""

    def __init__(
        self, upstream: str, seconds: float, code: str = "", message: str = "", *, after_request: bool = False
    ):
        super().__init__(f"{upstream} is down; try again in {seconds:.0f} s")
        self.upstream = upstream
        self.seconds = seconds
        # True when this request was sent and its failure took the upstream down.
        self.after_request = after_request
        # The failure that took it down (the breaker's last error).
        self.code = code or "upstream_unavailable"
        self.message = message or f"{label(upstream)} is not answering."


@dataclass(frozen=True)
class Admission:
    upstream: str
    probe: bool  # the one request allowed through after a cool-off


def _call(upstream: str, op: str, *args: str | int | float) -> list[int]:
    result = lua_script(__file__, "health")(
        keys=[health_key(upstream)], args=[op, HEALTH_TTL, *args], client=get_valkey()
    )
    return [int(value) for value in result]


def admit(upstream: str) -> Admission:
    """May a request go to ``upstream`` now? Raises UpstreamDown when not."""
    verdict, wait_ms = _call(
        upstream,
        "admit",
        int(settings.UPSTREAM_BREAKER_PROBE_SECONDS * 1000),
        int(min(settings.UPSTREAM_BREAKER_COOL_OFF, PROBE_POLL_SECONDS) * 1000),
    )
    if verdict == 0:
        state = state_of(upstream)
        raise UpstreamDown(upstream, wait_ms / 1000, state["last_code"], state["last_message"])
    return Admission(upstream, probe=verdict == 2)


def succeeded(admission: Admission) -> None:
    """The upstream answered (with data, or a definite refusal): it is up."""
    _call(admission.upstream, "ok")


def failed(admission: Admission, error: UpstreamError) -> float | None:
    """Count a transient failure; the seconds it is down for when it now is, else None."""
    retry_after = error.retry_after or 0.0
    verdict, wait_ms = _call(
        admission.upstream,
        "fail",
        settings.UPSTREAM_BREAKER_FAILURES,
        int(settings.UPSTREAM_BREAKER_COOL_OFF * 1000),
        int(settings.UPSTREAM_BREAKER_MAX_COOL_OFF * 1000),
        int(retry_after * 1000),
        "1" if retry_after > settings.UPSTREAM_RETRY_MAX_DELAY else "0",
        "1" if admission.probe else "0",
        error.code,
        error.message,
    )
    return wait_ms / 1000 if verdict == 0 else None


def release(admission: Admission) -> None:
    """A probe that sent no request (a spent budget, a busy slot) gives its turn back."""
    if admission.probe:
        _call(admission.upstream, "release")


@contextmanager
def guarded(upstream: str) -> Iterator[Admission]:
    """One request to ``upstream`` behind its breaker.

    Raises UpstreamDown before the request while the upstream is down, and
    also when this request's transient failure takes it down. A definite
    answer (data, or a 4xx) counts as up; anything that is not an
    UpstreamError (a spent budget, a busy slot, a time limit) gives a probe's
    turn back without counting."""
    admission = admit(upstream)
    try:
        yield admission
    except UpstreamError as error:
        error.upstream = error.upstream or upstream
        if not error.transient:
            succeeded(admission)
            raise
        down_for = failed(admission, error)
        if down_for is None:
            raise
        raise UpstreamDown(upstream, down_for, error.code, error.message, after_request=True) from error
    except BaseException:
        release(admission)
        raise
    succeeded(admission)


class UpstreamState(TypedDict):
    upstream: str
    label: str
    state: Literal["up", "failing", "down", "probing"]
    failures: int  # transient failures in a row
    down_since: str | None  # ISO 8601, while down or probing
    retry_at: str | None  # ditto: when the cool-off ends
    last_code: str
    last_message: str
    last_failure_at: str | None


def state_of(upstream: str) -> UpstreamState:
    """One upstream's health: {"upstream", "label", "state": "up"|"failing"|"down"|"probing", ...}."""
    # cast: this client never decodes answers (redis-py types them bytes | str).
    stored = cast(dict[bytes, bytes], get_valkey().hgetall(health_key(upstream)))
    fields = {k.decode(): v.decode() for k, v in stored.items()}
    now_ms = time.time() * 1000
    failures = int(fields.get("failures", 0) or 0)
    until = float(fields.get("until", 0) or 0)
    state: Literal["up", "failing", "down", "probing"] = "up"
    if fields.get("state") == "open":
        state = "probing" if float(fields.get("probe_until", 0) or 0) > now_ms else "down"
    elif failures:
        state = "failing"

    def iso(ms: str | None) -> str | None:
        if not ms or float(ms) <= 0:
            return None
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(ms) / 1000))

    down = state in ("down", "probing")
    return {
        "upstream": upstream,
        "label": label(upstream),
        "state": state,
        "failures": failures,
        "down_since": iso(fields.get("since")) if down else None,
        "retry_at": iso(str(until)) if down else None,
        "last_code": fields.get("last_code", ""),
        "last_message": fields.get("last_message", ""),
        "last_failure_at": iso(fields.get("last_failure_at")),
    }


def states() -> list[UpstreamState]:
    return [state_of(upstream) for upstream in NAMES]
