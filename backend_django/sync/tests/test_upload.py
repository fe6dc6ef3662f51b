"""POST sync/upload/: the PowerSync CRUD queue's batches, applied per op, scoped to the token's user."""

import json
import time
import uuid

import pytest
from django.db import OperationalError, connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend_django.plans.models import Plan
from backend_django.plans.tests.factories import PlanFactory
from backend_django.sync.tokens import sync_token_issue
from backend_django.testing.waiting import wait_until
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sync/upload/"


def row(**overrides):
    """A plans row as the client's SQLite table holds it (data as JSON text, booleans as 0/1)."""
    return {
        "name": "Plot",
        "latitude": 1.5,
        "longitude": 2.5,
        "data": '{"beds": []}',
        "archived": 0,
        **overrides,
    }


def upload(client, batch):
    response = client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def snapshot():
    return list(Plan.objects.order_by("pk").values())


def test_mixed_batch_applies_the_valid_ops_and_rejects_the_rest(sync_client, user, user_client):
    mine = PlanFactory(owner=user, name="Mine", archived=False)
    doomed = PlanFactory(owner=user)
    new_id, bad_id = uuid.uuid4(), uuid.uuid4()
    result = upload(
        sync_client,
        [
            {"op": "PUT", "table": "plans", "id": str(new_id), "data": row(name="Created offline")},
            {"op": "PUT", "table": "plans", "id": str(bad_id), "data": row(latitude=91)},
            {"op": "PATCH", "table": "plans", "id": str(mine.pk), "data": {"archived": 1}},
            {"op": "PATCH", "table": "plans", "id": str(mine.pk), "data": {"timezone": "Nowhere/Land"}},
            {"op": "DELETE", "table": "plans", "id": str(doomed.pk)},
            {"op": "PUT", "table": "gardens", "id": str(uuid.uuid4()), "data": row()},
            {"op": "PUT", "table": "plans", "id": "not-a-uuid", "data": row()},
            "PUT",
        ],
    )
    statuses = [entry["status"] for entry in result["results"]]
    assert statuses == [
        "applied",
        "rejected",
        "applied",
        "rejected",
        "applied",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert (result["applied"], result["rejected"]) == (3, 5)
    assert [entry["index"] for entry in result["results"]] == list(range(8))
    assert result["results"][0] == {
        "index": 0,
        "op": "PUT",
        "table": "plans",
        "id": str(new_id),
        "status": "applied",
    }

    created = Plan.objects.get(pk=new_id)
    assert (created.owner, created.name, created.data, created.archived) == (
        user,
        "Created offline",
        {"beds": []},
        False,
    )
    assert not Plan.objects.filter(pk=bad_id).exists()
    mine.refresh_from_db()
    assert mine.archived is True and mine.timezone == "Europe/Berlin"
    assert not Plan.objects.filter(pk=doomed.pk).exists()

    # Rejections carry exactly what the REST API answers for the same input.
    # The same plan as the REST API takes it (JSON booleans, not SQLite 0/1).
    rest_create = user_client.post(
        "/api/v1/plans/", row(latitude=91, data={"beds": []}, archived=False), format="json"
    )
    assert rest_create.status_code == 400
    assert result["results"][1]["error"] == rest_create.json()["error"]
    rest_patch = user_client.patch(f"/api/v1/plans/{mine.pk}/", {"timezone": "Nowhere/Land"}, format="json")
    assert rest_patch.status_code == 400
    assert result["results"][3]["error"] == rest_patch.json()["error"]
    assert result["results"][1]["error"]["fields"] == {"latitude": ["Must be between -90 and 90."]}

    unknown_table = result["results"][5]
    assert unknown_table["table"] == "gardens"
    assert set(unknown_table["error"]["fields"]) == {"table"}
    assert set(result["results"][6]["error"]["fields"]) == {"id"}
    assert result["results"][7]["op"] is None and result["results"][7]["error"]["code"] == "invalid"


def test_the_same_batch_twice_ends_in_the_same_state(sync_client, user):
    existing = PlanFactory(owner=user, name="Before")
    doomed = PlanFactory(owner=user)
    created = uuid.uuid4()
    batch = [
        {"op": "PUT", "table": "plans", "id": str(created), "data": row(name="v1")},
        {"op": "PATCH", "table": "plans", "id": str(created), "data": {"name": "v2"}},
        {"op": "PATCH", "table": "plans", "id": str(existing.pk), "data": {"name": "After", "latitude": 10}},
        {"op": "DELETE", "table": "plans", "id": str(doomed.pk)},
        {"op": "PUT", "table": "plans", "id": str(uuid.uuid4()), "data": row(longitude=500)},
    ]
    first = upload(sync_client, batch)
    after_first = [{k: v for k, v in plan.items() if k != "updated_at"} for plan in snapshot()]
    second = upload(sync_client, batch)
    after_second = [{k: v for k, v in plan.items() if k != "updated_at"} for plan in snapshot()]
    assert after_first == after_second
    assert [entry["status"] for entry in first["results"]] == [entry["status"] for entry in second["results"]]
    assert [entry["status"] for entry in second["results"]] == ["applied"] * 4 + ["rejected"]
    assert Plan.objects.get(pk=created).name == "v2"
    assert Plan.objects.filter(owner=user).count() == 2


def test_patch_and_delete_of_a_missing_row_are_applied_no_ops(sync_client):
    result = upload(
        sync_client,
        [
            {"op": "PATCH", "table": "plans", "id": str(uuid.uuid4()), "data": {"name": "Gone"}},
            {"op": "DELETE", "table": "plans", "id": str(uuid.uuid4())},
        ],
    )
    assert [entry["status"] for entry in result["results"]] == ["applied", "applied"]
    assert not Plan.objects.exists()


def test_another_persons_ids_are_rejected_as_not_found_and_nothing_changes(sync_client, user_client):
    theirs = PlanFactory(owner=UserFactory(), name="Not yours", archived=False)
    before = snapshot()
    result = upload(
        sync_client,
        [
            {"op": "PUT", "table": "plans", "id": str(theirs.pk), "data": row(name="Hijacked")},
            {"op": "PATCH", "table": "plans", "id": str(theirs.pk), "data": {"name": "Hijacked"}},
            {"op": "DELETE", "table": "plans", "id": str(theirs.pk)},
        ],
    )
    assert [entry["status"] for entry in result["results"]] == ["rejected"] * 3
    rest = user_client.get(f"/api/v1/plans/{theirs.pk}/").json()["error"]
    for entry in result["results"]:
        assert entry["error"] == {"code": "not_found", "message": "No plan with this id."}
        assert entry["error"]["code"] == rest["code"]
    assert "Not yours" not in json.dumps(result)
    assert snapshot() == before


def test_the_clients_sqlite_representation_is_understood(sync_client, user):
    plan_id = uuid.uuid4()
    result = upload(
        sync_client,
        [
            # NULL stands for the default; booleans arrive as 0/1; data as JSON text.
            {
                "op": "PUT",
                "table": "plans",
                "id": str(plan_id),
                "data": row(address=None, timezone=None, archived=1, data='{"beds": [{"w": 1.2}]}'),
            },
            {"op": "PATCH", "table": "plans", "id": str(plan_id), "data": {"data": "not json"}},
            {"op": "PATCH", "table": "plans", "id": str(plan_id), "data": {"data": "[1, 2]"}},
        ],
    )
    assert [entry["status"] for entry in result["results"]] == ["applied", "rejected", "rejected"]
    plan = Plan.objects.get(pk=plan_id)
    assert (plan.address, plan.timezone, plan.archived, plan.data) == ("", "", True, {"beds": [{"w": 1.2}]})
    assert result["results"][1]["error"]["fields"] == {"data": ["Must be a JSON object."]}


def test_crud_entry_to_json_shape_is_accepted(sync_client, user):
    # What CrudEntry.toJSON() gives: the table as "type", plus op_id and tx_id.
    plan_id = uuid.uuid4()
    entry = {"op_id": 1, "op": "PUT", "type": "plans", "id": str(plan_id), "tx_id": 7, "data": row()}
    result = upload(sync_client, [entry])
    assert result["results"][0]["status"] == "applied"
    assert result["results"][0]["table"] == "plans"
    assert Plan.objects.get(pk=plan_id).owner == user


def test_the_owner_always_comes_from_the_token(sync_client, user):
    other = UserFactory()
    plan_id = uuid.uuid4()
    upload(sync_client, [{"op": "PUT", "table": "plans", "id": str(plan_id), "data": row(owner_id=other.pk)}])
    assert Plan.objects.get(pk=plan_id).owner == user


def test_an_expired_token_answers_401(signing_keys, user, settings):
    expired = sync_token_issue(user=user, now=time.time() - settings.SYNC_TOKEN_LIFETIME - 61)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired.token}")
    response = client.post(
        URL, {"batch": [{"op": "DELETE", "table": "plans", "id": str(uuid.uuid4())}]}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer", "Bearer a b"])
def test_a_bad_token_answers_401(signing_keys, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, {"batch": []}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


def test_no_credentials_answer_401_asking_for_a_bearer_token(api_client):
    response = api_client.post(URL, {"batch": []}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_of_a_deactivated_user_answers_401(sync_client, user):
    user.is_active = False
    user.save()
    assert sync_client.post(URL, {"batch": []}, format="json").status_code == 401


def test_session_and_api_token_work_too(signing_keys, user):
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    first = uuid.uuid4()
    assert (
        upload(by_token, [{"op": "PUT", "table": "plans", "id": str(first), "data": row()}])["applied"] == 1
    )
    by_session = APIClient()
    by_session.force_login(user)
    second = uuid.uuid4()
    assert (
        upload(by_session, [{"op": "PUT", "table": "plans", "id": str(second), "data": row()}])["applied"]
        == 1
    )
    assert Plan.objects.filter(owner=user).count() == 2


@pytest.mark.parametrize("body", [{}, {"batch": "PUT"}, [], {"ops": []}])
def test_a_body_that_is_not_a_batch_answers_400(sync_client, body):
    response = sync_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert "batch" in response.json()["error"]["fields"]


def test_an_empty_batch_is_fine(sync_client):
    assert upload(sync_client, []) == {"results": [], "applied": 0, "rejected": 0}


def test_too_many_ops_answer_400_and_apply_nothing(settings, sync_client):
    settings.SYNC_UPLOAD_MAX_OPS = 2
    batch = [{"op": "PUT", "table": "plans", "id": str(uuid.uuid4()), "data": row()} for _ in range(3)]
    response = sync_client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 400
    assert "At most 2 operations" in response.json()["error"]["message"]
    assert not Plan.objects.exists()


def test_a_database_failure_answers_503_and_applies_nothing(sync_client, user):
    plan = PlanFactory(owner=user, name="Untouched")
    calls = []

    def fail_on_delete(execute, sql, params, many, context):
        calls.append(sql)
        if sql.lstrip().upper().startswith("DELETE"):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    batch = [
        {"op": "PATCH", "table": "plans", "id": str(plan.pk), "data": {"name": "Changed"}},
        {"op": "DELETE", "table": "plans", "id": str(plan.pk)},
    ]
    with connection.execute_wrapper(fail_on_delete):
        response = sync_client.post(URL, {"batch": batch}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "database_unavailable"
    assert "server closed" not in response.content.decode()
    plan.refresh_from_db()
    assert plan.name == "Untouched"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_uploaded_plan_prefetches_its_data(signing_keys, user, simulator, celery_worker_process):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sync_token_issue(user=user).token}")
    plan_id = uuid.uuid4()
    batch = [
        {"op": "PUT", "table": "plans", "id": str(plan_id), "data": row(latitude=51.4545, longitude=-2.5879)}
    ]
    assert upload(client, batch)["applied"] == 1
    reader = APIClient()
    reader.force_authenticate(user=user)

    def all_fresh():
        status = reader.get(f"/api/v1/plans/{plan_id}/").json()["data_status"]
        return all(kind["state"] == "fresh" for kind in status.values()) and status

    assert wait_until(all_fresh, "the uploaded plan's data cached")
    assert simulator.stats()["open_meteo"]["requests"] == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_rejected_op_prefetches_nothing(signing_keys, user, simulator, celery_worker_process):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sync_token_issue(user=user).token}")
    theirs = PlanFactory(owner=UserFactory(), latitude=40.1, longitude=8.2)
    batch = [
        # A valid new location, but someone else's plan; and a plan whose data is not an object.
        {"op": "PATCH", "table": "plans", "id": str(theirs.pk), "data": {"latitude": 41.5}},
        {"op": "PUT", "table": "plans", "id": str(uuid.uuid4()), "data": row(latitude=40.1, data="[1]")},
    ]
    assert upload(client, batch)["rejected"] == 2
    time.sleep(1.0)
    assert simulator.stats()["open_meteo"]["requests"] == 0


def test_a_batch_larger_than_other_endpoints_take_is_accepted(sync_client, user):
    # An offline day's queue: more than the 64 KiB most JSON endpoints read.
    beds = json.dumps({"beds": [{"name": f"bed {n}", "notes": "x" * 300} for n in range(2)]})
    batch = [
        {"op": "PUT", "table": "plans", "id": str(uuid.uuid4()), "data": row(name=f"Plot {n}", data=beds)}
        for n in range(200)
    ]
    assert len(json.dumps({"batch": batch})) > 64 * 1024
    result = upload(sync_client, batch)
    assert (result["applied"], result["rejected"]) == (200, 0)
    assert Plan.objects.filter(owner=user).count() == 200
