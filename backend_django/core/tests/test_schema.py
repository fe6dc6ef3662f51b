from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert SCHEMA_FILE.read_text() == generated.read_text(), (
        "docs/api/openapi.yaml is out of date: run `make schema` and commit the result."
    )


@pytest.mark.django_db
def test_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/health/" in schema.content
    docs = api_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()
