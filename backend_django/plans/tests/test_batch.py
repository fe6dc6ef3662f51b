import uuid

import pytest

from backend_django.plans.models import Plan
from backend_django.plans.tests.factories import PlanFactory
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/batch/"


def fields(**overrides):
    return {"name": "Plot", "latitude": 1.5, "longitude": 2.5, **overrides}


def batch(client, ops):
    return client.post(URL, {"ops": ops}, format="json")


def test_put_patch_delete_in_one_batch(user_client, user):
    existing = PlanFactory(owner=user, name="Old", archived=False)
    doomed = PlanFactory(owner=user)
    new_id = uuid.uuid4()
    response = batch(
        user_client,
        [
            {"op": "PUT", "id": str(new_id), "data": fields(name="Created offline", data={"beds": [1]})},
            {"op": "PATCH", "id": str(existing.pk), "data": {"archived": True}},
            {"op": "DELETE", "id": str(doomed.pk)},
        ],
    )
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results[0]["id"] == str(new_id)
    assert results[0]["name"] == "Created offline"
    assert results[1]["id"] == str(existing.pk)
    assert results[1]["archived"] is True
    assert results[1]["name"] == "Old"
    assert results[2] is None

    created = Plan.objects.get(pk=new_id)
    assert created.owner == user
    assert created.data == {"beds": [1]}
    existing.refresh_from_db()
    assert existing.archived is True
    assert not Plan.objects.filter(pk=doomed.pk).exists()


def test_put_of_an_existing_plan_is_a_full_replace(user_client, user):
    plan = PlanFactory(owner=user, address="Somewhere", archived=True)
    response = batch(user_client, [{"op": "PUT", "id": str(plan.pk), "data": fields(name="New")}])
    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert (plan.name, plan.address, plan.archived, plan.data) == ("New", "", False, {})


def test_ops_apply_in_order(user_client):
    plan_id = str(uuid.uuid4())
    response = batch(
        user_client,
        [
            {"op": "PUT", "id": plan_id, "data": fields(name="v1")},
            {"op": "PATCH", "id": plan_id, "data": {"name": "v2"}},
            {"op": "DELETE", "id": plan_id},
            {"op": "PUT", "id": plan_id, "data": fields(name="v3")},
        ],
    )
    assert response.status_code == 200, response.json()
    assert [r and r["name"] for r in response.json()["results"]] == ["v1", "v2", None, "v3"]
    assert Plan.objects.get(pk=plan_id).name == "v3"


def _snapshot():
    return list(Plan.objects.order_by("pk").values())


def test_a_failing_third_op_leaves_the_first_two_unapplied(user_client, user):
    plan = PlanFactory(owner=user, name="Untouched")
    before = _snapshot()
    new_id = uuid.uuid4()
    missing = uuid.uuid4()
    response = batch(
        user_client,
        [
            {"op": "PUT", "id": str(new_id), "data": fields()},
            {"op": "PATCH", "id": str(plan.pk), "data": {"name": "Changed"}},
            {"op": "PATCH", "id": str(missing), "data": {"name": "Nope"}},
        ],
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["op"] == {"index": 2, "op": "PATCH", "id": str(missing)}
    assert error["fields"] == {"id": ["No plan with this id."]}
    assert error["message"].startswith(f"ops[2] (PATCH {missing}): ")
    assert "Nothing was applied" in error["message"]
    assert _snapshot() == before
    assert not Plan.objects.filter(pk=new_id).exists()


def test_an_invalid_third_op_names_its_fields(user_client, user):
    plan = PlanFactory(owner=user)
    before = _snapshot()
    response = batch(
        user_client,
        [
            {"op": "PATCH", "id": str(plan.pk), "data": {"name": "Changed"}},
            {"op": "PUT", "id": str(uuid.uuid4()), "data": fields()},
            {"op": "PATCH", "id": str(plan.pk), "data": {"latitude": 91, "timezone": "Nowhere/Land"}},
        ],
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["op"] == {"index": 2, "op": "PATCH", "id": str(plan.pk)}
    assert set(error["fields"]) == {"latitude", "timezone"}
    assert _snapshot() == before


def test_put_op_needs_the_required_fields(user_client):
    response = batch(user_client, [{"op": "PUT", "id": str(uuid.uuid4()), "data": {"name": "No location"}}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"latitude", "longitude"}
    assert error["op"]["index"] == 0


@pytest.mark.parametrize(
    ("op", "expected_fields"),
    [
        ({"op": "POST", "id": str(uuid.uuid4())}, {"op"}),
        ({"op": "PUT", "id": "not-a-uuid", "data": fields()}, {"id"}),
        ({"op": "PATCH"}, {"id"}),
        ({"op": "PATCH", "id": str(uuid.uuid4()), "data": [1]}, {"data"}),
        ({"op": "PUT", "id": str(uuid.uuid4()), "data": fields(id=str(uuid.uuid4()))}, {"id"}),
    ],
)
def test_malformed_ops(user_client, op, expected_fields):
    response = batch(user_client, [{"op": "DELETE", "id": str(uuid.uuid4())}, op])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["op"]["index"] == 1
    assert set(error["fields"]) == expected_fields


def test_a_non_object_op(user_client):
    response = batch(user_client, ["PUT"])
    assert response.status_code == 400
    assert response.json()["error"]["op"] == {"index": 0, "op": None, "id": None}


@pytest.mark.parametrize("body", [{}, {"ops": []}, {"ops": "PUT"}, []])
def test_malformed_envelope(user_client, body):
    response = user_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "ops" in response.json()["error"]["fields"]


def test_too_many_ops(user_client, settings):
    settings.PLANS_BATCH_MAX_OPS = 3
    ops = [{"op": "PUT", "id": str(uuid.uuid4()), "data": fields()} for _ in range(4)]
    response = batch(user_client, ops)
    assert response.status_code == 400
    assert "At most 3 operations" in response.json()["error"]["message"]
    assert not Plan.objects.exists()
    assert batch(user_client, ops[:3]).status_code == 200


def test_delete_is_idempotent(user_client, user):
    plan = PlanFactory(owner=user)
    ops = [{"op": "DELETE", "id": str(plan.pk)}, {"op": "DELETE", "id": str(plan.pk)}]
    response = batch(user_client, ops)
    assert response.status_code == 200
    assert response.json() == {"results": [None, None]}
    # Replayed later by an offline client: still fine.
    assert batch(user_client, ops[:1]).json() == {"results": [None]}
    assert batch(user_client, [{"op": "DELETE", "id": str(uuid.uuid4())}]).status_code == 200


# --- Another person's plans ---------------------------------------------------------


def test_batch_cannot_touch_another_persons_plan(user_client):
    other = PlanFactory(owner=UserFactory(), name="Not yours", archived=False)
    before = _snapshot()
    for op in (
        {"op": "PUT", "id": str(other.pk), "data": fields(name="Hijacked")},
        {"op": "PATCH", "id": str(other.pk), "data": {"name": "Hijacked"}},
    ):
        response = batch(user_client, [op])
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert error["fields"] == {"id": ["No plan with this id."]}
        assert "Not yours" not in response.content.decode()
    # Answers exactly like an id nobody has.
    nobody = uuid.uuid4()
    missing = batch(user_client, [{"op": "PATCH", "id": str(nobody), "data": {"name": "x"}}]).json()
    hijack = batch(user_client, [{"op": "PATCH", "id": str(other.pk), "data": {"name": "x"}}]).json()
    assert hijack["error"]["message"].replace(str(other.pk), "ID") == missing["error"]["message"].replace(
        str(nobody), "ID"
    )
    # DELETE is idempotent, so deleting someone else's id is a no-op that reveals nothing.
    response = batch(user_client, [{"op": "DELETE", "id": str(other.pk)}])
    assert response.status_code == 200
    assert response.json() == {"results": [None]}
    assert _snapshot() == before


def test_batch_requires_login(api_client):
    assert api_client.post(URL, {"ops": []}, format="json").status_code == 401
