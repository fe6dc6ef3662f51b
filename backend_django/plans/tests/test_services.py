import uuid

import pytest

from backend_django.core.valkey import get_valkey
from backend_django.plans.models import Plan
from backend_django.plans.selectors import plan_get, plan_list
from backend_django.plans.services import (
    BatchOp,
    BatchOpError,
    PlanIdConflict,
    PlanNotFound,
    plan_create,
    plan_delete,
    plan_update,
    plan_upsert,
    plans_batch_apply,
)
from backend_django.plans.tests.factories import PlanFactory
from backend_django.upstream import kinds
from backend_django.upstream.jobs import records
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook_calls():
    """The places (sorted units) for which the after-commit hook queued a prefetch job."""

    def calls() -> list[tuple[str, ...]]:
        found = []
        for key in get_valkey().scan_iter(match="ss:job:*"):
            job = records.job_get(key.decode().removeprefix(records.JOB_PREFIX))
            if job and job.kind == "prefetch" and job.queue == "warm":
                found.append(tuple(sorted(job.units)))
        return found

    return calls


def place(plan_or_lat, lng: float | None = None) -> tuple[str, ...]:
    lat = plan_or_lat if lng is not None else plan_or_lat.latitude
    lng = lng if lng is not None else plan_or_lat.longitude
    return tuple(sorted(kinds.all_units(lat, lng)))


def test_create_runs_the_location_hook_after_commit(user, hook_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan = plan_create(owner=user, name="A", latitude=1, longitude=2)
        assert hook_calls() == []  # not before the commit
    assert len(callbacks) == 1
    assert hook_calls() == [place(plan)]


def test_update_runs_the_hook_only_when_the_location_changes(
    user, hook_calls, django_capture_on_commit_callbacks
):
    plan = PlanFactory(owner=user, latitude=1.0, longitude=2.0)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan_update(plan=plan, changes={"name": "Renamed", "data": {"x": 1}, "latitude": 1.0})
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan_update(plan=plan, changes={"longitude": 2.5})
    assert len(callbacks) == 1
    assert hook_calls() == [place(plan)]


def test_a_rolled_back_batch_runs_no_hook(user, hook_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(BatchOpError):
        plans_batch_apply(
            owner=user,
            ops=[
                BatchOp(op="PUT", id=uuid.uuid4(), fields={"name": "A", "latitude": 1, "longitude": 1}),
                BatchOp(op="PATCH", id=uuid.uuid4(), fields={"name": "missing"}),
            ],
        )
    assert callbacks == []
    assert hook_calls() == []
    assert not Plan.objects.exists()


def test_a_committed_batch_runs_the_hook_per_located_plan(
    user, hook_calls, django_capture_on_commit_callbacks
):
    moved = PlanFactory(owner=user, latitude=1.0)
    renamed = PlanFactory(owner=user)
    new_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        plans_batch_apply(
            owner=user,
            ops=[
                BatchOp(op="PUT", id=new_id, fields={"name": "A", "latitude": 1, "longitude": 1}),
                BatchOp(op="PATCH", id=moved.pk, fields={"latitude": 3.0}),
                BatchOp(op="PATCH", id=renamed.pk, fields={"name": "B"}),
            ],
        )
    assert sorted(hook_calls()) == sorted([place(1, 1), place(3.0, moved.longitude)])


def test_a_batch_prefetches_each_place_once_and_not_the_deleted(
    user, hook_calls, django_capture_on_commit_callbacks
):
    ids = [uuid.uuid4() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plans_batch_apply(
            owner=user,
            ops=[
                *(
                    BatchOp(op="PUT", id=plan_id, fields={"name": "A", "latitude": 10, "longitude": 20})
                    for plan_id in ids[:3]
                ),
                BatchOp(op="PUT", id=ids[3], fields={"name": "B", "latitude": 11, "longitude": 20}),
                BatchOp(op="PATCH", id=ids[3], fields={"latitude": 12}),
                BatchOp(op="PUT", id=ids[4], fields={"name": "C", "latitude": 13, "longitude": 20}),
                BatchOp(op="DELETE", id=ids[4]),
            ],
        )
    assert len(callbacks) == 1
    assert sorted(hook_calls()) == sorted([place(10, 20), place(12, 20)])
    # Another person's plan at the same place joins the same job.
    other = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        plan_create(owner=other, name="D", latitude=10, longitude=20)
    assert sorted(hook_calls()) == sorted([place(10, 20), place(12, 20)])


def test_create_with_a_taken_id(user):
    other = PlanFactory()
    with pytest.raises(PlanIdConflict):
        plan_create(owner=user, name="A", latitude=0, longitude=0, id=other.pk)
    assert Plan.objects.get(pk=other.pk).owner == other.owner


def test_upsert(user):
    plan_id = uuid.uuid4()
    plan, created = plan_upsert(
        owner=user, plan_id=plan_id, fields={"name": "A", "latitude": 0, "longitude": 0}
    )
    assert created and plan.pk == plan_id
    plan, created = plan_upsert(
        owner=user, plan_id=plan_id, fields={"name": "B", "latitude": 0, "longitude": 0, "archived": True}
    )
    assert not created and plan.name == "B" and plan.archived
    with pytest.raises(PlanNotFound):
        plan_upsert(owner=UserFactory(), plan_id=plan_id, fields={"name": "C", "latitude": 0, "longitude": 0})
    assert Plan.objects.get(pk=plan_id).name == "B"


def test_update_refuses_unknown_fields(user):
    plan = PlanFactory(owner=user)
    with pytest.raises(ValueError, match="owner"):
        plan_update(plan=plan, changes={"owner": UserFactory()})


def test_selectors_are_scoped_to_the_owner(user):
    mine = PlanFactory(owner=user, archived=True)
    theirs = PlanFactory()
    assert list(plan_list(owner=user)) == [mine]
    assert list(plan_list(owner=user, filters={"archived": "false"})) == []
    assert list(plan_list(owner=user, filters={"archived": "true"})) == [mine]
    assert plan_get(owner=user, plan_id=mine.pk) == mine
    assert plan_get(owner=user, plan_id=theirs.pk) is None
    assert plan_get(owner=user, plan_id="not-a-uuid") is None


def test_delete(user):
    plan = PlanFactory(owner=user)
    plan_delete(plan=plan)
    assert not Plan.objects.exists()


@pytest.mark.parametrize(("latitude", "longitude"), [(90.5, 0), (0, -180.5)])
def test_the_database_refuses_out_of_range_locations(user, latitude, longitude):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.bulk_create([Plan(owner=user, name="x", latitude=latitude, longitude=longitude)])
    assert not Plan.objects.exists()


def test_a_prefetch_is_charged_to_the_owner_and_an_operators_to_no_one(
    user, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    from backend_django.plans.services import plan_prefetch

    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_create(owner=user, name="A", latitude=5, longitude=6)
    started = plan_prefetch(plan=plan)
    assert not started.created and started.job.client == f"user:{user.pk}"
    assert started.job.result_url == "/api/v1/plans/"  # not the plan's own URL: the job is the place's

    other = PlanFactory(latitude=7, longitude=8)
    call_command("warm_cache", "--plan", str(other.pk), stdout=StringIO())
    operators = [
        job
        for key in get_valkey().scan_iter(match="ss:job:*")
        if (job := records.job_get(key.decode().removeprefix(records.JOB_PREFIX)))
        and tuple(sorted(job.units)) == place(other)
    ]
    assert [job.client for job in operators] == [""]
