"""Dead workers: heartbeats, taking back their jobs, and deliveries that come late."""

import socket
import time

import pytest
from celery import current_app
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from backend_django.conftest import _database_url_for_worker
from backend_django.core.valkey import broker_client, get_valkey
from backend_django.testing.waiting import wait_until
from backend_django.testing.workers import WorkerProcess
from backend_django.upstream import jobs
from backend_django.upstream.guards import budgets
from backend_django.upstream.jobs import liveness, locks, records
from backend_django.upstream.kinds import climate

pytestmark = pytest.mark.django_db

NO_WORKER = "test-no-worker"


def _make_stale(job_id: str, seconds_ago: float = 60) -> None:
    """As if this process had died: it no longer beats, its last beat was long ago."""
    liveness._running.pop(job_id, None)
    now = float(get_valkey().time()[0])
    get_valkey().zadd(liveness.RUNNING_KEY, {job_id: now - seconds_ago})


def _started(units=("test:1", "test:2")) -> records.Job:
    return records.job_start(kind="test", units=list(units), result_url="/x", queue=NO_WORKER).job


def _broker():
    """The broker's Valkey (the cache's own unless CELERY_BROKER_URL names another)."""
    return broker_client(django_settings.CELERY_BROKER_URL, socket_timeout=2)


def _queued_messages(queue: str) -> int:
    return _broker().llen(queue)


@pytest.fixture(autouse=True)
def _empty_test_queue():
    _broker().delete(NO_WORKER)
    yield
    _broker().delete(NO_WORKER)
    liveness._running.clear()
    liveness._current.job_id = liveness._current.task_id = liveness._current.token = None


def test_a_running_job_beats_and_a_stale_one_is_taken_back_by_its_next_poll(settings):
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    locks.unit_lock_acquire("test:1", liveness.lock_token())  # the run was fetching test:1
    liveness._beat_once()
    client = APIClient()
    # Beating: a poll leaves it running.
    assert client.get(f"/api/v1/jobs/{job.id}/").json()["status"] == "running"
    messages = _queued_messages(NO_WORKER)

    _make_stale(job.id)
    body = client.get(f"/api/v1/jobs/{job.id}/").json()
    assert body["status"] == "queued"
    record = records.job_get(job.id)
    assert record.waiting_for == "worker"
    # Sent again, once, however many polls meet it.
    assert _queued_messages(NO_WORKER) == messages + 1
    client.get(f"/api/v1/jobs/{job.id}/")
    assert _queued_messages(NO_WORKER) == messages + 1
    valkey = get_valkey()
    # The dead run's unit lock is released; the claim and pending marks still name the job.
    assert valkey.get(locks.lock_key("test:1")) is None
    assert valkey.get(records.claim_key("test", ["test:1", "test:2"], "/x")).decode() == job.id
    assert valkey.get(records.pending_key("test:2")).decode() == job.id
    assert valkey.ttl(records.pending_key("test:2")) > settings.UPSTREAM_LOCK_TTL - 5
    assert valkey.zscore(liveness.RUNNING_KEY, job.id) is None


def test_a_miss_that_joins_a_dead_job_takes_it_back():
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    _make_stale(job.id)
    joined = jobs.job_start(kind="test", units=["test:2", "test:1"], result_url="/x", queue=NO_WORKER)
    assert not joined.created and joined.job.id == job.id
    assert joined.job.status == "queued" and joined.job.waiting_for == "worker"


def test_the_sweep_takes_back_every_stale_job_and_leaves_live_ones():
    dead, alive = _started(["test:1"]), _started(["test:2"])
    for job in (dead, alive):
        assert liveness.start_run(job, task_id=f"task-{job.id}")
    _make_stale(dead.id)
    liveness._beat_once()
    assert liveness.sweep_stale_jobs() == {"reclaimed": [dead.id], "resent": []}
    assert records.job_get(dead.id).status == "queued"
    assert records.job_get(alive.id).status == "running"
    # A job that ended but was left in the set (its process died after finishing) is dropped.
    records.job_succeed(alive.id)
    _make_stale(alive.id)
    assert liveness.sweep_stale_jobs() == {"reclaimed": [], "resent": []}
    assert get_valkey().zcard(liveness.RUNNING_KEY) == 0


def test_a_requeued_job_long_past_its_retry_time_is_sent_again_once_per_grace(monkeypatch):
    monkeypatch.setattr(liveness, "QUEUED_GRACE_SECONDS", 5.0)
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    # The run waits for budget: back to the queue with a countdown, whose
    # message the worker holds until due.
    records.job_requeued(job.id, countdown=30)
    records.job_waiting(job.id, waiting_for="budget", retry_at=time.time() + 30)
    liveness.end_run(job.id, "task-1")
    due = get_valkey().zscore(liveness.DUE_KEY, job.id)
    assert due == pytest.approx(time.time() + 30, abs=2)
    messages = _queued_messages(NO_WORKER)
    assert liveness.sweep_stale_jobs()["resent"] == []  # not due yet

    # The worker died with the countdown: 10 s past due, nothing has run it.
    get_valkey().hset(records.job_key(job.id), "retry_at", f"{time.time() - 10:.3f}")
    get_valkey().zadd(liveness.DUE_KEY, {job.id: time.time() - 10})
    assert liveness.sweep_stale_jobs()["resent"] == [job.id]
    assert _queued_messages(NO_WORKER) == messages + 1
    assert liveness.sweep_stale_jobs()["resent"] == []  # once per grace period
    assert _queued_messages(NO_WORKER) == messages + 1
    # Its run takes it out of the due records.
    assert liveness.start_run(records.job_get(job.id), task_id="task-2")
    assert get_valkey().zscore(liveness.DUE_KEY, job.id) is None


def test_a_poll_of_a_queued_job_long_past_its_retry_time_sends_it_again(monkeypatch):
    monkeypatch.setattr(liveness, "QUEUED_GRACE_SECONDS", 5.0)
    job = _started()
    records.job_waiting(job.id, waiting_for="budget", retry_at=time.time() - 10)
    get_valkey().zadd(liveness.DUE_KEY, {job.id: time.time() - 10})
    messages = _queued_messages(NO_WORKER)
    assert APIClient().get(f"/api/v1/jobs/{job.id}/").json()["status"] == "queued"
    assert _queued_messages(NO_WORKER) == messages + 1


def test_a_new_job_still_queued_before_its_marks_expire_is_sent_again_and_keeps_them(settings):
    job = _started()
    valkey = get_valkey()
    marks = [
        records.claim_key("test", ["test:1", "test:2"], "/x"),
        records.pending_key("test:1"),
        records.pending_key("test:2"),
    ]
    due = valkey.zscore(liveness.DUE_KEY, job.id)
    assert due == pytest.approx(time.time() + settings.UPSTREAM_LOCK_TTL - records.NEW_JOB_DUE_MARGIN, abs=2)
    # Sent again by a sweep at most a minute late, it is still before the marks expire.
    assert due + liveness.QUEUED_GRACE_SECONDS + 60 < time.time() + min(valkey.ttl(key) for key in marks)
    messages = _queued_messages(NO_WORKER)
    assert liveness.sweep_stale_jobs()["resent"] == []  # not due yet

    # Minutes later it has not started (a long queue, or its message went
    # with a worker that died): its marks are about to expire.
    valkey.zadd(liveness.DUE_KEY, {job.id: time.time() - liveness.QUEUED_GRACE_SECONDS - 1})
    for key in marks:
        valkey.expire(key, 10)
    assert liveness.sweep_stale_jobs()["resent"] == [job.id]
    assert _queued_messages(NO_WORKER) == messages + 1
    for key in marks:
        assert valkey.get(key).decode() == job.id
        assert valkey.ttl(key) > settings.UPSTREAM_LOCK_TTL - 5
    # A miss of its units still joins it.
    joined = records.job_start(kind="test", units=["test:1", "test:2"], result_url="/x", queue=NO_WORKER)
    assert not joined.created and joined.job.id == job.id


def test_a_second_message_does_not_cut_a_countdown_short():
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    records.job_waiting(job.id, waiting_for="upstream_down", retry_at=time.time() + 30)
    liveness.end_run(job.id, "task-1")
    # Another message for it (sent again while it was queued) comes during the wait.
    assert not liveness.start_run(records.job_get(job.id), task_id="task-2")
    assert records.job_get(job.id).status == "queued"
    assert records.job_get(job.id).waiting_for == "upstream_down"
    # The countdown's own message comes at the retry time (here: the time moved on) and runs it.
    records.job_waiting(job.id, waiting_for="upstream_down", retry_at=time.time())
    assert liveness.start_run(records.job_get(job.id), task_id="task-1")
    assert records.job_get(job.id).status == "running"
    liveness.end_run(job.id, "task-1")


def test_late_and_repeated_deliveries_are_harmless():
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    first_token = liveness.lock_token()
    locks.unit_lock_acquire("test:1", first_token)
    # Another delivery while the first run is alive does not run it.
    assert not liveness.start_run(job, task_id="task-2")
    # The same task delivered again (its pool process was killed) takes it over,
    # releasing the lock its first run held.
    assert liveness.start_run(job, task_id="task-1")
    assert get_valkey().get(locks.lock_key("test:1")) is None
    # The end of the earlier run does not take the job out of the running set.
    liveness.end_run(job.id, "task-2")
    assert get_valkey().zscore(liveness.RUNNING_KEY, job.id) is not None
    records.job_succeed(job.id)
    liveness.end_run(job.id, "task-1")
    # After the end, any delivery just reports the outcome.
    assert not liveness.start_run(job, task_id="task-1")
    assert not liveness.start_run(job, task_id="task-3")
    assert records.job_get(job.id).status == "succeeded"


def test_the_heartbeat_thread_beats_without_the_running_thread():
    job = _started()
    assert liveness.start_run(job, task_id="task-1")
    before = get_valkey().zscore(liveness.RUNNING_KEY, job.id)
    # This thread does nothing more; the process's heartbeat thread keeps the job alive.
    wait_until(lambda: get_valkey().zscore(liveness.RUNNING_KEY, job.id) > before, "a heartbeat", timeout=10)
    liveness.end_run(job.id, "task-1")


FAULTS_QUEUE = "test-faults-dead-worker"


@pytest.mark.faults
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_fetch_costs_seconds_not_an_hour(simulator, django_db_blocker):
    lat, lng = 12.25, 34.5
    unit = climate.unit_for(lat, lng)
    worker = WorkerProcess(queues=FAULTS_QUEUE, name="dead-worker", database_url=_database_url_for_worker())
    worker.start()
    try:
        simulator.set_latency(2.5, upstream="open_meteo")  # within the test's read timeout (3 s)
        started = records.job_start(
            kind="climate", units=[unit], result_url="/api/v1/climate/?x", queue=FAULTS_QUEUE
        )
        job_id = started.job.id
        wait_until(lambda: simulator.stats()["open_meteo"]["requests"] == 1, "the fetch began", timeout=30)
        assert records.job_get(job_id).status == "running"
        worker.kill()
        simulator.set_latency(0.0, upstream="open_meteo")

        client = APIClient()
        # While no worker lives, a poll past the stale time puts the job back, waiting for a worker.
        # The clock moves on, not slept: the last heartbeat the killed worker sent is made that old.
        get_valkey().zincrby(liveness.RUNNING_KEY, -(heartbeat_stale_seconds() + 0.5), job_id)
        assert client.get(f"/api/v1/jobs/{job_id}/").json()["status"] == "queued"
        assert records.job_get(job_id).waiting_for == "worker"

        back = worker.start()

        def succeeded():
            client.get(f"/api/v1/jobs/{job_id}/")
            return records.job_get(job_id).status == "succeeded"

        wait_until(succeeded, "the job succeeded after the worker came back", timeout=30, step=0.2)
        assert time.monotonic() - back < 30
        assert simulator.stats()["open_meteo"]["requests"] == 2  # the killed fetch, and one more

        # The original task message, delivered late (as the broker does after its
        # visibility timeout), changes nothing and asks the upstream nothing.
        late = current_app.send_task(records.RUN_JOB_TASK, args=[job_id], queue=FAULTS_QUEUE)
        assert late.get(timeout=30) == "succeeded"
        assert simulator.stats()["open_meteo"]["requests"] == 2
        assert records.job_get(job_id).status == "succeeded"
    finally:
        worker.stop()


@pytest.mark.faults
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_countdown_lost_with_a_killed_worker_is_sent_again(simulator, monkeypatch):
    monkeypatch.setattr(liveness, "QUEUED_GRACE_SECONDS", 2.0)  # the sweep and polls run here
    from django.conf import settings

    valkey = get_valkey()
    now = int(valkey.time()[0])
    # This minute's and the next one's Open-Meteo budgets are spent: the job
    # goes back to the queue until a minute turns (however close this one is
    # to its end, a countdown is held), and the worker holds that countdown's message.
    spent = [budgets.window_key("open_meteo", "all", 60, now + 60 * ahead) for ahead in (0, 1)]
    for key in spent:
        valkey.set(key, settings.OPEN_METEO_CALLS_PER_MINUTE, ex=180)
    # A person's job would give up on a wait past the test settings' 25 s: this one may wait the minutes out.
    worker = WorkerProcess(
        queues=FAULTS_QUEUE,
        name="countdown",
        database_url=_database_url_for_worker(),
        env={"UPSTREAM_PERSON_MAX_WAIT": "150"},
    )
    worker.start()
    try:
        unit = climate.unit_for(14.25, 36.5)
        job_id = records.job_start(kind="climate", units=[unit], result_url="/x", queue=FAULTS_QUEUE).job.id
        wait_until(lambda: records.job_get(job_id).waiting_for == "budget", "it waits", timeout=30)
        # The countdown's message reaches the worker, which holds it until it is due.
        node = [f"countdown@{socket.gethostname()}"]

        def held() -> bool:
            scheduled = current_app.control.inspect(destination=node, timeout=1.0).scheduled() or {}
            return any(scheduled.values())

        wait_until(held, "the worker holds the countdown", timeout=30)
        worker.kill()
        worker.start()
        # The minutes pass (moved, not waited for): the budget is back, and the
        # job's retry time is past by more than the grace.
        valkey.delete(*spent)
        past = time.time() - liveness.QUEUED_GRACE_SECONDS - 1
        assert records.job_get(job_id).status == records.QUEUED
        valkey.hset(records.job_key(job_id), "retry_at", f"{past:.3f}")
        valkey.zadd(liveness.DUE_KEY, {job_id: past})
        client = APIClient()

        def succeeded():
            liveness.sweep_stale_jobs()
            client.get(f"/api/v1/jobs/{job_id}/")
            return records.job_get(job_id).status == "succeeded"

        wait_until(succeeded, "the job succeeded without its lost countdown", timeout=60, step=0.5)
        assert simulator.stats()["open_meteo"]["requests"] == 1
    finally:
        worker.stop()


def heartbeat_stale_seconds() -> float:
    from django.conf import settings

    return settings.UPSTREAM_HEARTBEAT_STALE_SECONDS
