"""What every upstream client shares: one requests session per process with a
descriptive User-Agent, connect/read timeouts, no redirects to other hosts,
and failures sorted into the few kinds the jobs act on.
"""

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from urllib.parse import urlsplit

import requests
from django.conf import settings


@dataclass
class UpstreamError(Exception):
    """An upstream call that did not give usable data.

    ``transient`` errors (429, 5xx, timeouts, connection errors) are retried
    and never cached; the others (a definite 4xx) are remembered for a while.
    """

    code: str
    message: str
    transient: bool
    status: int | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class SameHostRedirectSession(requests.Session):
    """Follows a redirect only when it stays on the same scheme and host."""

    def get_redirect_target(self, resp):
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        origin = urlsplit(resp.url)
        location = urlsplit(requests.compat.urljoin(resp.url, target))
        if (location.scheme, location.netloc) != (origin.scheme, origin.netloc):
            return None  # the 3xx itself is returned and treated as an error
        return target


@cache
def session() -> requests.Session:
    s = SameHostRedirectSession()
    s.max_redirects = 3
    s.headers.update({"User-Agent": settings.UPSTREAM_USER_AGENT, "Accept-Encoding": "gzip"})
    return s


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def request(method: str, url: str, *, read_timeout: float, **kwargs) -> requests.Response:
    """Send one request; raise UpstreamError for anything that is not a 2xx."""
    try:
        response = session().request(
            method,
            url,
            timeout=(settings.UPSTREAM_CONNECT_TIMEOUT, read_timeout),
            **kwargs,
        )
    except requests.Timeout as exc:
        raise UpstreamError("upstream_timeout", f"no answer within the timeout ({exc})", True) from exc
    except requests.RequestException as exc:
        raise UpstreamError("upstream_unreachable", f"could not reach the upstream ({exc})", True) from exc

    status = response.status_code
    if 200 <= status < 300:
        return response
    snippet = response.text[:300].strip().replace("\n", " ")
    if status == 429:
        raise UpstreamError(
            "upstream_rate_limited",
            f"the upstream is rate limiting us: {snippet}",
            True,
            status,
            retry_after_seconds(response),
        )
    if status >= 500 or status in (408, 425):
        raise UpstreamError(
            "upstream_unavailable",
            f"the upstream answered HTTP {status}",
            True,
            status,
            retry_after_seconds(response),
        )
    if 300 <= status < 400:
        raise UpstreamError(
            "upstream_redirect", f"the upstream redirected elsewhere (HTTP {status})", False, status
        )
    code = "upstream_not_found" if status == 404 else "upstream_rejected"
    raise UpstreamError(code, f"the upstream answered HTTP {status}: {snippet}", False, status)


def json_body(response: requests.Response) -> dict:
    """The JSON object of a response; an HTML page or anything else is an error."""
    content_type = response.headers.get("Content-Type", "")
    try:
        data = response.json()
    except ValueError as exc:
        kind = (
            "an HTML page" if "html" in content_type or response.text.lstrip().startswith("<") else "not JSON"
        )
        raise UpstreamError(
            "upstream_invalid_response", f"the upstream answered with {kind} instead of JSON", True
        ) from exc
    if not isinstance(data, dict):
        raise UpstreamError("upstream_invalid_response", "the upstream JSON is not an object", True)
    return data
