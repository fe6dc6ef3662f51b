"""The running API against its contract: schemathesis over docs/api/openapi.yaml.

``python -m backend_django.testing.contract`` (scripts/contract, .ci/run)
starts a private Valkey, the upstream simulator, a fresh SQLite database and
gunicorn with the test settings, then runs schemathesis over every operation
twice: anonymously, and with an API token of a user who owns a plan. It
exits non-zero on any failure. Bounded: CONTRACT_MAX_EXAMPLES test cases per
operation and phase (default 20), a fixed seed (CONTRACT_SEED).

The per-client limits are lifted for the run (every request comes from
127.0.0.1): the limits have their own tests, and schemathesis should reach
the endpoints behind them.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backend_django.upstream.upstreams import simulator_env

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SCHEMA = ROOT / "docs" / "api" / "openapi.yaml"
BIN = Path(PYTHON).parent
UNLIMITED = "1000000/1h/key,1000000/1h/ip"
# Settings of the server under test (the test settings' TEST_SETTINGS_OVERRIDES).
LIFTED_LIMITS = {
    "PROXY_READ_RATE": "1000000/min",
    "PROXY_FETCH_RATE": "1000000/min",
    "ACCOUNT_RATE_LIMITS": {
        "login_failed_client_account": "1000000/1h/key",
        "login_failed": UNLIMITED,
        "reset_password": UNLIMITED,
        "confirm_email": UNLIMITED,
        "signup": "1000000/1h/ip",
    },
}
# Checks that cannot hold for this API, and why:
# - positive_data_acceptance: a schema-valid body can still be refused for what
#   it means (a wrong password, an unknown reset token, a box over the area cap).
# - ignored_auth: the data endpoints, health and the account endpoints are
#   public on purpose; they accept a token but do not need one.
EXCLUDED_CHECKS = "positive_data_acceptance,ignored_auth"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"contract: {what} exited early (code {process.returncode})")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"contract: {what} did not come up in {timeout} s")


CREATE_TOKEN = """
from backend_django.plans.models import Plan
from backend_django.users.models import User
from backend_django.users.services import api_token_create
user = User.objects.create_user(email="contract@example.com", password="Contract-Check-Password-2026")
Plan.objects.create(owner=user, name="Contract plan", latitude=45.5, longitude=-122.7)
print(api_token_create(user=user).key)
"""


def schemathesis(base: str, *extra: str) -> int:
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        str(SCHEMA),
        "--url",
        base,
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED_CHECKS,
        "--max-examples",
        os.environ.get("CONTRACT_MAX_EXAMPLES", "20"),
        "--seed",
        os.environ.get("CONTRACT_SEED", "20261201"),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        *extra,
    ]
    print("contract:", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from backend_django.devtools.simulator import SimulatorApp, run_in_thread
    from backend_django.testing.valkey_plugin import private_server

    valkey = private_server()
    valkey.start()
    simulator = run_in_thread(SimulatorApp(latency=0.0, canopy_size=4096), port=0)
    workdir = Path(tempfile.mkdtemp(prefix="contract-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        # One writer at a time is all SQLite does; waiting beats "database is locked".
        "DATABASE_URL": f"sqlite:///{workdir / 'contract.sqlite3'}?timeout=30",
        "VALKEY_URL": f"redis://127.0.0.1:{valkey.port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{valkey.port}/0",
        **simulator_env(simulator.base_url),
        "TEST_SETTINGS_OVERRIDES": json.dumps(LIFTED_LIMITS),
    }
    server = None
    log = (workdir / "gunicorn.log").open("w")
    try:
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        token = subprocess.run(
            [*manage, "shell", "-c", CREATE_TOKEN],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        server = subprocess.Popen(
            [
                PYTHON, "-m", "gunicorn", "backend_django.config.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread",
                "--threads", "4", "--timeout", "60",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(port, server, "gunicorn")
        base = f"http://127.0.0.1:{port}"
        print("\n=== contract: anonymous", flush=True)
        anonymous = schemathesis(base)
        print("\n=== contract: with an API token", flush=True)
        # Logging out would end the token the rest of the run uses.
        with_token = schemathesis(
            base, "--header", f"Authorization: Token {token}", "--exclude-path", "/api/v1/auth/logout/"
        )
        failed = anonymous != 0 or with_token != 0
        if failed:
            print(f"contract: failures (server log: {workdir / 'gunicorn.log'})", flush=True)
        return 1 if failed else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        simulator.stop()
        valkey.stop()


if __name__ == "__main__":
    sys.exit(main())
