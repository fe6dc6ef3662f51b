import pytest

from backend_django.plans.models import Plan
from backend_django.plans.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_changelist_search_and_filters(admin_client, django_assert_max_num_queries):
    PlanFactory.create_batch(5)
    target = PlanFactory(name="Rooftop beans", address="Hauptstraße 5")
    # list_select_related: the owner column costs no query per row.
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/plans/plan/").status_code == 200
    for query in ("Rooftop", "Hauptstraße", target.owner.email):
        response = admin_client.get("/admin/plans/plan/", {"q": query})
        assert response.status_code == 200
        assert "Rooftop beans" in response.content.decode()
    assert admin_client.get("/admin/plans/plan/", {"archived__exact": "1"}).status_code == 200


def test_change_form_validates(admin_client):
    plan = PlanFactory(latitude=1.0)
    url = f"/admin/plans/plan/{plan.pk}/change/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "owner": plan.owner.pk,
            "name": plan.name,
            "latitude": "95",
            "longitude": "0",
            "address": "",
            "timezone": "Nowhere/Land",
            "data": "{}",
        },
    )
    assert response.status_code == 200  # the form again, with errors
    assert "Must be between -90 and 90." in response.content.decode()
    plan.refresh_from_db()
    assert plan.latitude == 1.0
    assert Plan.objects.count() == 1
