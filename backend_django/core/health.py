"""Health checks: each returns None when its component answers."""

import logging
import os
import platform
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


def upstream_states() -> dict[str, str]:
    """Each upstream's health ("up", "failing", "down", "probing"; "unknown" when the
    cache does not answer). Shown by ``health/`` without changing its status: an
    upstream's outage is not this service's."""
    from backend_django.upstream import health

    try:
        return {state["upstream"]: state["state"] for state in health.states()}
    except Exception as exc:  # noqa: BLE001 - the cache check reports the cache itself
        logger.warning("upstream health unavailable: %s", exc)
        return dict.fromkeys(health.UPSTREAMS, "unknown")


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
