"""What the data endpoints answer, decided from the cache alone.

Every answer is one of (``Answer.state``):

- ``fresh``: the entry (or, for a box of buildings, every cell's entry) is
  fresh; the stored bytes are sent as they are;
- ``stale``: past fresh but within its stale window; served, and a refresh
  job is queued in the background;
- ``accepted``: nothing usable is cached; a job (new, or the one already
  filling the same units) is returned for the client to poll;
- ``refused``: the upstream refused this very request in the last minutes
  (a remembered 4xx), so it is not asked again.

Requests count against the client's limits here (throttles.py); over a
limit raises DRF's ``Throttled``. Views parse, call one function of this
module and render the answer (responses.py). The canopy Range proxy answers
in the request instead: range_proxy.py.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from backend_django.core.exceptions import ApplicationError
from backend_django.core.valkey import get_valkey, retry_after_seconds

from .. import jobs, kinds
from ..cache import store
from ..clients.http import UpstreamError
from ..guards import BudgetWait, UpstreamDown, shares
from ..jobs import tasks
from ..kinds import Kind
from .throttles import ProxyThrottle, daily_miss_throttle, fetch_throttle, read_throttle

logger = logging.getLogger(__name__)

State = Literal["fresh", "stale", "accepted", "refused"]

# The classes below are built on every cache hit: slots, and not frozen
# (a frozen dataclass costs several times more to build). Treat them as read-only.


@dataclass(slots=True)
class EntryTarget:
    """What an endpoint answering with one stored body reads (parsed from its query)."""

    endpoint: str  # its request counters (ss:stats:<endpoint>) and its jobs' kind
    read_unit: str  # the entry sent
    fill_unit: str  # the unit a miss fills (for the climate summary: the climate body)
    result_url: str  # the canonical URL of this answer
    job_kind: str = ""  # the kind of its jobs when not ``endpoint`` (the sun endpoints' "sun")


@dataclass(slots=True)
class Lookup:
    """An entry as read for one request, and the client's count in this window."""

    entry: store.Entry | None
    count: int
    throttle: ProxyThrottle  # the read limit it counts against


@dataclass(slots=True)
class Answer:
    state: State
    entry: store.Entry | None = None  # fresh/stale, one entry
    entries: tuple[store.Entry, ...] = ()  # fresh/stale, several (a box of cells)
    etag: str = ""
    fresh_until: float = 0.0
    stale_until: float = 0.0  # until then a cache may serve it stale while it refreshes
    job: jobs.Job | None = None  # accepted
    refusal: store.RememberedError | None = None  # refused
    filled: bool = False  # fresh/stale: filled or built in this request (X-Cache: MISS)


# --- one stored body: climate, climate summary, canopy window -----------------------


def entry_lookup(target: EntryTarget, *, client: str) -> Lookup:
    """Read the target's entry, counting the request against the client's read limit."""
    throttle = read_throttle()
    entry, count = store.lookup_counted(
        target.read_unit,
        stats=target.endpoint,
        counter_key=throttle.key(client),
        counter_ttl=throttle.period + 1,
    )
    return Lookup(entry, count, throttle)


def cached_answer(target: EntryTarget, lookup: Lookup) -> Answer | None:
    """The answer from the cache, or None on a miss. Raises Throttled over the read limit."""
    lookup.throttle.check(lookup.count)
    entry = lookup.entry
    if entry is None:
        return None
    state = entry.state()
    if state == "missing":
        return None
    if state == "stale":
        store.count(target.endpoint, "stale")
        refresh_in_background(
            endpoint=target.job_kind or target.endpoint,
            units=[target.fill_unit],
            result_url=target.result_url,
        )
    return Answer(
        state, entry=entry, etag=entry.etag, fresh_until=entry.fresh_until, stale_until=entry.stale_until
    )


def entry_answer(
    target: EntryTarget, lookup: Lookup, *, client: str, build: Callable[[str], list[str]] | None = None
) -> Answer:
    """The cached answer, or on a miss the job that fills the target.

    ``build(unit)``, for a derived target, stores it from its inputs when they
    are all cached and returns [] (the answer is then that entry), or returns
    the inputs that are missing: the job fetches those, and the next request
    builds the target."""
    answer = cached_answer(target, lookup)
    if answer is not None:
        return answer
    units = [target.fill_unit]
    if build is not None:
        missing = build(target.read_unit)
        built = None if missing else store.read(target.read_unit)
        if built is not None:
            answer = cached_answer(target, Lookup(built, lookup.count, lookup.throttle))
            if answer is not None:
                return replace(answer, filled=True)
        units = missing or units
    return start_fetch(
        endpoint=target.endpoint,
        units=units,
        result_url=target.result_url,
        missing=units,
        client=client,
        job_kind=target.job_kind,
    )


# --- several entries: buildings in a box -------------------------------------------


def cells_answer(*, endpoint: str, units: list[str], result_url: str, client: str) -> Answer:
    """A box answered from the grid cells it touches (one round trip when all are cached)."""
    throttle = read_throttle()
    pipe = get_valkey().pipeline(transaction=False)
    for unit in units:
        pipe.hgetall(store.entry_key(unit))
    throttle.queue(pipe, client)
    store.count(endpoint, "requests", pipe=pipe)
    results = pipe.execute()
    throttle.check(results[len(units)])

    found = [store.parse_entry(fields) for fields in results[: len(units)]]
    now = time.time()
    states = [entry.state(now) if entry is not None else "missing" for entry in found]
    missing = [unit for unit, state in zip(units, states, strict=True) if state == "missing"]
    if missing:
        return start_fetch(
            endpoint=endpoint, units=missing, result_url=result_url, missing=missing, client=client
        )
    entries = [entry for entry in found if entry is not None]  # every one: none is missing
    stale = [unit for unit, state in zip(units, states, strict=True) if state == "stale"]
    if stale:
        store.count(endpoint, "stale")
        refresh_in_background(endpoint=endpoint, units=stale, result_url=result_url)
    # The box's ETag changes whenever one of its cells does.
    etag = (
        '"'
        + hashlib.blake2b(
            ("|".join(entry.etag for entry in entries) + result_url).encode(), digest_size=16
        ).hexdigest()
        + '"'
    )
    return Answer(
        "stale" if stale else "fresh",
        entries=tuple(entries),
        etag=etag,
        fresh_until=min(entry.fresh_until for entry in entries),
        stale_until=min(entry.stale_until for entry in entries),
    )


# --- a miss answered in the request: map tiles --------------------------------------


def filled_answer(target: EntryTarget, *, client: str, wait: float) -> Answer:
    """The answer to a miss, filled in this request (``tasks.fill_now``: the unit's lock,
    its upstream's guards), waiting at most ``wait`` seconds: for data a page asks for
    dozens of at once (map tiles), where polling a job each would cost more than the
    data. A remembered or definite refusal is ``refused``; anything that cannot be done
    in time raises ApplicationError (503 with Retry-After), and nothing is cached."""
    remembered = store.remembered_error(target.fill_unit)
    if remembered is not None:
        return Answer("refused", refusal=remembered)
    for kind in _kinds_of([target.fill_unit]):
        if kind.daily_miss_limit:
            daily_miss_throttle(kind.name, kind.daily_miss_limit).consume(client)
    store.count(target.endpoint, "misses")
    try:
        tasks.fill_now(target.fill_unit, wait=wait)
    except tasks.Deferred as deferred:
        error = deferred.error
        if isinstance(error, UpstreamError) and not error.transient:
            refusal: store.RememberedError = {
                "code": error.code,
                "message": error.message,
                "status": error.status,
            }
            return Answer("refused", refusal=refusal)
        seconds = error.seconds if isinstance(error, UpstreamDown | BudgetWait) else 1
        message = getattr(deferred.decision, "message", "The data could not be fetched in time; try again.")
        raise ApplicationError(
            message,
            code=getattr(deferred.decision, "code", "upstream_unavailable"),
            status_code=503,
            headers={"Retry-After": str(max(1, math.ceil(seconds))), "Cache-Control": "no-store"},
        ) from error
    entry = store.read(target.read_unit)
    if entry is None:  # evicted in the moment since (Valkey out of memory): as a busy upstream
        raise ApplicationError(
            "The data could not be kept; try again.", code="cache_full", status_code=503,
            headers={"Retry-After": "1", "Cache-Control": "no-store"},
        )  # fmt: skip
    # A tile its server says not to keep lives no longer than this request: sent, stale.
    state: State = "fresh" if entry.state() == "fresh" else "stale"
    return Answer(
        state,
        entry=entry,
        etag=entry.etag,
        fresh_until=entry.fresh_until,
        stale_until=entry.stale_until,
        filled=True,
    )


# --- misses and refreshes ------------------------------------------------------------


def start_fetch(
    *, endpoint: str, units: list[str], result_url: str, missing: list[str], client: str, job_kind: str = ""
) -> Answer:
    """The answer to a miss: a remembered refusal, or a job (new or joined).

    A miss counts against the client's fetch limit, and against a kind's
    daily limit where it has one. Raises ApplicationError (503) when no job
    can be queued.
    """
    for unit in kinds.with_inputs(missing):  # a derived unit's inputs too: filled by the same job
        remembered = store.remembered_error(unit)
        if remembered is not None:
            return Answer("refused", refusal=remembered)
    fetch_throttle().consume(client)
    for kind in _kinds_of(units):
        if kind.daily_miss_limit:
            daily_miss_throttle(kind.name, kind.daily_miss_limit).consume(client)
    try:
        started = jobs.job_start(
            kind=job_kind or endpoint, units=units, result_url=result_url, client=shares.for_address(client)
        )
    except Exception as exc:
        raise ApplicationError(
            "The data is not cached and no fetch could be queued; try again shortly.",
            code="queue_unavailable",
            status_code=503,
            headers={"Retry-After": str(retry_after_seconds()), "Cache-Control": "no-store"},
        ) from exc
    store.count(endpoint, "misses")
    return Answer("accepted", job=started.job)


def refresh_in_background(*, endpoint: str, units: list[str], result_url: str) -> None:
    """Queue (or join) the refresh of stale units; a failure only logs (a stale answer is an answer)."""
    try:
        if not store.refresh_allowed(kinds.with_inputs(units)):
            return  # the upstream refused or failed this (or a derived unit's input) a moment ago
        jobs.job_start(kind=endpoint, units=units, result_url=result_url)
    except Exception:
        logger.warning("could not queue a refresh of %s", units, exc_info=True)


def _kinds_of(units: list[str]) -> list[Kind]:
    found: dict[str, Kind] = {}
    for unit in units:
        kind = kinds.of_unit(unit)
        found[kind.name] = kind
    return list(found.values())
