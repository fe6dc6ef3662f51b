import uuid

import pytest
from rest_framework.test import APIClient

from backend_django.plans.api.serializers import PlanSummarySerializer
from backend_django.plans.models import Plan
from backend_django.plans.tests.factories import PlanFactory
from backend_django.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"


def detail(plan_id) -> str:
    return f"{URL}{plan_id}/"


def plan_body(**overrides):
    body = {
        "name": "Back garden",
        "latitude": 52.52,
        "longitude": 13.405,
        "address": "Alexanderplatz 1, Berlin",
        "timezone": "Europe/Berlin",
        "data": {"beds": [{"name": "beans"}]},
    }
    body.update(overrides)
    return body


@pytest.fixture
def other_plan():
    return PlanFactory(owner=UserFactory(), name="Not yours", archived=False)


def test_anonymous_requests_are_refused(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, plan_body(), format="json").status_code == 401


# --- CRUD ----------------------------------------------------------------------


def test_create_then_retrieve(user_client, user):
    response = user_client.post(URL, plan_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    plan = Plan.objects.get(pk=body["id"])
    assert plan.owner == user
    assert body["name"] == "Back garden"
    assert body["data"] == {"beds": [{"name": "beans"}]}
    assert body["archived"] is False
    assert body["created_at"] and body["updated_at"]

    fetched = user_client.get(detail(plan.pk))
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_create_fills_optional_fields(user_client):
    response = user_client.post(URL, {"name": "Min", "latitude": 0, "longitude": 0}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["address"] == ""
    assert body["timezone"] == ""
    assert body["data"] == {}
    assert body["archived"] is False


def test_create_with_a_client_generated_id(user_client):
    plan_id = uuid.uuid4()
    response = user_client.post(URL, plan_body(id=str(plan_id)), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] == str(plan_id)
    assert Plan.objects.filter(pk=plan_id).exists()


def test_create_with_an_id_in_use_is_a_conflict(user_client, user, other_plan):
    own = PlanFactory(owner=user, name="Mine")
    for taken in (own.pk, other_plan.pk):
        response = user_client.post(URL, plan_body(id=str(taken), name="Again"), format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
    own.refresh_from_db()
    other_plan.refresh_from_db()
    assert own.name == "Mine"
    assert other_plan.name == "Not yours"


def test_list_shows_only_own_plans(user_client, user, other_plan):
    mine = PlanFactory.create_batch(3, owner=user)
    response = user_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert {item["id"] for item in body["results"]} == {str(plan.pk) for plan in mine}
    assert str(other_plan.pk) not in response.content.decode()


def test_trailing_slash_is_optional(user_client, user):
    plan = PlanFactory(owner=user)
    assert user_client.get("/api/v1/plans").status_code == 200
    assert user_client.get(f"/api/v1/plans/{plan.pk}").status_code == 200


def test_put_replaces_the_whole_plan(user_client, user):
    plan = PlanFactory(owner=user, address="Somewhere", timezone="Europe/Paris", archived=True)
    response = user_client.put(
        detail(plan.pk), {"name": "Renamed", "latitude": 10, "longitude": 20}, format="json"
    )
    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert plan.name == "Renamed"
    assert (plan.latitude, plan.longitude) == (10, 20)
    # Left out → defaults, because PUT is a full replace.
    assert plan.address == ""
    assert plan.timezone == ""
    assert plan.data == {}
    assert plan.archived is False


def test_put_requires_the_required_fields(user_client, user):
    plan = PlanFactory(owner=user)
    response = user_client.put(detail(plan.pk), {"name": "No location"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"latitude", "longitude"}


def test_put_to_a_new_id_creates_it(user_client, user):
    plan_id = uuid.uuid4()
    response = user_client.put(detail(plan_id), plan_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["id"] == str(plan_id)
    plan = Plan.objects.get(pk=plan_id)
    assert plan.owner == user
    # The same PUT again (a client retrying) updates, it does not duplicate.
    again = user_client.put(detail(plan_id), plan_body(name="Retried"), format="json")
    assert again.status_code == 200
    assert Plan.objects.filter(pk=plan_id).count() == 1
    plan.refresh_from_db()
    assert plan.name == "Retried"


def test_put_with_a_different_body_id_is_refused(user_client, user):
    plan = PlanFactory(owner=user)
    response = user_client.put(detail(plan.pk), plan_body(id=str(uuid.uuid4())), format="json")
    assert response.status_code == 400
    assert "id" in response.json()["error"]["fields"]


def test_patch_changes_only_given_fields(user_client, user):
    plan = PlanFactory(owner=user, name="Before", address="Kept")
    response = user_client.patch(detail(plan.pk), {"archived": True}, format="json")
    assert response.status_code == 200, response.json()
    plan.refresh_from_db()
    assert plan.archived is True
    assert plan.name == "Before"
    assert plan.address == "Kept"


def test_patch_of_a_missing_plan_is_404_not_a_create(user_client):
    plan_id = uuid.uuid4()
    response = user_client.patch(detail(plan_id), {"name": "X"}, format="json")
    assert response.status_code == 404
    assert not Plan.objects.filter(pk=plan_id).exists()


def test_delete(user_client, user):
    plan = PlanFactory(owner=user)
    assert user_client.delete(detail(plan.pk)).status_code == 204
    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert user_client.delete(detail(plan.pk)).status_code == 404


def test_malformed_id_is_404(user_client):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(user_client, method)(detail("not-a-uuid"), plan_body(), format="json")
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "not_found"


def test_deleting_a_user_deletes_their_plans(user):
    plan = PlanFactory(owner=user)
    user.delete()
    assert not Plan.objects.filter(pk=plan.pk).exists()


# --- Another person's plan: always 404, never changed -------------------------------


def test_another_persons_plan_is_invisible(user_client, other_plan):
    before = Plan.objects.values().get(pk=other_plan.pk)
    url = detail(other_plan.pk)
    responses = {
        "retrieve": user_client.get(url),
        "put": user_client.put(url, plan_body(name="Hijacked"), format="json"),
        "patch": user_client.patch(url, {"name": "Hijacked"}, format="json"),
        "delete": user_client.delete(url),
    }
    for action, response in responses.items():
        assert response.status_code == 404, action
        assert response.json()["error"]["code"] == "not_found", action
        assert "Not yours" not in response.content.decode(), action
    assert Plan.objects.values().get(pk=other_plan.pk) == before


def test_put_to_another_persons_id_answers_like_a_missing_patch(user_client, other_plan):
    hijack = user_client.put(detail(other_plan.pk), plan_body(), format="json").json()
    missing = user_client.patch(detail(uuid.uuid4()), {"name": "x"}, format="json").json()
    assert hijack == missing


# --- Listing: ordering, filters, pagination, query count -----------------------------


def test_default_order_is_newest_change_first(user_client, user):
    first, second, third = PlanFactory.create_batch(3, owner=user)
    user_client.patch(detail(first.pk), {"name": "Touched"}, format="json")
    ids = [item["id"] for item in user_client.get(URL).json()["results"]]
    assert ids == [str(first.pk), str(third.pk), str(second.pk)]


def test_ordering(user_client, user):
    for name in ("beta", "alpha", "gamma"):
        PlanFactory(owner=user, name=name)
    names = [item["name"] for item in user_client.get(URL, {"ordering": "name"}).json()["results"]]
    assert names == ["alpha", "beta", "gamma"]
    names = [item["name"] for item in user_client.get(URL, {"ordering": "-name"}).json()["results"]]
    assert names == ["gamma", "beta", "alpha"]
    created = [item["name"] for item in user_client.get(URL, {"ordering": "created_at"}).json()["results"]]
    assert created == ["beta", "alpha", "gamma"]


def test_archived_filter(user_client, user):
    active = PlanFactory(owner=user, archived=False)
    archived = PlanFactory(owner=user, archived=True)
    only_archived = user_client.get(URL, {"archived": "true"}).json()["results"]
    assert [item["id"] for item in only_archived] == [str(archived.pk)]
    only_active = user_client.get(URL, {"archived": "false"}).json()["results"]
    assert [item["id"] for item in only_active] == [str(active.pk)]
    assert user_client.get(URL).json()["count"] == 2


def test_pagination(user_client, user):
    PlanFactory.create_batch(60, owner=user)
    first = user_client.get(URL).json()
    assert first["count"] == 60
    assert len(first["results"]) == 50
    assert first["next"] and first["previous"] is None
    second = user_client.get(URL, {"page": 2}).json()
    assert len(second["results"]) == 10
    seen = {item["id"] for item in first["results"]} | {item["id"] for item in second["results"]}
    assert len(seen) == 60
    small = user_client.get(URL, {"page_size": 7}).json()
    assert len(small["results"]) == 7


def test_page_size_is_capped_at_200(user_client, user):
    PlanFactory.create_batch(205, owner=user, data={})
    assert len(user_client.get(URL, {"page_size": 1000}).json()["results"]) == 200


def test_ties_in_ordering_do_not_repeat_across_pages(user_client, user):
    PlanFactory.create_batch(30, owner=user, name="Same name")
    ids = []
    for page in (1, 2, 3):
        response = user_client.get(URL, {"ordering": "name", "page_size": 10, "page": page})
        ids += [item["id"] for item in response.json()["results"]]
    assert len(set(ids)) == 30


@pytest.mark.parametrize("count", [1, 50])
def test_list_makes_a_constant_number_of_queries(django_assert_num_queries, user, count):
    PlanFactory.create_batch(count, owner=user)
    client = APIClient()
    client.force_authenticate(user=user)
    # One COUNT for the paginator, one SELECT for the page.
    with django_assert_num_queries(2):
        response = client.get(URL, {"page_size": 50})
    assert response.status_code == 200
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize(
    "query", [{"archived": "null"}, {"archived": "1"}, {"page_size": "null"}, {"page_size": 0}]
)
def test_list_parameters_of_the_wrong_type_are_refused(user_client, query):
    response = user_client.get(URL, query)
    assert response.status_code == 400
    assert set(query) <= set(response.json()["error"]["fields"])


@pytest.mark.django_db
def test_the_list_shows_plans_at_a_glance_and_the_plan_carries_the_rest(user_client, user):
    plan = PlanFactory(owner=user, data={"notes": "x" * 5000})
    listed = user_client.get("/api/v1/plans/").json()["results"][0]
    assert set(listed) == {
        "id", "name", "latitude", "longitude", "address", "timezone", "archived",
        "created_at", "updated_at", "data_status", "facts",
    }  # fmt: skip
    one = user_client.get(f"/api/v1/plans/{plan.id}/").json()
    assert one["data"] == {"notes": "x" * 5000} and "climate" in one["data_urls"]
    assert {name: one[name] for name in listed} == listed


def test_each_listed_plan_is_what_its_detail_says(user_client, user):
    # The list builds its items directly; the detail goes field by field through DRF.
    PlanFactory(
        owner=user, name="Ünïcode <b>bed</b>", address="", archived=True, latitude=-33.9, longitude=18.42
    )
    PlanFactory(owner=user, name="Plain", address="1 Garden Lane", timezone="", latitude=0.0, longitude=-0.5)
    listed = user_client.get("/api/v1/plans/").json()["results"]
    assert len(listed) == 2
    for item in listed:
        one = user_client.get(f"/api/v1/plans/{item['id']}/").json()
        assert list(item) == PlanSummarySerializer.Meta.fields
        assert {name: one[name] for name in item} == item
