"""Waiting in tests for something another thread or process does."""

import time


def wait_until(check, what: str = "the condition", *, timeout: float = 60.0, step: float = 0.01):
    """Call ``check`` until it returns something true, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(step)
