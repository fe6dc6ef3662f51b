"""Fetch jobs: records in Valkey that a browser polls while a worker fills the cache.

A job fills one or more *units* (cache entries, see store.py). A miss calls
``job_start``, which atomically either joins the job already filling the same
units for the same kind of answer, or creates a new job and enqueues its task:
concurrent identical misses get the same job id and one upstream call.

    ss:job:<id>        hash: the job resource (kept UPSTREAM_JOB_TTL seconds)
    ss:jk:<kind>:<h>   the job currently filling those units (single flight);
                       deleted when the job ends, expires if its worker died

Inside a worker, each unit is fetched under its own lock (``ss:lock:<unit>``),
so two different jobs that need the same unit (the climate body and its
summary, two overlapping boxes) still fetch it once.
"""

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from backend_django.core.valkey import get_valkey

logger = logging.getLogger(__name__)

JOB_PREFIX = "ss:job:"
JOB_CLAIM_PREFIX = "ss:jk:"
LOCK_PREFIX = "ss:lock:"
PENDING_PREFIX = "ss:pending:"

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
DONE_STATES = (SUCCEEDED, FAILED)

# Join the job already filling these units, or create one. Atomic, so that N
# concurrent misses produce one job. Returns {job id, 1 if created}.
_START_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing and redis.call('EXISTS', KEYS[3] .. existing) == 1 then
    return {existing, 0}
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return {ARGV[1], 1}
"""


def job_key(job_id: str) -> str:
    return f"{JOB_PREFIX}{job_id}"


def claim_key(kind: str, units: list[str], result_url: str) -> str:
    digest = hashlib.blake2b("\n".join([result_url, *sorted(units)]).encode(), digest_size=12).hexdigest()
    return f"{JOB_CLAIM_PREFIX}{kind}:{digest}"


def lock_key(unit: str) -> str:
    return f"{LOCK_PREFIX}{unit}"


def pending_key(unit: str) -> str:
    """Which job is filling ``unit`` now (for data-status answers)."""
    return f"{PENDING_PREFIX}{unit}"


_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


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

    @property
    def finished(self) -> bool:
        return self.status in DONE_STATES

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
        }


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def _parse(job_id: str, fields: dict[bytes, bytes]) -> Job | None:
    if not fields:
        return None
    text = {key.decode(): value.decode() for key, value in fields.items()}
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
    )


def job_get(job_id: str) -> Job | None:
    if not job_id or len(job_id) > 64:
        return None
    return _parse(job_id, get_valkey().hgetall(job_key(job_id)))


@dataclass(frozen=True)
class StartedJob:
    job: Job
    created: bool


def job_start(
    *, kind: str, units: list[str], result_url: str, queue: str = "interactive", refresh_within: float = 0
) -> StartedJob:
    """Join or create the job that fills ``units``; enqueue its task if new.

    ``refresh_within``: also re-fetch units that stop being fresh within that
    many seconds (refresh-ahead); by default only units that are not fresh.
    """
    from .tasks import run_job  # tasks import this module

    client = get_valkey()
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
    }
    flat: list[Any] = [item for pair in fields.items() for item in pair]
    job_id, created = client.eval(
        _START_SCRIPT,
        3,
        claim_key(kind, units, result_url),
        job_key(new_id),
        JOB_PREFIX,
        new_id,
        settings.UPSTREAM_LOCK_TTL,
        settings.UPSTREAM_JOB_TTL,
        *flat,
    )
    job_id = job_id.decode() if isinstance(job_id, bytes) else job_id
    if created:
        pipe = client.pipeline(transaction=False)
        for unit in units:
            pipe.set(pending_key(unit), job_id, ex=settings.UPSTREAM_LOCK_TTL)
        pipe.execute()
        try:
            run_job.apply_async(args=[job_id], queue=queue)
        except Exception as exc:
            job_fail(job_id, code="queue_unavailable", message=f"could not queue the fetch: {exc}")
            raise
    job = job_get(job_id)
    assert job is not None
    return StartedJob(job=job, created=bool(created))


# Write fields of a job that has not ended: a task delivered twice must not
# move a finished job back to "running". Returns 1 when written.
_UPDATE_SCRIPT = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'succeeded' or status == 'failed' then
    return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


def _update(job_id: str, *, finish: bool = False, hold: float = 0, **fields: Any) -> None:
    job = job_get(job_id)
    if job is None:
        return
    flat = [item for pair in {**fields, "updated_at": _now()}.items() for item in pair]
    pipe = get_valkey().pipeline(transaction=True)
    pipe.eval(_UPDATE_SCRIPT, 1, job_key(job_id), settings.UPSTREAM_JOB_TTL, *flat)
    claim = claim_key(job.kind, job.units, job.result_url)
    if finish:
        # Release the single-flight claim and the pending marks if still ours.
        pipe.eval(_RELEASE_IF_OURS, 1, claim, job_id)
        for unit in job.units:
            pipe.eval(_RELEASE_IF_OURS, 1, pending_key(unit), job_id)
    elif hold:
        # The job waits (a retry countdown): keep others joining it meanwhile.
        ttl = int(settings.UPSTREAM_LOCK_TTL + hold)
        pipe.expire(claim, ttl)
        for unit in job.units:
            pipe.expire(pending_key(unit), ttl)
    pipe.execute()


def job_running(job_id: str) -> None:
    _update(job_id, status=RUNNING)


def job_requeued(job_id: str, *, countdown: float = 0) -> None:
    """Back to queued: the task runs again after ``countdown`` seconds."""
    _update(job_id, status=QUEUED, hold=countdown)


def job_progress(job_id: str, done: int) -> None:
    _update(job_id, done=done)


def job_succeed(job_id: str) -> None:
    job = job_get(job_id)
    _update(job_id, finish=True, status=SUCCEEDED, done=job.total if job else 0)


def job_fail(job_id: str, *, code: str, message: str) -> None:
    _update(job_id, finish=True, status=FAILED, error_code=code, error_message=message[:500])


# --- unit locks (one fetch per unit at a time, across jobs and workers) ------


def lock_acquire(unit: str, token: str) -> bool:
    return bool(get_valkey().set(lock_key(unit), token, nx=True, ex=settings.UPSTREAM_LOCK_TTL))


def lock_release(unit: str, token: str) -> None:
    get_valkey().eval(_RELEASE_IF_OURS, 1, lock_key(unit), token)


def jobs_in_flight() -> int:
    return sum(1 for _ in get_valkey().scan_iter(match=f"{JOB_CLAIM_PREFIX}*", count=1000))
