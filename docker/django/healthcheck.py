"""Container health checks: `healthcheck.py web` or `healthcheck.py flower`.

web: GET /api/v1/health/ as the proxy would send it (a host from
ALLOWED_HOSTS, X-Forwarded-Proto: https), healthy on 200.
flower: GET /flower/healthcheck with the basic-auth credentials.
"""

import base64
import os
import sys
import urllib.request


def web_request() -> urllib.request.Request:
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
    if host == "*":
        host = "localhost"
    return urllib.request.Request(
        "http://127.0.0.1:8000/api/v1/health/",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )


def flower_request() -> urllib.request.Request:
    credentials = base64.b64encode(os.environ.get("FLOWER_BASIC_AUTH", "").encode()).decode()
    return urllib.request.Request(
        "http://127.0.0.1:5555/flower/healthcheck",
        headers={"Authorization": f"Basic {credentials}"},
    )


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else "web"
    request = flower_request() if target == "flower" else web_request()
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed local URL
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{target} unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
