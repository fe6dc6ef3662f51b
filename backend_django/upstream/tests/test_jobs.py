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
