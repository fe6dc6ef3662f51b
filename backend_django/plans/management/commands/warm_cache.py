"""Warm the cache for saved plans: `manage.py warm_cache --all --wait`."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from backend_django.plans.models import Plan
from backend_django.plans.services import plan_prefetch
from backend_django.upstream import jobs


class Command(BaseCommand):
    help = "Queue prefetch jobs (warm queue) for plans; --wait follows them with a progress bar."

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
        job_ids = sorted({plan_prefetch(plan=p).job.id for p in plans})
        self.stdout.write(f"Queued {len(job_ids)} prefetch job(s) for {len(plans)} plan(s).")
        if not wait or not job_ids:
            return

        deadline = time.monotonic() + timeout
        total = sum(job.total for job in (jobs.job_get(job_id) for job_id in job_ids) if job)
        failed: list[jobs.Job] = []
        with tqdm(total=total, unit="unit", desc="warming", file=self.stdout) as bar:
            pending = set(job_ids)
            done_by_job: dict[str, int] = {}
            while pending:
                if time.monotonic() > deadline:
                    raise CommandError(f"{len(pending)} job(s) still running after {timeout:.0f} s")
                for job_id in list(pending):
                    job = jobs.job_get(job_id)
                    if job is None:
                        pending.discard(job_id)
                        continue
                    done = job.total if job.finished else job.done
                    bar.update(done - done_by_job.get(job_id, 0))
                    done_by_job[job_id] = done
                    if job.finished:
                        pending.discard(job_id)
                        if job.status == jobs.FAILED:
                            failed.append(job)
                time.sleep(0.5)
        for job in failed:
            self.stderr.write(f"job {job.id} failed: {job.error_code}: {job.error_message}")
        if failed:
            raise CommandError(f"{len(failed)} of {len(job_ids)} job(s) failed")
        self.stdout.write(self.style.SUCCESS(f"Warm: {total} unit(s) cached."))
