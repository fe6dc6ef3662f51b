"""Warm the cache for saved plans: `manage.py warm_cache --all --wait`.

With ``--wait`` it follows the jobs with a progress bar of units cached, then
reports per kind how many units are done, waiting for budget, failed or still
on their way, and says which in its exit code (docs/operations.md):

- 0: every unit is cached;
- 1: some failed (their errors are printed);
- 3: none failed, some wait for budget (they run when it has room again:
  the hour or day turns, or a client's share frees up);
- 4: none failed, some were still queued or running when ``--timeout`` ran out.

It stops waiting early when every job left waits for budget past the timeout.
"""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from backend_django.plans.models import Plan
from backend_django.plans.services import plan_prefetch
from backend_django.upstream import kinds
from backend_django.upstream.cache import store
from backend_django.upstream.jobs import records

EXIT_FAILED, EXIT_WAITING_FOR_BUDGET, EXIT_TIMED_OUT = 1, 3, 4
DONE, WAITING, FAILED, PENDING = "done", "waiting for budget", "failed", "still running"


def _unit_outcome(state: str, job: records.Job | None) -> str:
    if state == "fresh":
        return DONE
    if job is None or job.status == records.FAILED:
        return FAILED
    if job.status == records.SUCCEEDED:
        return DONE  # stale already (a very short freshness): it was cached
    if job.waiting_for == "budget":
        return WAITING
    return PENDING


def _waits_past(job: records.Job, deadline: float) -> bool:
    return job.status == records.QUEUED and job.waiting_for == "budget" and (job.retry_at or 0) > deadline


class Command(BaseCommand):
    help = (
        "Queue prefetch jobs (warm queue) for plans; --wait follows them and reports per kind "
        "(exit 0 all cached, 1 some failed, 3 some wait for budget, 4 timed out)."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--plan", nargs="+", metavar="ID", help="plan ids to warm")
        which.add_argument("--all", action="store_true", help="every plan that is not archived")
        parser.add_argument("--wait", action="store_true", help="wait for the jobs, with a progress bar")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds --wait waits at most")

    def handle(self, *args, plan=None, all=False, wait=False, timeout=3600.0, **options) -> None:
        if all:
            plans = list(Plan.objects.filter(archived=False))
        else:
            plans = list(Plan.objects.filter(pk__in=plan))
            missing = set(plan) - {str(p.pk) for p in plans}
            if missing:
                raise CommandError(f"no plan with id: {', '.join(sorted(missing))}")
        # The operator's warming, charged to no one's share (like the schedules).
        job_ids = sorted({plan_prefetch(plan=p, by_operator=True).job.id for p in plans})
        self.stdout.write(f"Queued {len(job_ids)} prefetch job(s) for {len(plans)} plan(s).")
        if not wait or not job_ids:
            return
        latest = self._follow(job_ids, timeout)
        self._report(latest)

    def _follow(self, job_ids: list[str], timeout: float) -> dict[str, records.Job | None]:
        """Poll the jobs until each has ended, or all left wait past the deadline, or the deadline."""
        deadline_monotonic = time.monotonic() + timeout
        deadline = time.time() + timeout
        latest: dict[str, records.Job | None] = {job_id: records.job_get(job_id) for job_id in job_ids}
        total = sum(job.total for job in latest.values() if job)
        shown = 0
        with tqdm(total=total, unit="unit", desc="warming", file=self.stdout) as bar:
            while True:
                latest = {job_id: records.job_get(job_id) for job_id in job_ids}
                # Units cached: all of a job that succeeded, what one still at it (or failed) did.
                done = sum(
                    job.total if job.status == records.SUCCEEDED else job.done
                    for job in latest.values()
                    if job
                )
                bar.update(done - shown)
                shown = done
                left = [job for job in latest.values() if job is not None and not job.finished]
                if not left or all(_waits_past(job, deadline) for job in left):
                    break
                if time.monotonic() > deadline_monotonic:
                    break
                time.sleep(0.5)
        return latest

    def _report(self, latest: dict[str, records.Job | None]) -> None:
        job_of_unit: dict[str, records.Job | None] = {}
        for job in latest.values():
            for unit in job.units if job else ():
                job_of_unit.setdefault(unit, job)
        states = store.states(list(job_of_unit))
        by_kind: dict[str, Counter] = {}
        for unit, job in job_of_unit.items():
            outcome = _unit_outcome(states[unit], job)
            by_kind.setdefault(kinds.of_unit(unit).name, Counter())[outcome] += 1
        for name, counts in by_kind.items():
            self.stdout.write(
                f"{name}: "
                + ", ".join(f"{counts[outcome]} {outcome}" for outcome in (DONE, WAITING, FAILED, PENDING))
            )
        failed = [job for job in latest.values() if job is not None and job.status == records.FAILED]
        for job in failed:
            self.stderr.write(f"job {job.id} failed: {job.error_code}: {job.error_message}")
        totals = sum(by_kind.values(), Counter())
        if totals[FAILED]:
            raise CommandError(f"{totals[FAILED]} unit(s) failed", returncode=EXIT_FAILED)
        if totals[PENDING]:
            raise CommandError(
                f"{totals[PENDING]} unit(s) still queued or running when the timeout ran out",
                returncode=EXIT_TIMED_OUT,
            )
        if totals[WAITING]:
            raise CommandError(
                f"{totals[WAITING]} unit(s) wait for upstream budget; they run when it has room again",
                returncode=EXIT_WAITING_FOR_BUDGET,
            )
        self.stdout.write(self.style.SUCCESS(f"Warm: {totals[DONE]} unit(s) cached."))
