"""Celery worker processes a test starts, kills and restarts itself.

The session's shared worker (``celery_worker_process`` in conftest.py) must
not be killed; a test that needs to kill one, or a worker with its own
settings, starts a ``WorkerProcess`` on a queue of its own. Each runs in its
own process group, so ``kill()`` reaches the pool children too, as when a
host loses the worker.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from .valkey_plugin import xdist_worker


class WorkerProcess:
    def __init__(self, *, queues: str, name: str, database_url: str, env: dict[str, str] | None = None):
        self.queues = queues
        self.name = name
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test",
            "DATABASE_URL": database_url,
            "VALKEY_URL": settings.VALKEY_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            **(env or {}),
        }
        suffix = f"-{xdist_worker()}" if xdist_worker() else ""
        self.log_path = Path(settings.VAR_DIR) / f"test-worker-{name}{suffix}.log"
        self.process: subprocess.Popen | None = None

    def start(self, *, concurrency: int = 1, timeout: float = 60) -> float:
        """Start the worker; returns the monotonic time it first answered a ping."""
        from backend_django.config.celery_app import app

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "backend_django.config.celery_app",
                "worker",
                "-Q",
                self.queues,
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"{self.name}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        hostname = f"{self.name}@"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early, see {self.log_path}")
            replies = app.control.ping(timeout=0.5)
            if any(name.startswith(hostname) for reply in replies for name in reply):
                return time.monotonic()
        self.stop()
        raise RuntimeError(f"celery worker did not answer a ping in {timeout:.0f} s, see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (nothing runs its shutdown)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
