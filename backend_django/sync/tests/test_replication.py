"""Logical replication on a real PostgreSQL: what the PowerSync service would stream.

The test starts its own throwaway cluster with wal_level=logical (the shared
PostgreSQL of a machine need not have it), migrates a database there, creates
the replication role with powersync/replication-role.sql, opens a pgoutput
slot on the `powersync` publication as that role, writes plans through
POST sync/upload/ of a real server process, and decodes the slot's changes.

It is skipped, with a message, only where no PostgreSQL server binaries exist;
in CI (CI=true) that is a failure.
"""

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings

from backend_django.sync.keys import key_generate

ROLE_SQL = Path(settings.BASE_DIR) / "powersync" / "replication-role.sql"
ROLE_PASSWORD = "replication-test-password"
AUDIENCE = "https://powersync.replication.test"


def _bindir() -> Path | None:
    """The newest PostgreSQL server binaries: Debian's /usr/lib/postgresql/N/bin, else PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, **kwargs)
    assert result.returncode == 0, f"{command[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def logical_cluster():
    """A private PostgreSQL cluster with wal_level=logical on a free port; yields its base URL."""
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("CI needs PostgreSQL server binaries (initdb, pg_ctl) for the replication test")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql to run this test")
    # initdb refuses to run as root: then the cluster belongs to an unprivileged user.
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="solarsim-pg-"))
    if os.geteuid() == 0:
        account = next(
            (name for name in ("postgres", "nobody") if _has_account(name)),
            None,
        )
        if account is None:
            pytest.fail("running as root, but there is no 'postgres' or 'nobody' account to run initdb as")
        entry = pwd.getpwnam(account)
        os.chown(base, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", account, "--"]
    data = base / "data"
    port = _free_port()
    _run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]
    )
    options = " ".join(
        [
            f"-c port={port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={base}",
            "-c wal_level=logical",
            "-c max_wal_senders=4",
            "-c max_replication_slots=4",
            "-c fsync=off",
            "-c full_page_writes=off",
        ]
    )
    _run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    try:
        yield {"url": f"postgres://postgres@127.0.0.1:{port}", "port": port, "bindir": bindir}
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --- pgoutput (logical replication protocol, version 1) ---------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += size
        return value

    def string(self) -> str:
        end = self.data.index(b"\0", self.at)
        value = self.data[self.at : end].decode()
        self.at = end + 1
        return value

    def tuple(self) -> list[str | None]:
        values: list[str | None] = []
        for _ in range(self.take("!h")):
            kind = self.take("!c")
            if kind == b"t":
                length = self.take("!i")
                values.append(self.data[self.at : self.at + length].decode())
                self.at += length
            else:  # n: NULL; u: unchanged TOASTed value
                values.append(None)
        return values


def decode_pgoutput(messages: list[bytes]) -> list[dict]:
    """Relation, Insert, Update and Delete messages as dicts, each with its transaction's xid."""
    relations: dict[int, dict] = {}
    changes = []
    xid = None
    for message in messages:
        reader = _Reader(message)
        kind = reader.take("!c")
        if kind == b"B":
            reader.take("!Q")  # final LSN
            reader.take("!q")  # commit time
            xid = reader.take("!I")
        elif kind == b"R":
            relid = reader.take("!I")
            namespace, name = reader.string(), reader.string()
            reader.take("!b")  # replica identity
            columns = []
            for _ in range(reader.take("!h")):
                reader.take("!b")
                columns.append(reader.string())
                reader.take("!I")
                reader.take("!i")
            relations[relid] = {"schema": namespace, "table": name, "columns": columns}
            changes.append({"kind": "relation", **relations[relid]})
        elif kind in (b"I", b"U", b"D"):
            relation = relations[reader.take("!I")]
            marker = reader.take("!c")
            old = None
            if kind != b"I" and marker in (b"K", b"O"):
                old = dict(zip(relation["columns"], reader.tuple(), strict=True))
                marker = reader.take("!c") if kind == b"U" else None
            new = dict(zip(relation["columns"], reader.tuple(), strict=True)) if marker == b"N" else None
            names = {b"I": "insert", b"U": "update", b"D": "delete"}
            changes.append(
                {"kind": names[kind], "table": relation["table"], "new": new, "old": old, "xid": xid}
            )
    return changes


# --- The test -----------------------------------------------------------------------


@contextlib.contextmanager
def _server(env: dict[str, str]):
    """`manage.py runserver` on a free port with ``env``; yields the API's base URL."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(f"{base}/sync/jwks/", timeout=2).status_code == 200:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"the API server did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def _other_database(url: str) -> str:
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) + 1) % 16}"


def test_an_upload_reaches_a_pgoutput_slot_on_the_powersync_publication(logical_cluster):
    admin_url = f"{logical_cluster['url']}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE solarsim")
    database_url = f"{logical_cluster['url']}/solarsim"
    key = key_generate()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DATABASE_URL": database_url,
        # A Valkey database no test worker reads: the plan uploaded here queues
        # a prefetch, which must not run against later tests' simulator.
        "VALKEY_URL": _other_database(settings.VALKEY_URL),
        "SYNC_JWT_PRIVATE_KEYS": key.private_pem(),
        "SYNC_JWT_AUDIENCE": AUDIENCE,
    }
    _run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=settings.BASE_DIR, env=env)

    # What the PowerSync service checks before it replicates (checkSourceConfiguration).
    with psycopg.connect(database_url, autocommit=True) as db:
        assert db.execute("SHOW wal_level").fetchone() == ("logical",)
        publication = db.execute(
            "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot "
            "FROM pg_publication WHERE pubname = 'powersync'"
        ).fetchone()
        assert publication == (False, True, True, True, True, False)
        tables = db.execute(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = 'powersync'"
        )
        assert tables.fetchall() == [("public", "plans_plan")]

    # The replication role, exactly as the docs and the compose profile create it (twice: idempotent).
    psql = [str(logical_cluster["bindir"] / "psql"), database_url.replace("postgres://", "postgresql://")]
    without = subprocess.run(
        [*psql, "-f", str(ROLE_SQL)],
        env={**os.environ, "POWERSYNC_DB_PASSWORD": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert without.returncode != 0 and "POWERSYNC_DB_PASSWORD is not set" in without.stderr
    for _ in range(2):
        _run([*psql, "-f", str(ROLE_SQL)], env={**os.environ, "POWERSYNC_DB_PASSWORD": ROLE_PASSWORD})
    role_url = database_url.replace("postgres@", f"powersync_role:{ROLE_PASSWORD}@")

    created = _run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from knox.models import AuthToken; "
            "from backend_django.users.models import User; "
            "u = User.objects.create_user(email='gardener@example.com', password='a-Long-garden-passw0rd'); "
            "print(u.pk, AuthToken.objects.create(user=u)[1])",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    user_id, api_token = created.stdout.split()[-2:]

    with psycopg.connect(role_url, autocommit=True) as replication:
        role = replication.execute(
            "SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        assert role.fetchone() == (True, False)
        replication.execute("SELECT pg_create_logical_replication_slot('powersync_test', 'pgoutput')")

        kept, gone = uuid.uuid4(), uuid.uuid4()
        with _server(env) as api:
            token = requests.get(
                f"{api}/sync/token/", headers={"Authorization": f"Token {api_token}"}, timeout=10
            ).json()["token"]
            bearer = {"Authorization": f"Bearer {token}"}
            plan = {"name": "Allotment", "latitude": 52.52, "longitude": 13.405, "data": '{"beds": [1]}'}
            batch = [
                {"op": "PUT", "table": "plans", "id": str(kept), "data": plan},
                {"op": "PUT", "table": "plans", "id": str(gone), "data": {**plan, "name": "Temporary"}},
                {"op": "PATCH", "table": "plans", "id": str(kept), "data": {"name": "Allotment 7"}},
                {"op": "DELETE", "table": "plans", "id": str(gone)},
            ]
            response = requests.post(f"{api}/sync/upload/", json={"batch": batch}, headers=bearer, timeout=30)
            assert response.status_code == 200, response.text
            assert response.json()["applied"] == 4
            # A write to a table outside the publication: it must not reach the slot.
            renamed = requests.patch(
                f"{api}/users/me/",
                json={"name": "Renamed"},
                headers={"Authorization": f"Token {api_token}"},
                timeout=10,
            )
            assert renamed.status_code == 200, renamed.text

        rows = replication.execute(
            "SELECT data FROM pg_logical_slot_get_binary_changes('powersync_test', NULL, NULL, "
            "'proto_version', '1', 'publication_names', 'powersync')"
        ).fetchall()
        replication.execute("SELECT pg_drop_replication_slot('powersync_test')")

    changes = decode_pgoutput([bytes(data) for (data,) in rows])
    assert {(c["schema"], c["table"]) for c in changes if c["kind"] == "relation"} == {
        ("public", "plans_plan")
    }
    writes = [c for c in changes if c["kind"] != "relation"]
    assert [(c["kind"], c["table"]) for c in writes] == [
        ("insert", "plans_plan"),
        ("insert", "plans_plan"),
        ("update", "plans_plan"),
        ("delete", "plans_plan"),
    ]
    # One upload, one transaction.
    assert len({c["xid"] for c in writes}) == 1
    inserted = writes[0]["new"]
    # The values as the service receives them: all text; UUID and JSON as text too.
    assert inserted["id"] == str(kept)
    assert inserted["owner_id"] == user_id
    assert (inserted["name"], float(inserted["latitude"]), float(inserted["longitude"])) == (
        "Allotment",
        52.52,
        13.405,
    )
    assert json.loads(inserted["data"]) == {"beds": [1]}
    assert json.loads(inserted["beds"]) == {"type": "FeatureCollection", "features": []}
    assert inserted["archived"] == "f"
    assert writes[2]["new"]["id"] == str(kept) and writes[2]["new"]["name"] == "Allotment 7"
    # Deletes carry the replica identity (the primary key).
    assert writes[3]["old"]["id"] == str(gone)
