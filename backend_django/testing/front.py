"""The shipped shared cache (docker/cache/nginx.conf) run locally, for tests, the bench and checks.

``render`` rewrites only the lines of the production file marked
``# local: <what>`` (user, pid, logs, cache paths, the upstream, the listen
address), so what runs here is the production configuration otherwise
unchanged. ``Front`` starts nginx with it in a directory of its own.

``python -m backend_django.testing.front --check`` is the `nginx -t` of
scripts/check-stack.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docker" / "cache" / "nginx.conf"


def nginx_path() -> str | None:
    """NGINX_PATH, an nginx on PATH, or /usr/sbin/nginx (scripts/nginx installs one)."""
    for candidate in (os.environ.get("NGINX_PATH"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def render(text: str, *, workdir: Path, listen: str, upstream: str) -> str:
    """The production config with local values on its ``# local:`` lines."""
    user = "user root;" if os.geteuid() == 0 else ""  # unprivileged: nginx ignores `user`
    replacements = {
        "the user": lambda line: user,
        "the pid file": lambda line: f"pid {workdir}/nginx.pid;",
        "the error log": lambda line: f"error_log {workdir}/error.log warn;",
        "the access log": lambda line: re.sub(r"access_log \S+", f"access_log {workdir}/access.log", line),
        "the cache path": lambda line: re.sub(r"\S+/api\b", f"{workdir}/cache", line, count=1),
        "the temp path": lambda line: f"proxy_temp_path {workdir}/temp;",
        "the upstream": lambda line: f"server {upstream};",
        "the address": lambda line: re.sub(r"listen \S+", f"listen {listen}", line),
    }
    out = []
    seen = set()
    for line in text.splitlines():
        marker = re.search(r"#\s*local:\s*(.+)$", line)
        if marker:
            what = marker.group(1).strip()
            if what not in replacements:
                raise ValueError(f"{CONFIG}: unknown local marker {what!r}")
            seen.add(what)
            indent = line[: len(line) - len(line.lstrip())]
            line = indent + replacements[what](line.split("#", 1)[0].strip())
        out.append(line)
    missing = set(replacements) - seen
    if missing:
        raise ValueError(f"{CONFIG}: no line marked local: {sorted(missing)}")
    return "\n".join(out) + "\n"


def write_config(workdir: Path, *, listen: str, upstream: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "nginx.conf"
    path.write_text(render(CONFIG.read_text(), workdir=workdir, listen=listen, upstream=upstream))
    return path


class Front:
    """nginx with the shipped config, listening on 127.0.0.1:``port``, in front of ``upstream``."""

    def __init__(self, nginx: str, workdir: Path, *, port: int, upstream: str):
        self.nginx, self.workdir, self.port = nginx, Path(workdir), port
        self.config = write_config(self.workdir, listen=f"127.0.0.1:{port}", upstream=upstream)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Front":
        self.process = subprocess.Popen(
            [self.nginx, "-p", str(self.workdir), "-e", str(self.workdir / "error.log"),
             "-c", str(self.config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "stderr.log").open("w"),
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def access_log(self) -> list[str]:
        path = self.workdir / "access.log"
        return path.read_text().splitlines() if path.exists() else []


def check(nginx: str) -> int:
    """`nginx -t` of the shipped config (with local paths and a stand-in upstream)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), listen="127.0.0.1:8080", upstream="127.0.0.1:8000")
        result = subprocess.run(
            [nginx, "-t", "-q", "-p", tmp, "-e", f"{tmp}/error.log", "-c", str(config)],
            capture_output=True,
            text=True,
        )
        sys.stderr.write(result.stderr)
        return result.returncode


if __name__ == "__main__":
    if sys.argv[1:] != ["--check"]:
        raise SystemExit("usage: python -m backend_django.testing.front --check")
    found = nginx_path()
    if found is None:
        raise SystemExit("no nginx (scripts/nginx finds or installs one)")
    raise SystemExit(check(found))
