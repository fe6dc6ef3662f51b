"""Fixtures of the upstream tests."""

import pytest

from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store


@pytest.fixture
def tracking():
    """This process's tracker, listening (copies read from now on are tracked)."""
    tracker = store.tracker()
    wait_until(tracker.serving, "the tracking connection is up")
    return tracker
