"""Prefetch on save, data status, scheduled warming, budgets and priority.

These run a real Celery worker over real Valkey against the upstream simulator.
"""

import time
import uuid
from datetime import date
from io import StringIO
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.plans.tasks import BEAT_SCHEDULES, warm_ensure_cached, warm_refresh_ahead
from backend_django.plans.tests.factories import PlanFactory
from backend_django.testing.waiting import wait_until
from backend_django.upstream import kinds
from backend_django.upstream import status as data_status
from backend_django.upstream.cache import store
from backend_django.upstream.guards import budgets
from backend_django.upstream.jobs import liveness, records, warming
from backend_django.upstream.kinds import sun
from backend_django.users.tests.factories import UserFactory

worker = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_job(job_id: str, timeout: float = 60) -> records.Job:
    return wait_until(lambda: (job := records.job_get(job_id)) and job.finished and job, timeout=timeout)


def statuses(client: APIClient, plan_id) -> dict:
    response = client.get(f"/api/v1/plans/{plan_id}/")
    assert response.status_code == 200
    return response.json()["data_status"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_creating_a_plan_caches_its_data_without_any_request_for_it(
    user_client, simulator, celery_worker_process
):
    response = user_client.post(
        "/api/v1/plans/", {"name": "Allotment", "latitude": 51.4545, "longitude": -2.5879}, format="json"
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert set(plan["data_status"]) >= {"climate", "buildings"}

    def all_fresh():
        current = statuses(user_client, plan["id"])
        return all(kind["state"] == "fresh" for kind in current.values()) and current

    final = wait_until(all_fresh)
    assert all(kind["job_id"] is None for kind in final.values())
    stats = simulator.stats()
    assert stats["open_meteo"]["requests"] == 1
    # The page's buildings cells, and those the sun reads around the site (each fetched once).
    site = sun.site_from_unit(kinds.units_for(51.4545, -2.5879)["sun"][0])
    cells = set(kinds.units_for(51.4545, -2.5879)["buildings"]) | set(
        sun.site_input_units(site=site).buildings
    )
    assert stats["overpass"]["requests"] == len(cells)
    # The plan page's data is now a hit for anyone.
    anonymous = APIClient()
    summary = anonymous.get("/api/v1/climate/summary/", {"lat": 51.4545, "lng": -2.5879})
    assert summary.status_code == 200 and summary["X-Cache"] == "HIT"
    radius = 0.0015
    bbox = f"{51.4545 - radius},{-2.5879 - radius},{51.4545 + radius},{-2.5879 + radius}"
    # The page's box is drawn in the request from the cached cells (X-Cache: MISS), asking no upstream.
    box = anonymous.get("/api/v1/buildings/", {"bbox": bbox})
    assert box.status_code == 200 and box["X-Cache"] == "MISS"
    assert anonymous.get("/api/v1/buildings/", {"bbox": bbox})["X-Cache"] == "HIT"
    assert simulator.stats()["open_meteo"]["requests"] == 1
    assert simulator.stats()["overpass"]["requests"] == len(cells)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_moving_a_plan_prefetches_the_new_place_and_status_reports_fetching(
    user_client, user, simulator, celery_worker_process
):
    plan = PlanFactory(owner=user, latitude=10.0, longitude=10.0)
    simulator.set_latency(0.5)
    response = user_client.patch(f"/api/v1/plans/{plan.pk}/", {"latitude": 12.34}, format="json")
    assert response.status_code == 200
    fetching = response.json()["data_status"]["climate"]
    assert fetching["state"] == "fetching"
    job = records.job_get(fetching["job_id"])
    assert job.kind == "prefetch" and job.queue == "warm"
    assert wait_for_job(job.id).status == records.SUCCEEDED
    assert statuses(user_client, plan.pk)["climate"] == {"state": "fresh", "job_id": None}
    asked = simulator.stats()["open_meteo"]["requests_log"]
    assert any("latitude=12.3" in entry["query"] for entry in asked)

    # An entry past its freshness reads as stale.
    get_valkey().hset(store.entry_key(kinds.units_for(12.34, 10.0)["climate"][0]), "fu", time.time() - 1)
    assert statuses(user_client, plan.pk)["climate"]["state"] == "stale"


@pytest.mark.django_db
def test_prefetch_endpoint_returns_the_job_and_hides_other_peoples_plans(user_client, user):
    plan = PlanFactory(owner=user)
    response = user_client.post(f"/api/v1/plans/{plan.pk}/prefetch/")
    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert job["kind"] == "prefetch"
    assert job["progress"]["total"] == len(kinds.all_units(plan.latitude, plan.longitude))
    # Asking again joins the same job.
    assert user_client.post(f"/api/v1/plans/{plan.pk}/prefetch/").json()["id"] == job["id"]

    other = PlanFactory(owner=UserFactory())
    assert user_client.post(f"/api/v1/plans/{other.pk}/prefetch/").status_code == 404
    assert APIClient().post(f"/api/v1/plans/{plan.pk}/prefetch/").status_code == 401


@pytest.mark.django_db
def test_a_page_of_plans_gets_its_data_status_in_one_valkey_round_trip(user_client, user, valkey_commands):
    PlanFactory.create_batch(30, owner=user)
    user_client.get("/api/v1/plans/")  # the first use of a script loads it into Valkey
    valkey_commands.clear()
    response = user_client.get("/api/v1/plans/", {"page_size": 30})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 30
    assert all(plan["data_status"]["climate"]["state"] == "missing" for plan in response.json()["results"])
    assert all(plan["facts"] == {"last_spring_frost": None} for plan in response.json()["results"])
    assert valkey_commands == ["EVALSHA"], "one command for the whole page, data status and facts"


@pytest.mark.django_db
def test_plans_stay_usable_when_valkey_is_down(user_client, user, settings):
    from backend_django.core.valkey import get_valkey as cached_client

    PlanFactory(owner=user)
    settings.VALKEY_URL = "redis://127.0.0.1:1/0"
    cached_client.cache_clear()
    try:
        response = user_client.get("/api/v1/plans/")
    finally:
        cached_client.cache_clear()
    assert response.status_code == 200
    assert response.json()["results"][0]["data_status"]["climate"]["state"] == "unknown"
    assert response.json()["results"][0]["facts"] == {"last_spring_frost": None}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_warming_waits_in_the_queue_when_its_budget_share_is_spent_and_people_still_get_data(
    simulator, celery_worker_process, settings
):
    client = get_valkey()
    now = int(client.time()[0])
    day_key = budgets.window_key("open_meteo", "warm", 86400, now)
    # The warm pool has used its whole share of today's Open-Meteo budget.
    client.set(day_key, settings.OPEN_METEO_CALLS_PER_DAY * settings.WARM_BUDGET_SHARE, ex=3600)

    started = warming.prefetch_location(lat=33.3, lng=44.4, result_url="/test/warm")
    job = wait_until(
        lambda: (job := records.job_get(started.job.id)).waiting_for == "budget" and job, "waits", timeout=30
    )
    assert job.status == records.QUEUED and job.retry_at > time.time()
    assert simulator.stats()["open_meteo"]["requests"] == 0
    # Its place shows the job, not "missing".
    status = data_status.data_status_many([(33.3, 44.4)])[0]["climate"]
    assert status == {"state": "fetching", "job_id": started.job.id}

    response = APIClient().get("/api/v1/climate/", {"lat": 33.3, "lng": 44.4})
    assert response.status_code == 202
    assert wait_for_job(response.json()["id"]).status == records.SUCCEEDED
    assert simulator.stats()["open_meteo"]["requests"] == 1
    assert not records.job_get(started.job.id).finished


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_warm_jobs_yield_the_worker_to_peoples_requests(simulator, celery_worker_process):
    simulator.set_latency(0.5)
    # Two warm jobs of four units each keep both worker processes busy.
    warm_ids = [
        warming.warm_units([f"climate:{lat}:{lng}.0" for lng in range(4)], reason=f"test{lat}")[0]
        for lat in (60.0, 61.0)
    ]
    wait_until(
        lambda: all(records.job_get(job_id).status == records.RUNNING for job_id in warm_ids),
        timeout=20,
        step=0.02,
    )
    response = APIClient().get("/api/v1/climate/", {"lat": -20.0, "lng": 30.0})
    assert response.status_code == 202
    interactive = wait_for_job(response.json()["id"], timeout=30)
    assert interactive.status == records.SUCCEEDED
    # The person's job finished while warming still had work left.
    assert [records.job_get(job_id).finished for job_id in warm_ids] == [False, False]
    for job_id in warm_ids:
        assert wait_for_job(job_id).status == records.SUCCEEDED


@pytest.mark.django_db
def test_beat_schedules_exist_after_migrate_and_keep_admin_changes():
    rows = {task.name: task for task in PeriodicTask.objects.filter(name__in=BEAT_SCHEDULES)}
    assert set(rows) == set(BEAT_SCHEDULES)
    for name, spec in BEAT_SCHEDULES.items():
        assert rows[name].task == spec["task"]
        assert rows[name].queue == spec.get("queue", "warm")
        assert rows[name].enabled
    # An admin moves the nightly run; running the sync again keeps it.
    nightly = rows["Warm: make sure every active plan's data is cached"]
    nightly.crontab.hour = "5"
    nightly.crontab.save()
    from backend_django.plans.tasks import sync_beat_schedules

    sync_beat_schedules()
    nightly.refresh_from_db()
    assert nightly.crontab.hour == "5"


@pytest.mark.django_db
def test_scheduled_warming_picks_what_active_plans_need(settings):
    active = PlanFactory(latitude=40.0, longitude=-3.7)
    PlanFactory(latitude=-33.9, longitude=151.2, archived=True)
    result = warm_ensure_cached()
    queued = {unit for job_id in result["jobs"] for unit in records.job_get(job_id).units}
    assert queued == set(kinds.all_units(active.latitude, active.longitude))
    assert all(records.job_get(job_id).queue == "warm" for job_id in result["jobs"])

    # Refresh-ahead: only entries that stop being fresh within the window.
    climate_unit = kinds.units_for(40.0, -3.7)["climate"][0]
    client = get_valkey()
    for unit in queued:
        client.hset(
            store.entry_key(unit), mapping={"fu": time.time() + 30 * 86400, "su": time.time() + 60 * 86400}
        )
    client.hset(store.entry_key(climate_unit), "fu", time.time() + 86400)  # expires tomorrow
    assert warm_refresh_ahead()["units"] == 1
    assert warm_ensure_cached()["units"] == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_warm_cache_command_waits_with_progress(simulator, celery_worker_process):
    plans = [PlanFactory(latitude=50.0 + i, longitude=5.0) for i in range(2)]
    out, err = StringIO(), StringIO()
    call_command("warm_cache", "--all", "--wait", stdout=out, stderr=err)
    text = out.getvalue()
    assert "Queued" in text and "cached" in text
    units = {name: len(units) for name, units in kinds.units_for(50.0, 5.0).items()}
    for name, count in units.items():
        assert f"{name}: {2 * count} done, 0 waiting for budget, 0 failed, 0 still running" in text
    for plan in plans:
        states = data_status.data_status_many([(plan.latitude, plan.longitude)])[0]
        assert all(kind["state"] == "fresh" for kind in states.values())


def _warm_cache_exit(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("warm_cache", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_warm_cache_says_which_units_failed_in_its_report_and_exit_code(simulator, celery_worker_process):
    PlanFactory(latitude=51.5, longitude=6.0)
    simulator.fail("open_meteo", "400")  # a definite refusal: the job fails at once
    code, out, err = _warm_cache_exit("--all", "--wait", "--timeout", "60")
    assert code == 1
    assert "climate: 0 done, 0 waiting for budget, 1 failed, 0 still running" in out
    assert "failed" in err and "100%" not in out


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_warm_cache_reports_units_waiting_for_budget_and_stops_waiting(
    simulator, celery_worker_process, settings
):
    PlanFactory(latitude=52.5, longitude=7.0)
    valkey = get_valkey()
    now = int(valkey.time()[0])
    if now % 86400 > 86400 - 180:
        time.sleep(86400 - now % 86400 + 1)  # the day would turn while it waits
        now = int(valkey.time()[0])
    # Warming spent its share of today's Open-Meteo budget: nothing can run before tomorrow.
    day_key = budgets.window_key("open_meteo", "warm", 86400, now)
    valkey.set(day_key, settings.OPEN_METEO_CALLS_PER_DAY * settings.WARM_BUDGET_SHARE)
    started = time.monotonic()
    code, out, _err = _warm_cache_exit("--all", "--wait", "--timeout", "120")
    assert code == 3
    assert time.monotonic() - started < 60, "it does not wait for a budget that cannot come back in time"
    assert "climate: 0 done, 1 waiting for budget, 0 failed, 0 still running" in out
    assert simulator.stats()["open_meteo"]["requests"] == 0


@pytest.mark.django_db
def test_admin_cache_overview_and_prefetch_action(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    plan = PlanFactory()
    response = client.post(
        "/admin/plans/plan/", {"action": "prefetch_data", "_selected_action": [str(plan.pk)]}, follow=True
    )
    assert response.status_code == 200
    assert b"prefetch job" in response.content
    page = client.get("/admin/upstream/cacheoverview/")
    assert page.status_code == 200
    for text in (b"Open-Meteo", b"Overpass", b"Jobs in flight", b"Flower", b"Hits"):
        assert text in page.content


@pytest.mark.django_db
def test_admin_plans_list_shows_each_plans_data_status_and_prefetches_every_kind(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    plan = PlanFactory(latitude=45.52, longitude=-122.68)
    climate_unit = kinds.units_for(45.52, -122.68)["climate"][0]
    store.write([store.NewEntry(climate_unit, b"{}", "application/json", 3600, 3600)])
    page = client.get("/admin/plans/plan/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "climate fresh" in text and "buildings missing" in text and "sun missing" in text
    # The action says what it fetches, every kind a plan page needs; its job fills them all.
    assert "Prefetch data (climate, buildings, canopy, sun) into the cache" in text
    client.post("/admin/plans/plan/", {"action": "prefetch_data", "_selected_action": [str(plan.pk)]})
    job_id = get_valkey().get(records.pending_key(kinds.units_for(45.52, -122.68)["sun"][0])).decode()
    assert set(records.job_get(job_id).units) == set(kinds.all_units(45.52, -122.68))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_refresh_ahead_refetches_entries_about_to_expire(simulator, celery_worker_process):
    PlanFactory(latitude=48.1, longitude=11.6)
    unit = kinds.units_for(48.1, 11.6)["climate"][0]
    first = warming.prefetch_location(lat=48.1, lng=11.6, result_url="/test/first")
    assert wait_for_job(first.job.id).status == records.SUCCEEDED
    before = simulator.stats()["open_meteo"]["requests"]
    get_valkey().hset(store.entry_key(unit), "fu", time.time() + 86400)  # fresh one more day

    result = warm_refresh_ahead()
    assert result["units"] == 1
    assert wait_for_job(result["jobs"][0]).status == records.SUCCEEDED
    log = simulator.stats()["open_meteo"]["requests_log"]
    assert len(log) == before + 1, "the entry was fetched again before it expired"
    asked = parse_qs(log[-1]["query"])
    days = date.fromisoformat(asked["end_date"][0]) - date.fromisoformat(asked["start_date"][0])
    assert days.days <= 95, "a refresh fetches only the recent tail"
    assert store.read(unit).fresh_until > time.time() + 29 * 86400


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_batch_of_100_plans_at_new_places_is_prefetched_once_per_place_and_waits_for_budget(
    simulator, celery_worker_process, settings
):
    valkey = get_valkey()
    now = int(valkey.time()[0])
    # Warming has spent its share of this minute's Open-Meteo budget, and of
    # the next one's (however close this one is to its end, the batch meets a
    # spent minute): the prefetches wait in the queue for a minute to turn.
    spent = [budgets.window_key("open_meteo", "warm", 60, now + 60 * ahead) for ahead in (0, 1)]
    for key in spent:
        valkey.set(key, settings.OPEN_METEO_CALLS_PER_MINUTE * settings.WARM_BUDGET_SHARE, ex=180)

    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user=user)
    places = [(20.0 + index, -40.0) for index in range(20)]  # new points, one degree apart
    ops = [
        {"op": "PUT", "id": str(uuid.uuid4()), "data": {"name": f"P{i}", "latitude": lat, "longitude": lng}}
        for i in range(100)
        for lat, lng in [places[i % len(places)]]
    ]
    response = client.post("/api/v1/plans/batch/", {"ops": ops}, format="json")
    assert response.status_code == 200, response.content

    prefetches = [
        job
        for key in valkey.scan_iter(match=f"{records.JOB_PREFIX}*")
        if (job := records.job_get(key.decode().removeprefix(records.JOB_PREFIX))) and job.kind == "prefetch"
    ]
    unit_sets = {tuple(sorted(job.units)) for job in prefetches}
    assert len(prefetches) == len(unit_sets) == len(places), "one job per place"
    assert unit_sets == {tuple(sorted(kinds.all_units(lat, lng))) for lat, lng in places}

    seen_waiting = set()

    def minutes_pass() -> None:
        """Once the prefetches have been seen waiting for budget, the minutes
        pass (moved, not waited for): the budget is back, and the jobs still
        waiting are past their retry time, so the sweep sends them again."""
        if not seen_waiting:
            return
        valkey.delete(*spent)
        past = time.time() - liveness.QUEUED_GRACE_SECONDS - 1
        for job in prefetches:
            if (
                record := records.job_get(job.id)
            ).status == records.QUEUED and record.waiting_for == "budget":
                valkey.hset(records.job_key(job.id), "retry_at", f"{past:.3f}")
                valkey.zadd(liveness.DUE_KEY, {job.id: past})
        liveness.sweep_stale_jobs()

    def all_fresh() -> bool:
        minutes_pass()
        page = client.get("/api/v1/plans/", {"page_size": 200}).json()["results"]
        assert len(page) == 100
        for plan in page:
            for kind, status in plan["data_status"].items():
                # Never "missing" with no job: fetching (with its job) until fresh.
                assert status["state"] in ("fresh", "fetching"), (plan["name"], kind, status)
                assert (status["state"] == "fetching") == bool(status["job_id"])
        seen_waiting.update(job.id for job in prefetches if records.job_get(job.id).waiting_for == "budget")
        return all(s["state"] == "fresh" for plan in page for s in plan["data_status"].values())

    wait_until(all_fresh, "every plan's data is fresh", timeout=150, step=0.5)
    assert seen_waiting, "the prefetches waited for budget"
    assert all(records.job_get(job.id).status == records.SUCCEEDED for job in prefetches)
    assert simulator.stats()["open_meteo"]["requests"] == len(places)
