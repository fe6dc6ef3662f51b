"""Job records in Valkey: single flight, and records that only move forward (no worker needed)."""

import pytest

from backend_django.upstream.jobs import records as jobs

pytestmark = pytest.mark.django_db


def test_a_finished_job_never_moves_back():
    started = jobs.job_start(kind="test", units=["test:1"], result_url="/x", queue="test-no-worker")
    jobs.job_succeed(started.job.id)
    jobs.job_running(started.job.id)  # a second delivery of the same task
    jobs.job_progress(started.job.id, 0)
    job = jobs.job_get(started.job.id)
    assert job.status == jobs.SUCCEEDED and job.done == 1
    jobs.job_fail(started.job.id, code="late", message="too late")
    assert jobs.job_get(started.job.id).status == jobs.SUCCEEDED


def test_identical_starts_join_one_job_until_it_ends(valkey_commands):
    first = jobs.job_start(kind="test", units=["test:1", "test:2"], result_url="/x", queue="test-no-worker")
    again = jobs.job_start(kind="test", units=["test:2", "test:1"], result_url="/x", queue="test-no-worker")
    assert first.created and not again.created and again.job.id == first.job.id
    other = jobs.job_start(kind="test", units=["test:1", "test:2"], result_url="/y", queue="test-no-worker")
    assert other.job.id != first.job.id
    jobs.job_fail(first.job.id, code="x", message="y")
    after = jobs.job_start(kind="test", units=["test:1", "test:2"], result_url="/x", queue="test-no-worker")
    assert after.created and after.job.id != first.job.id
    # The scripts are sent by hash, never as source.
    assert "EVALSHA" in valkey_commands and "EVAL" not in valkey_commands


def test_a_jobs_task_is_named_for_operators_by_its_kind_and_what_it_fills(monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "send_task", lambda name, **options: sent.append((name, options["shadow"])))
    jobs.job_start(kind="climate", units=["climate:45.5:-122.7"], result_url="/a")
    jobs.job_start(
        kind="prefetch",
        units=["climate:45.5:-122.7", "bcell:4551:-12269", "sun:45.52:-122.68"],
        result_url="/b",
    )
    assert sent == [
        ("upstream.run_job", "climate climate:45.5:-122.7"),
        ("upstream.run_job", "prefetch climate:45.5:-122.7 (+2 more)"),
    ]


def test_a_state_write_is_one_command_and_a_new_job_is_not_read_back(valkey_commands, monkeypatch):
    monkeypatch.setattr(jobs, "send_task", lambda name, **options: None)
    started = jobs.job_start(kind="test", units=["test:1", "test:2"], result_url="/x", queue="test-no-worker")
    assert "HGETALL" not in valkey_commands, "a job just created is known without reading it back"
    valkey_commands.clear()
    jobs.job_running(started.job.id)
    jobs.job_progress(started.job.id, 1)
    assert valkey_commands == ["EVALSHA", "EVALSHA"]
    valkey_commands.clear()
    jobs.job_succeed(started.job)  # the run has its job: releasing the claim reads nothing
    assert valkey_commands == ["EVALSHA"]
    assert jobs.job_get(started.job.id).status == jobs.SUCCEEDED


def test_a_warm_job_carries_on_when_the_broker_cannot_say_whether_people_wait(simulator, monkeypatch):
    """A warm job asks the broker whether people's fetches are queued before each
    unit. While the broker's primary is being replaced that question fails; it is
    a hint, so the job fills its unit and succeeds instead of crashing."""
    import socket

    import redis

    from backend_django.upstream.cache import store
    from backend_django.upstream.jobs import tasks

    with socket.socket() as probe:  # a port nothing listens on: a refused connection
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    monkeypatch.setattr(tasks, "_broker", lambda: refused)
    monkeypatch.setattr(jobs, "send_task", lambda name, **options: None)  # the run happens here
    unit = "climate:45.5:-122.7"
    started = jobs.job_start(kind="prefetch", units=[unit], result_url="/x", queue="warm")

    tasks.run_job.apply(args=[started.job.id])

    assert jobs.job_get(started.job.id).status == jobs.SUCCEEDED
    assert store.read(unit).state() == "fresh"
