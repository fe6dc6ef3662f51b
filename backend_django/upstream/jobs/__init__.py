"""Jobs: the records a browser polls while a worker fills the cache, and the worker's side.

- ``records.py``: the job records in Valkey (created, joined, updated);
- ``tasks.py``: the Celery task ``upstream.run_job`` that fills a job's
  units, each under its lock (``locks.py``) through its kind's fetch;
- ``retry.py``: when a fetch does not work out, sleep, requeue or fail;
- ``liveness.py``: heartbeats of running jobs, taking back those of workers
  that died, and the sweep that sends again the tasks of overdue jobs;
- ``warming.py``: prefetching what saved plans need, on the ``warm`` queue.

Start or join a job with ``job_start`` below.
"""

from dataclasses import replace

from . import liveness, records
from .records import Job, StartedJob, job_get

__all__ = ["Job", "StartedJob", "job_get", "job_start"]


def job_start(
    *,
    kind: str,
    units: list[str],
    result_url: str,
    queue: str = "interactive",
    refresh_within: float = 0,
    client: str = "",
) -> StartedJob:
    """Join or create the job that fills ``units`` and enqueue its task if new
    (records.job_start); a joined job whose worker died is taken back and sent
    again (liveness.py), so whoever joins it sees it move."""
    started = records.job_start(
        kind=kind,
        units=units,
        result_url=result_url,
        queue=queue,
        refresh_within=refresh_within,
        client=client,
    )
    if started.created or started.job.finished:
        return started
    return replace(started, job=liveness.reclaim_if_stale(started.job))
