"""Fetch jobs: records in Valkey that a browser polls while a worker fills the cache.

A job fills one or more *units* (cache entries, see cache/store.py). A miss calls
``job_start``, which atomically either joins the job already filling the same
units for the same kind of answer, or creates a new job and enqueues its task:
concurrent identical misses get the same job id and one upstream call.

    ss:job:<id>        hash: the job resource (kept UPSTREAM_JOB_TTL seconds);
                       besides its state and progress: ``attempts`` (upstream
                       requests sent), ``last_error_code``/``last_error_message``
                       (the latest transient failure while it keeps trying),
                       ``retry_at`` (epoch seconds, "" for none) and
                       ``waiting_for`` ("", "upstream_down", "budget", "worker")
    ss:jk:<kind>:<h>   the job currently filling those units (single flight);
                       deleted when the job ends, expires if its worker died
    ss:due             sorted set: queued jobs by when they are due to run
                       (liveness.py sends again those long past it)

Inside a worker, each unit is fetched under its own lock (locks.py), so two
different jobs that need the same unit (the climate body and its summary, two
overlapping boxes) still fetch it once. The task itself is tasks.run_job,
sent by name so that this module does not import the tasks.
"""

import hashlib
import json
import logging
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis
from django.conf import settings

from backend_django.core.lua import call_many, lua_script
from backend_django.core.valkey import get_valkey, is_cluster, send_task

from .locks import release_if_ours

logger = logging.getLogger(__name__)

JOB_PREFIX = "ss:job:"
JOB_CLAIM_PREFIX = "ss:jk:"
PENDING_PREFIX = "ss:pending:"
DUE_KEY = "ss:due"
# A new job is due this long before its claim and pending marks would expire:
# if it is still queued then (a long queue, or its message lost with a worker
# that died holding it), liveness.py's sweep sends it again and renews them,
# so it keeps showing in data status and keeps its single flight.
NEW_JOB_DUE_MARGIN = 180
RUN_JOB_TASK = "upstream.run_job"

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
DONE_STATES = (SUCCEEDED, FAILED)
# What a queued job waits for (``waiting_for``).
UPSTREAM_DOWN, BUDGET, WORKER = "upstream_down", "budget", "worker"
WAITING_FOR = (UPSTREAM_DOWN, BUDGET, WORKER)
# Polls of a job with nothing particular to wait for: every second at first,
# then less often as it ages ((age in seconds, Retry-After), first match).
POLL_SCHEDULE = ((10, 1), (30, 2), (120, 5))
POLL_LONGEST = 10


def job_key(job_id: str) -> str:
    return f"{JOB_PREFIX}{job_id}"


def claim_key(kind: str, units: list[str], result_url: str) -> str:
    digest = hashlib.blake2b("\n".join([result_url, *sorted(units)]).encode(), digest_size=12).hexdigest()
    return f"{JOB_CLAIM_PREFIX}{kind}:{digest}"


def pending_key(unit: str) -> str:
    """Which job is filling ``unit`` now (for data-status answers):
    ``ss:pending:{ss:e:<unit>}``, tagged with the unit's entry key so that the
    two are read together (cache/lua/data_status.lua) on a cluster too."""
    return f"{PENDING_PREFIX}{{ss:e:{unit}}}"


def mark_units(keys: list[str], job_id: str, ttl: int) -> None:
    """Make each of ``keys`` (a claim, pending marks) name ``job_id`` for ``ttl``
    seconds, unless it names another job (lua/mark_if_free.lua, key by key)."""
    call_many(lua_script(__file__, "mark_if_free"), [([key], [job_id, ttl]) for key in keys], get_valkey())


def _now() -> str:
    return f"{time.time():.3f}"


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    status: str
    units: list[str]
    done: int
    total: int
    error_code: str
    error_message: str
    result_url: str
    queue: str
    refresh_within: float
    created_at: float
    updated_at: float
    attempts: int = 0
    last_error_code: str = ""
    last_error_message: str = ""
    # What a queued job waits for ("" | "upstream_down" | "budget" | "worker") and until when.
    retry_at: float | None = None
    waiting_for: str = ""
    # Whose share of the upstream budgets its fetches spend ("" for the deployment's own warming).
    client: str = ""

    @property
    def finished(self) -> bool:
        return self.status in DONE_STATES

    def poll_after(self, now: float | None = None) -> int | None:
        """Seconds a client should wait before polling again (``Retry-After``); None once finished.

        Until ``retry_at`` when the job waits for one, else growing with the job's age.
        """
        if self.finished:
            return None
        now = time.time() if now is None else now
        if self.retry_at is not None and self.retry_at > now:
            return max(1, math.ceil(self.retry_at - now))
        age = now - self.created_at
        for up_to, seconds in POLL_SCHEDULE:
            if age < up_to:
                return seconds
        return POLL_LONGEST

    def as_resource(self) -> dict[str, Any]:
        """The job as the API shows it (see the HTTP contract)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": {"done": self.done, "total": self.total},
            "error": (
                {"code": self.error_code, "message": self.error_message} if self.status == FAILED else None
            ),
            "result_url": self.result_url,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "attempts": self.attempts,
            "last_error": (
                {"code": self.last_error_code, "message": self.last_error_message}
                if self.last_error_code and not self.finished
                else None
            ),
            "retry_at": _iso(self.retry_at) if self.retry_at is not None and not self.finished else None,
            "waiting_for": self.waiting_for
            if self.waiting_for in WAITING_FOR and not self.finished
            else None,
        }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def _parse(job_id: str, fields: dict[bytes, bytes]) -> Job | None:
    if not fields:
        return None
    return _from_text(job_id, {key.decode(): value.decode() for key, value in fields.items()})


def _from_text(job_id: str, text: dict[str, str]) -> Job:
    return Job(
        id=job_id,
        kind=text.get("kind", ""),
        status=text.get("status", QUEUED),
        units=json.loads(text.get("units", "[]")),
        done=int(text.get("done", 0)),
        total=int(text.get("total", 0)),
        error_code=text.get("error_code", ""),
        error_message=text.get("error_message", ""),
        result_url=text.get("result_url", ""),
        queue=text.get("queue", "interactive"),
        refresh_within=float(text.get("refresh_within", 0)),
        created_at=float(text.get("created_at", 0)),
        updated_at=float(text.get("updated_at", 0)),
        attempts=int(text.get("attempts", 0) or 0),
        last_error_code=text.get("last_error_code", ""),
        last_error_message=text.get("last_error_message", ""),
        retry_at=float(text["retry_at"]) if text.get("retry_at") else None,
        waiting_for=text.get("waiting_for", ""),
        client=text.get("client", ""),
    )


def job_get(job_id: str) -> Job | None:
    if not job_id or len(job_id) > 64:
        return None
    # cast: redis-py types answers as bytes | str; this client never decodes them.
    return _parse(job_id, cast(dict[bytes, bytes], get_valkey().hgetall(job_key(job_id))))


@dataclass(frozen=True)
class StartedJob:
    job: Job
    created: bool


def job_start(
    *,
    kind: str,
    units: list[str],
    result_url: str,
    queue: str = "interactive",
    refresh_within: float = 0,
    client: str = "",
) -> StartedJob:
    """Join or create the job that fills ``units``; enqueue its task if new.

    ``refresh_within``: also re-fetch units that stop being fresh within that
    many seconds (refresh-ahead); by default only units that are not fresh.
    ``client``: whose share of the upstream budgets a new job spends (guards/shares.py).
    Callers use ``jobs.job_start``, which also takes back a joined job whose
    worker died (liveness.py).
    """
    valkey = get_valkey()
    new_id = secrets.token_urlsafe(12)
    now = _now()
    fields = {
        "kind": kind,
        "status": QUEUED,
        "units": json.dumps(units),
        "done": 0,
        "total": len(units),
        "result_url": result_url,
        "queue": queue,
        "refresh_within": refresh_within,
        "created_at": now,
        "updated_at": now,
        "attempts": 0,
        "last_error_code": "",
        "last_error_message": "",
        "retry_at": "",
        "waiting_for": "",
        "client": client,
    }
    claim = claim_key(kind, units, result_url)
    # Single flight without a multi-key script (the claim and the records live
    # on different slots of a cluster): join the job the claim names while its
    # record exists; otherwise write the new record first, then take the claim
    # only if it still names what was seen (lua/job_start.lua). Of concurrent
    # misses one takes it; the others drop their record and join that job.
    # cast: this client never decodes answers (redis-py types them bytes | str).
    seen = cast(bytes | None, valkey.get(claim))
    created_record = False
    for _ in range(5):
        if seen is not None:
            joined = job_get(seen.decode())
            if joined is not None:
                if created_record:
                    valkey.delete(job_key(new_id))
                return StartedJob(job=joined, created=False)
        if not created_record:
            pipe = valkey.pipeline(transaction=False)
            pipe.hset(job_key(new_id), mapping={name: str(value) for name, value in fields.items()})
            pipe.expire(job_key(new_id), settings.UPSTREAM_JOB_TTL)
            pipe.execute()
            created_record = True
        taken, holder = lua_script(__file__, "job_start")(
            keys=[claim], args=[new_id, seen or "", settings.UPSTREAM_LOCK_TTL], client=valkey
        )
        if taken:
            break
        seen = holder or None
    else:
        raise redis.RedisError(f"job claim {claim} kept changing")
    job_id = new_id
    pipe = valkey.pipeline(transaction=False)
    for unit in units:
        pipe.set(pending_key(unit), job_id, ex=settings.UPSTREAM_LOCK_TTL)
    due = time.time() + max(0, settings.UPSTREAM_LOCK_TTL - NEW_JOB_DUE_MARGIN)
    pipe.zadd(DUE_KEY, {job_id: due})
    pipe.execute()
    job = _from_text(job_id, {name: str(value) for name, value in fields.items()})
    job_send(job)
    return StartedJob(job=job, created=True)


def task_label(job: Job) -> str:
    """How the job's task shows in Flower and the worker's log: its kind and what it
    fills ("climate climate:45.5:-122.7", "prefetch climate:45.5:-122.7 (+6 more)"),
    instead of the bare task name and an opaque id."""
    more = f" (+{len(job.units) - 1} more)" if len(job.units) > 1 else ""
    first = job.units[0] if job.units else "nothing"
    return f"{job.kind} {first}{more}"


def job_send(job: Job) -> None:
    """Send the job's task (named for people: ``task_label``); a job that cannot be
    queued fails (and this raises)."""
    job_id = job.id
    try:
        send_task(RUN_JOB_TASK, args=[job_id], queue=job.queue, shadow=task_label(job))
    except Exception:
        logger.exception("could not queue job %s", job_id)
        job_fail(job_id, code="queue_unavailable", message="We could not start the fetch; try again shortly.")
        raise


def _update(job: Job | str, *, finish: bool = False, hold: float = 0, **fields: Any) -> None:
    """Write ``fields`` of a job that has not ended (lua/job_update.lua): a task
    delivered twice must not move a finished job back to "running".

    ``finish`` releases its single-flight claim and pending marks (when still
    its own); ``hold`` keeps them that many seconds more while it waits. Only
    those need the record's units (one read, when given an id): a progress or
    state write is the one Lua call.
    """
    flat = [item for pair in {**fields, "updated_at": _now()}.items() for item in pair]
    mode, ttl = "", 0
    if finish:
        mode = "finish"
    elif hold:
        mode, ttl = "hold", int(settings.UPSTREAM_LOCK_TTL + hold)
    job_id = job if isinstance(job, str) else job.id
    marks: list[str] = []
    if mode:
        if isinstance(job, str):
            found = job_get(job)
            if found is None:
                return
            job = found
        marks = [claim_key(job.kind, job.units, job.result_url), *(pending_key(unit) for unit in job.units)]
    valkey = get_valkey()
    script = lua_script(__file__, "job_update")
    if not is_cluster():  # one command
        script(
            keys=[job_key(job_id), *marks],
            args=[settings.UPSTREAM_JOB_TTL, job_id, mode, ttl, *flat],
            client=valkey,
        )
        return
    # On a cluster the claim and marks live on other slots: the record first, then them key by key.
    if not script(
        keys=[job_key(job_id)], args=[settings.UPSTREAM_JOB_TTL, job_id, "", 0, *flat], client=valkey
    ):
        return
    if mode == "finish":
        release_if_ours(marks, job_id, valkey)
    elif mode == "hold":
        pipe = valkey.pipeline(transaction=False)
        for key in marks:
            pipe.expire(key, ttl)
        pipe.execute()


def job_running(job_id: str) -> None:
    _update(job_id, status=RUNNING, waiting_for="", retry_at="")


def job_requeued(job: Job | str, *, countdown: float = 0) -> None:
    """Back to queued: the task runs again after ``countdown`` seconds (a free worker's)."""
    _update(job, status=QUEUED, hold=countdown, waiting_for=WORKER, retry_at="")


def job_waiting(
    job: Job | str, *, waiting_for: str, retry_at: float | None, error: tuple[str, str] | None = None
) -> None:
    """Back to queued until ``retry_at`` (epoch seconds; None: not known), waiting
    for ``waiting_for`` ("upstream_down", "budget" or "worker"); ``error``: the
    (code, message) of the latest transient failure, shown as ``last_error``."""
    fields: dict[str, Any] = {
        "status": QUEUED,
        "waiting_for": waiting_for,
        "retry_at": "" if retry_at is None else f"{retry_at:.3f}",
    }
    if error is not None:
        fields.update(last_error_code=error[0], last_error_message=error[1][:500])
    hold = 0.0 if retry_at is None else max(0.0, retry_at - time.time())
    _update(job, hold=hold, **fields)


def job_retrying(job_id: str, *, retry_at: float, error: tuple[str, str]) -> None:
    """Still running: the worker tries again in place at ``retry_at`` after ``error``."""
    _update(
        job_id, status=RUNNING, waiting_for="", retry_at=f"{retry_at:.3f}",
        last_error_code=error[0], last_error_message=error[1][:500],
    )  # fmt: skip


def job_attempted(job_id: str) -> int:
    """The job sent one more upstream request; its attempts in all (0 once it ended)."""
    return int(
        lua_script(__file__, "job_count")(
            keys=[job_key(job_id)], args=[settings.UPSTREAM_JOB_TTL, _now()], client=get_valkey()
        )
    )


def job_progress(job_id: str, done: int) -> None:
    _update(job_id, done=done)


def job_succeed(job: Job | str) -> None:
    if isinstance(job, str):
        found = job_get(job)
        if found is None:
            return
        job = found
    _update(job, finish=True, status=SUCCEEDED, done=job.total, waiting_for="", retry_at="")


def job_fail(job: Job | str, *, code: str, message: str) -> None:
    _update(
        job, finish=True, status=FAILED, error_code=code, error_message=message[:500],
        waiting_for="", retry_at="",
    )  # fmt: skip


def jobs_in_flight() -> int:
    return sum(1 for _ in get_valkey().scan_iter(match=f"{JOB_CLAIM_PREFIX}*", count=1000))
