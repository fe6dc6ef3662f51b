import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_management_command_serves_the_simulator():
    port = free_port()
    manage = Path(settings.BASE_DIR) / "manage.py"
    process = subprocess.Popen(
        [
            sys.executable,
            str(manage),
            "upstream_simulator",
            "--port",
            str(port),
            "--quiet",
            "--canopy-size",
            "256",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(f"{base}/__sim__/stats", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        head = requests.head(f"{base}/chm/023010203.tif", timeout=10)
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) > 256 * 256
        status = requests.get(f"{base}/api/status", timeout=10)
        assert "Rate limit: 2" in status.text
        tile = requests.get(f"{base}/basemap/0/0/0.png", timeout=10)
        assert tile.status_code == 200 and tile.content.startswith(b"\x89PNG")
        assert requests.head(f"{base}/terrarium/0/0/0.png", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
