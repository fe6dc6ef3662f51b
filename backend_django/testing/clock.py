"""Moving a job's clock in tests, instead of waiting on the wall clock.

A person's job gives up UPSTREAM_PERSON_MAX_WAIT seconds (25 in the test
settings) after it was created, and every run of it reads when that was from
its record (``created_at``, jobs/tasks.py). A test that must see the job give
up makes it older instead of sleeping the wait out: the worker, a separate
process, reads the moved time on its next run.
"""

import time

from django.conf import settings

from backend_django.core.valkey import get_valkey
from backend_django.upstream.jobs import records

from .waiting import wait_until


def job_id_of(location: str) -> str:
    """The job id of a job's URL ("/api/v1/jobs/<id>/") or of an id."""
    return location.rstrip("/").rsplit("/", 1)[-1]


def age_job(location: str, seconds: float) -> None:
    """From now on the job looks ``seconds`` older (its record's ``created_at``)."""
    get_valkey().hincrbyfloat(records.job_key(job_id_of(location)), "created_at", -seconds)


def run_out_persons_wait(location: str, *, left: float = 3.0) -> float:
    """Once the job has met its first failure, age it so that only ``left``
    seconds of a person's wait remain; returns the seconds it was aged by
    (0 when it had already finished or was older)."""
    job_id = job_id_of(location)

    def failed_once() -> records.Job | None:
        job = records.job_get(job_id)
        return job if job is not None and (job.last_error_code or job.finished) else None

    job = wait_until(failed_once, "the job's first failure", timeout=30)
    aged = settings.UPSTREAM_PERSON_MAX_WAIT - left - (time.time() - job.created_at)
    if job.finished or aged <= 0:
        return 0.0
    age_job(job_id, aged)
    return aged
