"""Undoing a deletion (restore within the window, purge after it), and the facts a plans list shows."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from backend_django.devtools.simulator import data as simdata
from backend_django.plans.models import DeletedPlan, Plan
from backend_django.plans.services import plan_delete
from backend_django.plans.tasks import BEAT_SCHEDULES, purge_deleted
from backend_django.plans.tests.factories import PlanFactory
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import climate
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"


def restore(client, plan_id):
    return client.post(f"{URL}{plan_id}/restore/")


def test_a_deleted_plan_comes_back_whole_with_its_id(user_client, user):
    plan = PlanFactory(owner=user, name="Allotment", archived=True)
    before = user_client.get(f"{URL}{plan.pk}/").json()
    assert user_client.delete(f"{URL}{plan.pk}/").status_code == 204
    # Gone at once: from the list, the detail, and the database's plans.
    assert user_client.get(f"{URL}{plan.pk}/").status_code == 404
    assert user_client.get(URL, {"archived": "true"}).json()["count"] == 0
    assert not Plan.objects.filter(pk=plan.pk).exists()

    response = restore(user_client, plan.pk)
    assert response.status_code == 201, response.content
    after = response.json()
    for name in (
        "id",
        "name",
        "latitude",
        "longitude",
        "address",
        "timezone",
        "data",
        "archived",
        "created_at",
    ):
        assert after[name] == before[name], name
    assert Plan.objects.get(pk=plan.pk).owner == user
    assert not DeletedPlan.objects.exists()
    # Once is enough.
    again = restore(user_client, plan.pk)
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_only_the_owner_restores_and_only_within_the_window(user_client, user, settings):
    theirs = PlanFactory(owner=UserFactory())
    theirs_id = theirs.pk
    plan_delete(plan=theirs)
    assert restore(user_client, theirs_id).status_code == 404
    assert restore(user_client, "not-a-uuid").status_code == 404

    mine = PlanFactory(owner=user)
    assert user_client.delete(f"{URL}{mine.pk}/").status_code == 204
    DeletedPlan.objects.filter(pk=mine.pk).update(
        deleted_at=timezone.now() - timedelta(seconds=settings.PLAN_RESTORE_SECONDS + 1)
    )
    too_late = restore(user_client, mine.pk)
    assert too_late.status_code == 404
    assert "10 minutes" in too_late.json()["error"]["message"]


def test_a_plan_made_again_with_the_same_id_is_a_conflict(user_client, user):
    plan = PlanFactory(owner=user)
    user_client.delete(f"{URL}{plan.pk}/")
    # An offline client puts the id back meanwhile.
    assert (
        user_client.put(
            f"{URL}{plan.pk}/", {"name": "New", "latitude": 1, "longitude": 2}, format="json"
        ).status_code
        == 201
    )
    assert restore(user_client, plan.pk).status_code == 409


def test_batch_deletes_can_be_undone_too(user_client, user):
    plan = PlanFactory(owner=user)
    response = user_client.post(
        f"{URL}batch/", {"ops": [{"op": "DELETE", "id": str(plan.pk)}]}, format="json"
    )
    assert response.status_code == 200
    assert restore(user_client, plan.pk).status_code == 201


def test_the_purge_forgets_deleted_plans_past_the_window(user, settings):
    old, recent = PlanFactory(owner=user), PlanFactory(owner=user)
    old_id, recent_id = old.pk, recent.pk
    plan_delete(plan=old)
    plan_delete(plan=recent)
    DeletedPlan.objects.filter(pk=old_id).update(
        deleted_at=timezone.now() - timedelta(seconds=settings.PLAN_RESTORE_SECONDS + 5)
    )
    assert purge_deleted() == {"purged": 1}
    assert list(DeletedPlan.objects.values_list("pk", flat=True)) == [recent_id]
    schedule = BEAT_SCHEDULES["Plans: forget deleted plans past their restore window"]
    assert schedule["task"] == "plans.purge_deleted"


def test_deleting_the_account_deletes_the_plans_kept_for_undo(user):
    plan_delete(plan=PlanFactory(owner=user))
    user.delete()
    assert not DeletedPlan.objects.exists()


# --- facts at a glance --------------------------------------------------------------


def cache_climate_summary(lat: float, lng: float) -> dict:
    """Store the summary the worker would compute for the point, from the simulator's temperatures."""
    today = date.today()
    start, end = climate.full_range(today)
    times, tmax, tmin = simdata.daily_temperatures(*climate.snap(lat, lng), start, end)
    body = {"latitude": lat, "daily": {"time": times, "temperature_2m_max": tmax, "temperature_2m_min": tmin}}
    summary = climate.summarize(body, today)
    store.write(
        [climate.KIND.entry(climate.summary_unit(climate.unit_for(lat, lng)), climate.encode(summary))]
    )
    return summary


def test_the_list_shows_each_plans_last_spring_frost_once_it_is_cached(user_client, user):
    frosty = PlanFactory(owner=user, latitude=52.52, longitude=13.405)
    tropical = PlanFactory(owner=user, latitude=1.29, longitude=103.85)
    unknown = PlanFactory(owner=user, latitude=-33.87, longitude=151.21)
    summary = cache_climate_summary(52.52, 13.405)
    cache_climate_summary(1.29, 103.85)

    results = {plan["id"]: plan for plan in user_client.get(URL).json()["results"]}
    frost = results[str(frosty.pk)]["facts"]["last_spring_frost"]
    assert summary["years"] == 30
    assert frost["years"] == 30 and frost["years_without_frost"] == 0
    assert frost["median"] == summary["last_spring_frost"]["median"]
    # The median date is the median day of the year, read in a common year.
    assert frost["median_date"] == (date(2001, 1, 1) + timedelta(days=frost["median"] - 1)).strftime("%m-%d")
    assert 60 < frost["median"] < 140, "Berlin's last frost is in spring"
    # Singapore never frosts: no median, every year without.
    assert results[str(tropical.pk)]["facts"]["last_spring_frost"] == {
        "median": None, "median_date": None, "p10": None, "p90": None, "years_without_frost": 30, "years": 30,
    }  # fmt: skip
    assert results[str(unknown.pk)]["facts"] == {"last_spring_frost": None}
    # One plan's page says the same.
    assert user_client.get(f"{URL}{frosty.pk}/").json()["facts"]["last_spring_frost"] == frost
