"""The TypeScript PowerSyncBackendConnector of docs/sync.md compiles and works against the API.

tools/powersync-check/connector.ts is the example printed in docs/sync.md (a
test keeps the two identical). `tsc` type-checks it against @powersync/common
and compiles it; run-connector.mjs then calls its fetchCredentials and
uploadData against a live server with a CRUD batch.
"""

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from knox.models import AuthToken

from backend_django.plans.models import Plan

from .conftest import AUDIENCE

BASE = Path(settings.BASE_DIR)
TOOL = BASE / "tools" / "powersync-check"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def compiled_connector():
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js 20+ is required for this test; install it and run scripts/bootstrap")
    tsc = TOOL / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.fail(f"{TOOL}/node_modules is missing: run scripts/bootstrap")
    result = subprocess.run(
        [str(tsc), "-p", str(TOOL / "tsconfig.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return node


def run_connector(node: str, request: dict) -> dict:
    result = subprocess.run(
        [node, str(TOOL / "run-connector.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=TOOL,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_docs_show_the_connector_that_is_tested():
    docs = (BASE / "docs" / "sync.md").read_text()
    blocks = re.findall(r"```ts\n(.*?)```", docs, re.DOTALL)
    assert (TOOL / "connector.ts").read_text() in blocks


def test_the_connector_uploads_a_batch_and_reports_rejections(
    compiled_connector, live_server, signing_keys, user
):
    api_token = AuthToken.objects.create(user=user)[1]
    new_id, missing_id = str(uuid.uuid4()), str(uuid.uuid4())
    crud = [
        {
            "op": "PUT",
            "table": "plans",
            "id": new_id,
            "opData": {
                "name": "Balcony",
                "latitude": 48.1,
                "longitude": 11.6,
                "data": '{"pots": 3}',
                "archived": 0,
            },
        },
        {"op": "PATCH", "table": "plans", "id": new_id, "opData": {"latitude": 123}},
        {"op": "DELETE", "table": "plans", "id": missing_id},
    ]
    output = run_connector(
        compiled_connector, {"apiBase": f"{live_server.url}/api/v1", "apiToken": api_token, "crud": crud}
    )
    assert output["error"] is None, output
    assert output["credentials"]["endpoint"] == AUDIENCE
    assert output["credentials"]["token"].count(".") == 2
    assert output["completed"] is True
    assert [entry["id"] for entry in output["rejected"]] == [new_id]
    assert output["rejected"][0]["result"]["error"]["fields"] == {"latitude": ["Must be between -90 and 90."]}
    plan = Plan.objects.get(pk=new_id)
    assert (plan.owner, plan.name, plan.latitude, plan.data) == (user, "Balcony", 48.1, {"pots": 3})


def test_signed_out_the_batch_stays_queued(compiled_connector, live_server, signing_keys):
    crud = [{"op": "DELETE", "table": "plans", "id": str(uuid.uuid4())}]
    output = run_connector(compiled_connector, {"apiBase": f"{live_server.url}/api/v1", "crud": crud})
    assert output["credentials"] is None
    assert output["completed"] is False
    assert "Signed out" in output["error"]
