"""Block until PostgreSQL and Valkey accept connections (container entrypoint).

Reads DATABASE_URL and VALKEY_URL (and CELERY_BROKER_URL when it differs);
gives up after WAIT_TIMEOUT seconds (default 60) with a non-zero exit.
"""

import os
import sys
import time

import psycopg
import redis


def postgres_ready(url: str) -> None:
    psycopg.connect(url, connect_timeout=3).close()


def valkey_ready(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()


def main() -> int:
    checks = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        checks.append(("PostgreSQL", postgres_ready, database_url))
    valkey_urls = {os.environ.get("VALKEY_URL", ""), os.environ.get("CELERY_BROKER_URL", "")} - {""}
    checks += [("Valkey", valkey_ready, url) for url in sorted(valkey_urls)]

    deadline = time.monotonic() + float(os.environ.get("WAIT_TIMEOUT", "60"))
    for name, check, url in checks:
        while True:
            try:
                check(url)
                break
            except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
                if time.monotonic() > deadline:
                    print(f"wait: {name} still unavailable, giving up: {exc}", file=sys.stderr)
                    return 1
                print(f"wait: {name} not ready ({type(exc).__name__}), retrying", file=sys.stderr)
                time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
