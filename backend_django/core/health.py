"""Health checks: each returns None when its component answers."""

import logging
import os
import platform
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path

import django
from django.conf import settings
from django.db import connection

from .valkey import ping_through_circuit

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# Valkey's checks wait VALKEY_SOCKET_TIMEOUT at most, and not at all while
# the server's circuit is open (the cache and the broker are usually the same
# server: one timeout answers for both).
def _check_cache() -> None:
    ping_through_circuit(settings.VALKEY_URL)


def _check_broker() -> None:
    ping_through_circuit(settings.CELERY_BROKER_URL)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def health_status() -> tuple[bool, dict[str, str]]:
    """Run every check; return (all ok, {name: "ok" | "error: ..."})."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is a failed check
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = f"error: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


# What ``health/`` shows besides its checks, without changing its status:
# name -> (report, what to show when the report fails). Apps add theirs in
# ``AppConfig.ready`` (the upstream app: each upstream's breaker state), so
# this module knows none of them.
REPORTS: dict[str, tuple[Callable[[], dict[str, str]], Callable[[], dict[str, str]]]] = {}


def report_add(
    name: str, report: Callable[[], dict[str, str]], unknown: Callable[[], dict[str, str]]
) -> None:
    REPORTS[name] = (report, unknown)


def reports() -> dict[str, dict[str, str]]:
    """Every report (``unknown()`` for one that fails: the cache check reports the cache itself)."""
    found = {}
    for name, (report, unknown) in REPORTS.items():
        try:
            found[name] = report()
        except Exception as exc:  # noqa: BLE001 - a report must not take health/ down
            logger.warning("health report %s unavailable: %s", name, exc)
            found[name] = unknown()
    return found


@cache
def _git_commit() -> str:
    """GIT_COMMIT (set in images), else the checkout's HEAD, else "unknown"."""
    commit = os.environ.get("GIT_COMMIT", "")
    if commit:
        return commit
    git_dir = Path(settings.BASE_DIR) / ".git"
    try:
        head = (git_dir / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref_file = git_dir / head[5:]
            head = ref_file.read_text().strip() if ref_file.is_file() else ""
    except OSError:
        return "unknown"
    return head[:12] or "unknown"


def version_info(*, detailed: bool = False) -> dict[str, str]:
    """The version and commit; with ``detailed`` (staff) the stack's versions too."""
    info = {"version": settings.SPECTACULAR_SETTINGS["VERSION"], "commit": _git_commit()}
    if detailed:
        info.update(
            name="solar-sim",
            python=platform.python_version(),
            django=django.get_version(),
            djangorestframework=version("djangorestframework"),
            celery=version("celery"),
        )
    return info
