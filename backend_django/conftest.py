"""Fixtures shared by every app's tests."""

import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey, reset_circuits
from backend_django.testing.valkey_plugin import xdist_worker
from backend_django.upstream.cache import store
from backend_django.upstream.http import throttles
from backend_django.upstream.upstreams import simulator_env
from backend_django.users.tests.factories import UserFactory

# Files of this test process's own: each pytest-xdist worker has its own.
FILE_SUFFIX = f"-{xdist_worker()}" if xdist_worker() else ""
# Where the test Celery worker's emails go (one file per sending connection).
WORKER_MAIL_DIR = Path(settings.VAR_DIR) / f"test-worker-mail{FILE_SUFFIX}"

# Key prefixes the application writes to Valkey. The broker's own keys are
# left alone so a running worker keeps its queues between tests.
APP_KEY_PATTERNS = ("dj:*", "ss:*")

# Fixtures of tests that assert what one Valkey node does: the commands a
# request sends (counted on redis.Redis, which a cluster client is not) and
# the tracked copies (CLIENT TRACKING, off on a cluster). On a Valkey Cluster
# (make test-cluster) those tests are skipped; the cluster's own paths are
# checked by upstream/tests/test_cluster_slots.py.
SINGLE_NODE_FIXTURES = {"valkey_commands", "tracking"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test that uses the session's Celery worker is marked ``worker``, by its fixtures.

    So `-m "not worker"` leaves out every test that starts one, and a new
    test cannot forget the marker. It runs before pytest's own selection by
    marker (``tryfirst``). On a Valkey Cluster, the tests of one node's
    behaviour (SINGLE_NODE_FIXTURES) are skipped.
    """
    skip = pytest.mark.skip(reason="one Valkey node's command counts or CLIENT TRACKING: not on a cluster")
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "celery_worker_process" in fixtures and not item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.worker)
        if settings.VALKEY_CLUSTER and SINGLE_NODE_FIXTURES & fixtures:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_valkey():
    store.reset_local_state()
    reset_circuits()
    client = get_valkey()
    for pattern in APP_KEY_PATTERNS:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    yield


@pytest.fixture
def throttle_clock(monkeypatch):
    """The per-client limits' clock, stopped in the middle of a minute: a test
    that counts requests against a limit per minute never sees its window turn.
    Returns the stopped time (epoch seconds)."""
    stopped = time.time() // 60 * 60 + 30
    monkeypatch.setattr(throttles, "now", lambda: stopped)
    return stopped


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _database_url_for_worker() -> str:
    """The URL of the database the tests are using right now (the test DB)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def upstream_simulator():
    """The project's upstream simulator on a free port, for the whole session.

    The upstream URL settings (and the environment a worker process inherits)
    point at it. Tests reset it through the ``simulator`` fixture.
    """
    from backend_django.devtools.simulator import SimulatorApp, run_in_thread

    app = SimulatorApp(latency=0.0, canopy_size=1024)
    handle = run_in_thread(app, port=0)
    urls = simulator_env(handle.base_url)
    saved = {name: getattr(settings, name) for name in urls}
    for name, url in urls.items():
        os.environ[name] = url
        setattr(settings, name, url)
    yield app
    for name, value in saved.items():
        setattr(settings, name, value)
        os.environ.pop(name, None)
    handle.stop()


@pytest.fixture
def simulator(upstream_simulator):
    upstream_simulator.reset()
    yield upstream_simulator
    upstream_simulator.reset()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, upstream_simulator):
    """A real `celery worker` process on both queues, over the test Valkey.

    Session-scoped: started once, stopped at the end. Tests that use it must
    use `transactional_db` so the worker sees their rows.
    """
    with django_db_blocker.unblock():
        database_url = _database_url_for_worker()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
        "DATABASE_URL": database_url,
        "VALKEY_URL": settings.VALKEY_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_EMAIL_FILE_PATH": str(WORKER_MAIL_DIR),
    }
    shutil.rmtree(WORKER_MAIL_DIR, ignore_errors=True)
    WORKER_MAIL_DIR.mkdir(parents=True)
    log_path = Path(settings.VAR_DIR) / f"test-worker{FILE_SUFFIX}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend_django.config.celery_app",
            "worker",
            "-Q",
            "interactive,warm",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "test@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from backend_django.config.celery_app import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited early, see {log_path}")
        replies = app.control.ping(timeout=0.5)
        if replies:
            break
    else:
        process.terminate()
        raise RuntimeError(f"celery worker did not answer a ping in 60 s, see {log_path}")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


# The session worker's node name (``-n test@%h`` above).
WORKER_NODE = f"test@{socket.gethostname()}"


@pytest.fixture(autouse=True)
def _idle_worker_after_test(request):
    """After a test that used the session worker, nothing it started is left running.

    A job a test leaves behind (a refresh still retrying against a failing
    upstream, a requeued fetch) would otherwise run on during the next test
    and write into its Valkey, e.g. a success fetched in the moment between
    one test's simulator reset and the next one's failure mode. Queued
    messages are purged, and the tasks the worker holds (reserved, scheduled
    with a countdown, or running) are revoked, the running ones terminated.
    """
    yield
    if "celery_worker_process" not in request.fixturenames:
        return
    from backend_django.config.celery_app import app

    deadline = time.monotonic() + 30
    while True:
        app.control.purge()
        running, waiting, revoked = _worker_tasks(app)
        if not running and not waiting - revoked:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test worker still runs {sorted(running)} 30 s after the test")
        unrevoked = (running | waiting) - revoked
        if unrevoked:
            app.control.revoke(sorted(unrevoked), terminate=True, destination=[WORKER_NODE])
        time.sleep(0.1)


def _worker_tasks(app) -> tuple[set[str], set[str], set[str]]:
    """The ids of the tasks the session worker is running, holds for later
    (reserved, or scheduled with a countdown) and has been told to drop."""
    inspect = app.control.inspect(destination=[WORKER_NODE], timeout=2.0)

    def ids(answer) -> set[str]:
        found = set()
        for tasks in (answer or {}).values():
            for task in tasks:
                found.add(task["request"]["id"] if "request" in task else task["id"])
        return found

    running = ids(inspect.active())
    waiting = ids(inspect.reserved()) | ids(inspect.scheduled())
    revoked = {task_id for task_ids in (inspect.revoked() or {}).values() for task_id in task_ids}
    return running, waiting, revoked


class WorkerOutbox:
    """The emails the test worker sent: ``messages()`` parses them (oldest first)."""

    separator = "\n" + "-" * 79 + "\n"

    def clear(self) -> None:
        for path in WORKER_MAIL_DIR.glob("*.log"):
            path.unlink()

    def messages(self) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(WORKER_MAIL_DIR.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            for text in path.read_text().split(self.separator):
                if text.strip():
                    found.append(email.message_from_string(text, policy=email.policy.default))
        return found

    @staticmethod
    def text(message: email.message.EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def worker_outbox(celery_worker_process) -> WorkerOutbox:
    """Emails sent by the real Celery worker during this test."""
    outbox = WorkerOutbox()
    outbox.clear()
    yield outbox
    outbox.clear()


@pytest.fixture
def valkey_commands(monkeypatch):
    """Names of the Valkey commands this thread sends (other threads are ignored)."""
    sent: list[str] = []
    me = threading.get_ident()
    original_command, original_pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counting_command(self, *args, **kwargs):
        if threading.get_ident() == me:
            sent.append(args[0])
        return original_command(self, *args, **kwargs)

    def counting_pipeline(self, *args, **kwargs):
        if threading.get_ident() == me:
            sent.append("pipeline")
        return original_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting_command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_pipeline)
    return sent
