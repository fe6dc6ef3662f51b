"""Fixtures of the upstream tests."""

import threading
import time

import pytest
import redis

from backend_django.upstream import store


def wait_until(check, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.01)


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


@pytest.fixture
def tracking():
    """This process's tracker, listening (copies read from now on are tracked)."""
    tracker = store.tracker()
    wait_until(tracker.serving, "the tracking connection is up")
    return tracker
