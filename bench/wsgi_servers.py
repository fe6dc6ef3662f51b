"""Compare WSGI servers on this project's app: requests per second, one run.

Starts each server on 127.0.0.1 against ``backend_django.config.wsgi`` with
production settings, warms it up, then loads ``/api/v1/version-info/`` from a
second process for a few seconds: ``wrk`` when it is installed, otherwise a
small threaded keep-alive client in this file. Prints the figures and the
ratios measured in this one run. Both servers get the same number of worker
processes (one per core by default).

Run it with an environment that has both servers, for example:

    python -m venv /tmp/bench && /tmp/bench/bin/pip install -r requirements/production.txt granian
    /tmp/bench/bin/python bench/wsgi_servers.py --seconds 5
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH = "/api/v1/version-info/"
# Production settings redirect plain http to https; the proxy sends this header.
HEADERS = {"X-Forwarded-Proto": "https", "Host": "localhost"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_commands(port: int, workers: int) -> dict[str, list[str]]:
    bindir = Path(sys.executable).parent
    bind = f"127.0.0.1:{port}"
    app = "backend_django.config.wsgi:application"
    return {
        "gunicorn (sync)": [str(bindir / "gunicorn"), app, "--bind", bind, "--workers", str(workers)],
        "gunicorn (gthread, 4 threads)": [
            str(bindir / "gunicorn"),
            app,
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            "4",
        ],
        "granian (wsgi)": [
            str(bindir / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-ws",
            app,
        ],
    }


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", PATH, headers=HEADERS)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            raise RuntimeError(f"{PATH} answered {response.status}")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start within {timeout} s")


def load_with_wrk(port: int, seconds: int, connections: int) -> float:
    header_args = [arg for name, value in HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            *header_args,
            f"http://127.0.0.1:{port}{PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers during the load:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return float(match.group(1))


def load_with_threads(port: int, seconds: int, connections: int) -> float:
    """A keep-alive client per thread (reconnects when the server closes)."""
    counts = [0] * connections
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", PATH, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(str(response.status))
                    return
                counts[index] += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                return
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"load failed: {errors[:3]}")
    return sum(counts) / (time.monotonic() - started)


def measure(name: str, command: list[str], port: int, args: argparse.Namespace, env: dict) -> float:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port)
        load = load_with_wrk if shutil.which("wrk") and not args.python_client else load_with_threads
        load(port, 1, args.connections)  # warm-up: imports, first requests
        return load(port, args.seconds, args.connections)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="load duration per server")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="server processes")
    parser.add_argument("--python-client", action="store_true", help="threaded client even with wrk")
    args = parser.parse_args()

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.production",
            "DJANGO_READ_DOT_ENV_FILE": "False",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            # version-info/ touches neither; the settings only need the URLs.
            "DATABASE_URL": env.get("DATABASE_URL", "postgres://bench@127.0.0.1:5432/bench"),
            "VALKEY_URL": env.get("VALKEY_URL", "redis://127.0.0.1:6379/0"),
            "LOG_LEVEL": "WARNING",
        }
    )
    client = "wrk" if shutil.which("wrk") and not args.python_client else "threaded Python client"
    print(
        f"GET {PATH}, {args.workers} worker processes, {args.connections} connections, "
        f"{args.seconds} s per server, load from {client}, {os.cpu_count()} CPUs"
    )
    results: dict[str, float] = {}
    for name in server_commands(0, args.workers):
        port = free_port()
        command = server_commands(port, args.workers)[name]
        results[name] = measure(name, command, port, args, env)
        print(f"{name:32s} {results[name]:10.0f} requests/s")
    best = max(results, key=results.__getitem__)
    for name, rate in results.items():
        if name != best:
            print(f"{best} / {name}: {results[best] / rate:.2f}x")


if __name__ == "__main__":
    main()
