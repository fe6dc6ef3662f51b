"""The repository's PowerSync configuration, checked with the service's own code.

tools/powersync-check/check-config.mjs validates powersync/service.yaml (with
the environment the `powersync` compose profile gives it) against the
service's JSON schema, parses the sync config it names with the service's
sync-rules library, and evaluates it: each person's token subscribes to the
buckets of their own plans and of nobody else's.
"""

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper

from backend_django.core.tests.test_production_settings import run_with_production_settings
from backend_django.plans.models import Plan

BASE = Path(settings.BASE_DIR)
TOOL = BASE / "tools" / "powersync-check"
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text())
# PostgreSQL's type names (pg_type.typname) for the column types Django creates.
TYPNAMES = {
    "uuid": "uuid",
    "bigint": "int8",
    "integer": "int4",
    "double precision": "float8",
    "jsonb": "jsonb",
    "boolean": "bool",
    "timestamp with time zone": "timestamptz",
    "varchar": "varchar",
}
CLIENT_COLUMNS = {
    "id",
    "name",
    "latitude",
    "longitude",
    "address",
    "timezone",
    "data",
    "beds",
    "archived",
    "created_at",
    "updated_at",
}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} (nested) and $$, enough for docker-compose.yml."""
    pattern = re.compile(r"\$\{(\w+)(?::-((?:[^{}]|\$\{[^{}]*\})*))?\}")
    while (match := pattern.search(value)) is not None:
        name, default = match.group(1), match.group(2)
        replacement = env.get(name) or interpolate(default or "", env)
        value = value[: match.start()] + replacement + value[match.end() :]
    return value.replace("$$", "$")


def plans_table() -> dict:
    """plans_plan's columns with the PostgreSQL types Django's migrations give them."""
    columns = []
    for field in Plan._meta.concrete_fields:
        internal = field.target_field.get_internal_type() if field.is_relation else field.get_internal_type()
        internal = {"BigAutoField": "BigIntegerField", "AutoField": "IntegerField"}.get(internal, internal)
        pg_type = DatabaseWrapper.data_types[internal]
        if callable(pg_type):  # varchar with or without a length
            pg_type = pg_type(field.__dict__)
        pg_type = pg_type.split("(")[0]
        columns.append({"name": field.column, "pg_type": TYPNAMES[pg_type]})
    return {"name": Plan._meta.db_table, "columns": columns}


def check(env: dict[str, str], rows: list[dict], tokens: list[dict]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js 20+ is required for this test; install it and run scripts/bootstrap")
    if not (TOOL / "node_modules" / "@powersync" / "service-sync-rules").is_dir():
        pytest.fail(f"{TOOL}/node_modules is missing: run scripts/bootstrap")
    request = {
        "serviceConfig": str(BASE / "powersync" / "service.yaml"),
        "env": env,
        "tables": [plans_table()],
        "rows": rows,
        "tokens": tokens,
    }
    result = subprocess.run(
        [node, str(TOOL / "check-config.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def service_env(compose_env: dict[str, str]) -> dict[str, str]:
    environment = COMPOSE["services"]["powersync"]["environment"]
    return {name: interpolate(str(value), compose_env) for name, value in environment.items()}


def plan_row(owner_id: int) -> dict:
    return {
        "table": "plans_plan",
        "record": {
            "id": str(uuid.uuid4()),
            "owner_id": owner_id,
            "name": "Allotment",
            "latitude": 52.52,
            "longitude": 13.405,
            "address": "",
            "timezone": "Europe/Berlin",
            "data": '{"beds": []}',
            "beds": '{"type": "FeatureCollection", "features": []}',
            "archived": False,
            "created_at": "2026-11-30 10:00:00+00",
            "updated_at": "2026-11-30 10:00:00+00",
        },
    }


def test_the_service_config_is_valid_and_points_at_our_jwks_and_audience():
    compose_env = {"POWERSYNC_DB_PASSWORD": "secret", "POWERSYNC_STORAGE_PASSWORD": "secret2"}
    answer = check(service_env(compose_env), [], [])
    service = answer["service"]
    assert service["valid"], service["errors"]
    config = service["config"]
    assert config["client_auth"]["jwks_uri"] == "http://django:8000/api/v1/sync/jwks/"
    # The audience the service checks is the one the web containers put into tokens.
    django_env = COMPOSE["x-django"]["environment"]
    assert config["client_auth"]["audience"] == [interpolate(django_env["SYNC_JWT_AUDIENCE"], compose_env)]
    for overrides in ({}, {"POWERSYNC_URL": "https://sync.example.com"}, {"SYNC_JWT_AUDIENCE": "solar-sim"}):
        env = {**compose_env, **overrides}
        assert service_env(env)["PS_JWT_AUDIENCE"] == interpolate(django_env["SYNC_JWT_AUDIENCE"], env)
    assert (
        config["replication"]["connections"][0]["uri"]
        == "postgresql://powersync_role:secret@postgres:5432/solarsim"
    )
    assert config["storage"]["type"] == "postgresql"
    assert "powersync-storage:5432" in config["storage"]["uri"]
    assert config["port"] == 8080


def test_the_compose_profile_wires_the_service_to_the_stack():
    services = COMPOSE["services"]
    powersync = services["powersync"]
    assert powersync["profiles"] == ["powersync"]
    assert services["powersync-storage"]["profiles"] == ["powersync"]
    assert services["powersync-role"]["profiles"] == ["powersync"]
    assert "./powersync:/config:ro" in powersync["volumes"]
    assert powersync["environment"]["POWERSYNC_CONFIG_PATH"] == "/config/service.yaml"
    assert "wal_level=logical" in services["postgres"]["command"]
    assert "django" in COMPOSE["x-django"]["environment"]["ALLOWED_HOSTS"].split(",")
    # The image runs the version whose config schema the check above used.
    package = json.loads((TOOL / "package.json").read_text())
    image_tag = interpolate(powersync["image"].split(":", 1)[1], {})
    assert image_tag == package["dependencies"]["@powersync/service-schema"]


def test_each_person_receives_their_own_plans_and_nobody_elses():
    rows = [plan_row(7), plan_row(8), plan_row(7)]
    answer = check(service_env({}), rows, [{"sub": "7"}, {"sub": "8"}, {"sub": "9"}])
    sync = answer["sync"]
    assert sync["errors"] == []
    evaluated = sync["rows"]
    assert all(len(results) == 1 for results in evaluated), evaluated
    seven, eight, seven_again = (results[0] for results in evaluated)
    buckets_of = dict(zip(["7", "8", "9"], sync["buckets"], strict=True))
    assert seven["bucket"] in buckets_of["7"] and seven_again["bucket"] in buckets_of["7"]
    assert eight["bucket"] in buckets_of["8"]
    assert seven["bucket"] not in buckets_of["8"] + buckets_of["9"]
    assert eight["bucket"] not in buckets_of["7"] + buckets_of["9"]
    # On the client the table is `plans`, keyed by the plan's UUID, without the owner.
    assert seven["table"] == "plans"
    assert seven["id"] == rows[0]["record"]["id"]
    assert set(seven["data"]) == CLIENT_COLUMNS
    assert seven["data"]["data"] == '{"beds": []}'


def test_the_jwks_is_reachable_over_plain_http_inside_the_stack():
    # Production redirects http to https, except for the paths the containers call directly.
    script = (
        # The compose file adds `django` to ALLOWED_HOSTS.
        "import os; os.environ['ALLOWED_HOSTS'] = 'solarsim.example.com,django'; "
        "import django; django.setup(); "
        "from django.http import HttpResponse; from django.test import RequestFactory; "
        "from django.middleware.security import SecurityMiddleware; "
        "middleware = SecurityMiddleware(lambda request: HttpResponse('ok')); "
        "factory = RequestFactory(HTTP_HOST='django:8000'); "
        "print(middleware(factory.get('/api/v1/sync/jwks/')).status_code, "
        "middleware(factory.get('/api/v1/sync/token/')).status_code)"
    )
    result = run_with_production_settings("-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["200", "301"]
