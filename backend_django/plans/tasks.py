"""Scheduled warming of the data saved plans use.

(A plan created or moved is prefetched by plans.services after commit: a
warm job like these, started by ``plan_prefetch``.)

- ``warm_refresh_ahead`` (hourly): refresh entries active plans use that stop
  being fresh within WARM_REFRESH_AHEAD_DAYS.
- ``warm_ensure_cached`` (nightly): make sure every active plan's data is cached.
- ``purge_deleted`` (every 10 minutes): forget deleted plans past their
  restore window (PLAN_RESTORE_SECONDS).
- ``upstream.sweep_stale_jobs`` (every minute, on the interactive queue):
  re-enqueue jobs whose worker stopped beating (upstream/jobs/liveness.py).

The schedules are defined here and written into django-celery-beat's tables
after `migrate`, so admins can change their times in the admin.
"""

import logging
from typing import NotRequired, TypedDict

from celery import shared_task

from backend_django.upstream.jobs import warming

from .selectors import plan_active_locations
from .services import plans_deleted_purge

logger = logging.getLogger(__name__)


@shared_task(name="plans.warm_refresh_ahead")
def warm_refresh_ahead() -> dict:
    from django.conf import settings

    horizon = settings.WARM_REFRESH_AHEAD_DAYS * 86400
    units = warming.units_to_warm(plan_active_locations(), within_seconds=horizon)
    job_ids = warming.warm_units(units, reason="refresh-ahead", refresh_within=horizon)
    return {"units": len(units), "jobs": job_ids}


@shared_task(name="plans.warm_ensure_cached")
def warm_ensure_cached() -> dict:
    units = warming.units_to_warm(plan_active_locations(), within_seconds=None)
    return {"units": len(units), "jobs": warming.warm_units(units, reason="nightly")}


@shared_task(name="plans.purge_deleted")
def purge_deleted() -> dict:
    return {"purged": plans_deleted_purge()}


class Crontab(TypedDict):
    minute: str
    hour: str


class BeatSchedule(TypedDict):
    task: str
    crontab: Crontab
    queue: NotRequired[str]  # default: the warm queue


# Created once, never overwritten: times changed in the admin stay.
BEAT_SCHEDULES: dict[str, BeatSchedule] = {
    "Warm: refresh data of active plans before it expires": {
        "task": "plans.warm_refresh_ahead",
        "crontab": {"minute": "17", "hour": "*"},
    },
    "Warm: make sure every active plan's data is cached": {
        "task": "plans.warm_ensure_cached",
        "crontab": {"minute": "30", "hour": "3"},
    },
    "Plans: forget deleted plans past their restore window": {
        "task": "plans.purge_deleted",
        "crontab": {"minute": "*/10", "hour": "*"},
    },
    # On the people's queue: a backlog of warm jobs must not delay it.
    "Jobs: queue again the jobs of workers that stopped beating": {
        "task": "upstream.sweep_stale_jobs",
        "crontab": {"minute": "*", "hour": "*"},
        "queue": "interactive",
    },
}


def sync_beat_schedules(**kwargs) -> None:
    """post_migrate: create the periodic tasks of BEAT_SCHEDULES that are missing."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, spec in BEAT_SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=spec["crontab"]["minute"],
            hour=spec["crontab"]["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.create(
            name=name, task=spec["task"], crontab=crontab, queue=spec.get("queue", warming.WARM_QUEUE)
        )
        logger.info("created periodic task %r", name)
