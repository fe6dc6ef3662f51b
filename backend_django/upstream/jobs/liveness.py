"""Heartbeats of running jobs, and taking back the jobs of workers that died.

A job a worker runs is a member of the sorted set ``ss:running`` scored by
its last heartbeat (Valkey's clock). Each worker process (a prefork pool
child) has one daemon thread that refreshes the heartbeats of the jobs that
process is running every UPSTREAM_HEARTBEAT_SECONDS. It is not the fetching
thread, so a fetch that waits a minute for an upstream still beats; a
process that was killed (or lost its Valkey connection) stops beating.

A running job whose heartbeat is older than UPSTREAM_HEARTBEAT_STALE_SECONDS
is *reclaimed* (lua/job_reclaim.lua): it goes back to "queued" with
``waiting_for: "worker"``, the unit locks its dead run held are released,
its single-flight claim and pending marks are renewed for it (people who
miss those units keep joining it, and it stays the one that fills them),
and its task is sent again. Three places reclaim: a poll of the job
(``GET jobs/<id>/``), a miss that joins it (``jobs.job_start``) and the
periodic ``upstream.sweep_stale_jobs`` (every minute, django-celery-beat).

A job that went back to the queue (a requeue with a countdown) is noted in
``ss:due`` at its retry time when its run ends. A worker holds such a
countdown's message until it is due, so a killed worker loses it until the
visibility timeout; a queued job still waiting QUEUED_GRACE_SECONDS after
its retry time is sent again by the sweep or its next poll. A new job is
noted there too, due a little before its claim and pending marks expire
(records.NEW_JOB_DUE_MARGIN): one still queued then, behind a long queue or
prefetched by a worker that died, is sent again with its marks renewed, so
that it never drops out of a plan's data status while it waits.

Deliveries stay harmless however late or early they come
(lua/run_start.lua): a task for a job that ended returns at once; one for a
job another live run holds returns "duplicate"; one for a queued job whose
retry time is still ahead (a message sent again while the job waits for
its countdown) returns "early" and leaves the countdown to run it; a
redelivery of the very task whose worker died (same task id) or a run of an
abandoned job takes it over, releasing the old run's unit locks.
See docs/decisions/0017-heartbeats-and-fair-shares.md.
"""

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

from celery import shared_task
from celery.signals import task_postrun, worker_process_init
from django.conf import settings

from backend_django.core.lua import lua_script
from backend_django.core.valkey import get_valkey

from . import locks, records

logger = logging.getLogger(__name__)

RUNNING_KEY = "ss:running"
DUE_KEY = records.DUE_KEY
SWEEP_TASK = "upstream.sweep_stale_jobs"
# A queued job this long past its retry time has lost its task message (a
# countdown held by a worker that died) or sits in a long queue; it is sent
# again (a second message is harmless, see run_start.lua), at most this often.
QUEUED_GRACE_SECONDS = 60.0
# When a requeued job has no retry time: the longest countdown a requeue has.
UNKNOWN_COUNTDOWN_SECONDS = 600
# A delivery this much before its queued job's retry time is early (clocks of
# different hosts differ a little; a countdown's own message comes at the time).
EARLY_SLACK_SECONDS = 5.0

# What this process is running: job id -> task id (one entry per pool child
# with the prefork pool; several with a threads pool).
_running: dict[str, str] = {}
_running_lock = threading.Lock()
_thread: threading.Thread | None = None
_thread_pid = 0
# The lock token of the run in this thread (tasks.fill_unit takes unit locks with it).
_current = threading.local()


def _beat_once() -> None:
    with _running_lock:
        job_ids = list(_running)
    if job_ids:
        lua_script(__file__, "heartbeat")(keys=[RUNNING_KEY], args=job_ids, client=get_valkey())


def _beat_forever() -> None:
    while True:
        time.sleep(settings.UPSTREAM_HEARTBEAT_SECONDS)
        try:
            _beat_once()
        except Exception:
            # Valkey away for a moment: the next beat tries again. Beats missed
            # for longer than the stale time let others take the jobs over.
            logger.warning("heartbeat failed", exc_info=True)


def ensure_beating() -> None:
    """Start this process's heartbeat thread (once per process, after a fork too)."""
    global _thread, _thread_pid
    if _thread is not None and _thread_pid == os.getpid() and _thread.is_alive():
        return
    with _running_lock:
        if _thread is not None and _thread_pid == os.getpid() and _thread.is_alive():
            return
        if _thread_pid != os.getpid():
            _running.clear()  # a forked child runs none of its parent's jobs
        _thread = threading.Thread(target=_beat_forever, name="job-heartbeat", daemon=True)
        _thread_pid = os.getpid()
        _thread.start()


@worker_process_init.connect(dispatch_uid="upstream.heartbeat.start")
def _start_in_pool_child(**kwargs: Any) -> None:
    ensure_beating()


def _unit_lock_keys(job: records.Job) -> list[str]:
    return [locks.lock_key(unit) for unit in job.units]


def _claim_and_marks(job: records.Job) -> list[str]:
    return [
        records.claim_key(job.kind, job.units, job.result_url),
        *(records.pending_key(u) for u in job.units),
    ]


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def start_run(job: records.Job, *, task_id: str) -> bool:
    """Mark ``job`` running under this delivery (``task_id``) and start beating
    for it; False when the delivery must not run it (see the module docstring).

    The record decides, in one script on its own key (lua/run_start.lua); the
    running and due sets, the claim and pending marks and the old run's unit
    locks (other slots of a cluster) follow it."""
    token = locks.new_token()
    valkey = get_valkey()
    outcome, old_token, now = lua_script(__file__, "run_start")(
        keys=[records.job_key(job.id)],
        args=[
            task_id,
            token,
            settings.UPSTREAM_HEARTBEAT_STALE_SECONDS,
            settings.UPSTREAM_JOB_TTL,
            f"{time.time():.3f}",
            EARLY_SLACK_SECONDS,
            _score(valkey.zscore(RUNNING_KEY, job.id)),
        ],
        client=valkey,
    )
    outcome = outcome.decode() if isinstance(outcome, bytes) else outcome
    if outcome in records.DONE_STATES:
        valkey.zrem(DUE_KEY, job.id)
    if outcome != "run":
        logger.info("job %s: delivery %s not run (%s)", job.id, task_id, outcome)
        return False
    pipe = valkey.pipeline(transaction=False)
    pipe.zadd(RUNNING_KEY, {job.id: float(now)})
    pipe.zrem(DUE_KEY, job.id)
    pipe.execute()
    if old_token:
        locks.release_if_ours(_unit_lock_keys(job), old_token.decode(), valkey)
    # A job that waited long in the queue keeps its claim and shows in data status while it runs.
    records.mark_units(_claim_and_marks(job), job.id, settings.UPSTREAM_LOCK_TTL)
    ensure_beating()
    with _running_lock:
        _running[job.id] = task_id
    _current.job_id, _current.task_id, _current.token = job.id, task_id, token
    return True


def end_run(job_id: str, task_id: str) -> None:
    """The run of ``job_id`` by ``task_id`` in this process ended (any way): the
    job leaves the running set, unless another run has taken it over
    meanwhile; one that went back to the queue is noted as due (ss:due) at its
    retry time, so that a countdown lost with a killed worker is sent again
    (``_resend``)."""
    with _running_lock:
        if _running.get(job_id) == task_id:
            del _running[job_id]
    if getattr(_current, "job_id", None) == job_id:
        _current.job_id = _current.task_id = _current.token = None
    valkey = get_valkey()
    owner, status, retry_at, updated_at = valkey.hmget(
        records.job_key(job_id), "owner", "status", "retry_at", "updated_at"
    )
    if status is not None and owner != task_id.encode():
        return
    pipe = valkey.pipeline(transaction=False)
    pipe.zrem(RUNNING_KEY, job_id)
    if status == records.QUEUED.encode():
        due = float(retry_at) if retry_at else float(updated_at or 0) + UNKNOWN_COUNTDOWN_SECONDS
        pipe.zadd(DUE_KEY, {job_id: due})
    pipe.execute()


def lock_token() -> str | None:
    """The unit-lock token of the job this thread runs (None outside a run)."""
    return getattr(_current, "token", None)


@task_postrun.connect(dispatch_uid="upstream.heartbeat.end")
def _end_after_task(
    sender: Any = None,
    task_id: str | None = None,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    if sender is None or sender.name != records.RUN_JOB_TASK or not args:
        return
    try:
        end_run(args[0], task_id or "")
    except Exception:
        logger.warning("could not end the run of job %s", args[0], exc_info=True)


# --- taking jobs back ---------------------------------------------------------


def reclaim_if_stale(job: records.Job) -> records.Job:
    """Re-enqueue ``job`` when it is "running" without a live heartbeat, or
    queued long past its retry time; the job as it stands."""
    if job.status == records.QUEUED and job.retry_at and time.time() > job.retry_at + QUEUED_GRACE_SECONDS:
        _resend(job)
        return job
    if job.status != records.RUNNING or not _reclaim(job):
        return job
    return records.job_get(job.id) or job


def _resend(job: records.Job) -> bool:
    """Send the task of a queued job past due again (once per grace period)."""
    valkey = get_valkey()
    if valkey.hget(records.job_key(job.id), "status") != records.QUEUED.encode():
        valkey.zrem(DUE_KEY, job.id)
        return False
    again = lua_script(__file__, "job_resend")(
        keys=[DUE_KEY], args=[job.id, QUEUED_GRACE_SECONDS], client=valkey
    )
    if not again:
        return False
    records.mark_units(_claim_and_marks(job), job.id, settings.UPSTREAM_LOCK_TTL)
    logger.warning("job %s (%s): still queued past its due time; its task is sent again", job.id, job.kind)
    records.job_send(job)
    return True


def _reclaim(job: records.Job) -> bool:
    valkey = get_valkey()
    reclaimed, token = lua_script(__file__, "job_reclaim")(
        keys=[records.job_key(job.id)],
        args=[
            settings.UPSTREAM_HEARTBEAT_STALE_SECONDS,
            settings.UPSTREAM_JOB_TTL,
            f"{time.time():.3f}",
            _score(valkey.zscore(RUNNING_KEY, job.id)),
        ],
        client=valkey,
    )
    if reclaimed == 2:
        valkey.zrem(RUNNING_KEY, job.id)
    if reclaimed != 1:
        return False
    if token:
        locks.release_if_ours(_unit_lock_keys(job), token.decode(), valkey)
    # The job stays the one filling its units: whoever misses them now joins it.
    records.mark_units(_claim_and_marks(job), job.id, settings.UPSTREAM_LOCK_TTL)
    valkey.zrem(RUNNING_KEY, job.id)
    logger.warning("job %s (%s): its worker stopped beating; queued again", job.id, job.kind)
    records.job_waiting(job.id, waiting_for="worker", retry_at=None)
    records.job_send(job)
    return True


def stale_job_ids() -> list[str]:
    """Jobs whose heartbeat is older than the stale time (Valkey's clock)."""
    client = get_valkey()
    seconds, micros = client.time()
    horizon = seconds + micros / 1e6 - settings.UPSTREAM_HEARTBEAT_STALE_SECONDS
    # cast: this client never decodes answers (redis-py types them bytes | str).
    members = cast(list[bytes], client.zrangebyscore(RUNNING_KEY, "-inf", horizon))
    return [member.decode() for member in members]


def overdue_job_ids() -> list[str]:
    """Queued jobs past their retry time by more than the grace (Valkey's clock)."""
    client = get_valkey()
    horizon = int(client.time()[0]) - QUEUED_GRACE_SECONDS
    members = cast(list[bytes], client.zrangebyscore(DUE_KEY, "-inf", horizon))
    return [member.decode() for member in members]


@shared_task(name=SWEEP_TASK)
def sweep_stale_jobs() -> dict:
    """Reclaim every running job whose worker stopped beating, and send again
    the tasks of queued jobs long past due (beat, every minute)."""
    resent = []
    for job_id in overdue_job_ids():
        job = records.job_get(job_id)
        if job is None:
            get_valkey().zrem(DUE_KEY, job_id)
        elif _resend(job):
            resent.append(job_id)
    reclaimed = []
    for job_id in stale_job_ids():
        job = records.job_get(job_id)
        if job is None:
            get_valkey().zrem(RUNNING_KEY, job_id)
            continue
        if job.status == records.RUNNING and _reclaim(job):
            reclaimed.append(job_id)
        elif job.status != records.RUNNING:
            get_valkey().zrem(RUNNING_KEY, job_id)
    if reclaimed or resent:
        logger.warning("swept jobs of dead workers: reclaimed %s, sent again %s", reclaimed, resent)
    return {"reclaimed": reclaimed, "resent": resent}
