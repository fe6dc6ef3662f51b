"""The OpenAPI contract says what the API answers (schemathesis checks the rest in .ci/run)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

from backend_django.users.tests.factories import UserFactory

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml").read_text())
METHODS = ("get", "put", "patch", "post", "delete")


def operations():
    for path, item in SCHEMA["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def error_schema(response: dict) -> dict | None:
    if "$ref" in response:
        response = SCHEMA["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response.get("content", {}).get("application/json", {}).get("schema")


def test_one_error_component():
    schemas = SCHEMA["components"]["schemas"]
    envelopes = {name for name, schema in schemas.items() if set(schema.get("properties", {})) == {"error"}}
    # The one error shape, and the batch's (the same, naming the failing op).
    assert envelopes == {"Error", "BatchError"}


def test_every_operation_documents_429_and_authenticated_ones_401_and_403():
    for path, method, operation in operations():
        responses = operation["responses"]
        assert "429" in responses, (method, path)
        if any(requirement for requirement in operation.get("security", [])):
            assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), (method, path)
        for code, response in responses.items():
            if code[0] == "4" and (method, path) != ("post", "/api/v1/plans/batch/"):
                assert error_schema(response) in (
                    {"$ref": "#/components/schemas/Error"},
                    None,  # a 4xx without a body (e.g. 304 is not one): none documented
                ), (method, path, code)


def test_batch_results_may_be_null():
    items = SCHEMA["components"]["schemas"]["BatchResponse"]["properties"]["results"]["items"]
    assert items["nullable"] is True
    assert items["allOf"] == [{"$ref": "#/components/schemas/Plan"}]


def test_resend_email_documents_what_it_answers():
    responses = SCHEMA["paths"]["/api/v1/auth/registration/resend-email/"]["post"]["responses"]
    assert "200" in responses and "201" not in responses


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/jobs/%C2%84/", "/api/v1/plans/not.a-uuid/", "/api/v1/nothing-here/", "/api/v1/auth/nope/"],
)
def test_every_404_under_the_api_is_json_in_the_one_shape(path):
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_resend_email_answers_200():
    response = APIClient().post(
        "/api/v1/auth/registration/resend-email/", {"email": "a@example.com"}, format="json"
    )
    assert response.status_code == 200
