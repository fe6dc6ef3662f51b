"""What every upstream client shares: one requests session per process with a
descriptive User-Agent, connect/read timeouts, no redirects to other hosts,
and failures sorted into the few kinds the jobs act on.

An ``UpstreamError``'s ``message`` is a short sentence for a person ("Open-Meteo
did not answer in time."): it never holds an upstream's body, a host, a port
or a library's text. What an operator needs goes to ``detail`` (trimmed and
sanitised by ``sanitise()``), which is logged and never shown to people.
"""

import logging
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings

from ..upstreams import label

logger = logging.getLogger(__name__)

_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_HOST = re.compile(r"\b(host|port)=\S+", re.IGNORECASE)
_ADDRESS = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|\blocalhost(:\d+)?\b|\[[0-9a-f:]+\](:\d+)?", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
DETAIL_LIMIT = 200


def sanitise(text: str, limit: int = DETAIL_LIMIT) -> str:
    """``text`` for operators: no markup, URLs, hosts or addresses; one line, at most ``limit`` chars."""
    text = _TAG.sub(" ", text)
    text = _URL.sub("<url>", text)
    text = _HOST.sub(r"\1=<redacted>", text)
    text = _ADDRESS.sub("<address>", text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass
class UpstreamError(Exception):
    """An upstream call that did not give usable data.

    ``transient`` errors (429, 5xx, timeouts, connection errors) are retried
    and never cached; the others (a definite 4xx) are remembered for a while.
    """

    code: str
    message: str  # for a person: one short sentence, nothing of the upstream's own
    transient: bool
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""  # for operators (logs): sanitised, trimmed
    upstream: str = ""  # which upstream (upstreams.py), when known

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" + (f" [{self.detail}]" if self.detail else "")


class SameHostRedirectSession(requests.Session):
    """Follows a redirect only when it stays on the same scheme and host."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
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
    s.headers.update({"Accept-Encoding": "gzip"})
    return s


def user_agent() -> str:
    """The User-Agent of every upstream request: the application, and who to contact."""
    contact = settings.UPSTREAM_CONTACT.strip()
    return f"{settings.UPSTREAM_USER_AGENT} contact: {contact}" if contact else settings.UPSTREAM_USER_AGENT


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


class BodyTooSlow(Exception):
    """The body kept trickling in past the deadline."""


def _read_by(response: requests.Response, deadline: float) -> None:
    """Read the whole body before ``deadline`` (the read timeout bounds each read, not the
    whole: an upstream sending a byte a second would otherwise hold a worker for hours)."""
    chunks = []
    try:
        while True:
            try:
                chunk = response.raw.read1(65536, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise requests.ReadTimeout(exc) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise requests.ConnectionError(exc) from exc
            if not chunk:
                break
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise BodyTooSlow("the body was still arriving at the deadline")
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag, not in its stubs
    response.close()


def request(
    method: str, url: str, *, upstream: str, read_timeout: float, not_modified: bool = False, **kwargs: Any
) -> requests.Response:
    """Send one request to ``upstream``; raise UpstreamError for anything that is not a 2xx
    (nor a 304, when ``not_modified``: a conditional request's answer)."""
    name = label(upstream)
    stream = kwargs.pop("stream", False)
    kwargs["headers"] = {"User-Agent": user_agent(), **kwargs.get("headers", {})}
    deadline = time.monotonic() + settings.UPSTREAM_CONNECT_TIMEOUT + read_timeout
    try:
        response = session().request(
            method,
            url,
            timeout=(settings.UPSTREAM_CONNECT_TIMEOUT, read_timeout),
            stream=True,
            **kwargs,
        )
        if not stream:
            _read_by(response, deadline)
    except (requests.Timeout, BodyTooSlow) as exc:
        raise UpstreamError(
            "upstream_timeout", f"{name} did not answer in time.", True, detail=sanitise(str(exc))
        ) from exc
    except requests.RequestException as exc:
        raise UpstreamError(
            "upstream_unreachable", f"{name} could not be reached.", True, detail=sanitise(str(exc))
        ) from exc

    status = response.status_code
    if 200 <= status < 300 or (not_modified and status == 304):
        return response
    detail = sanitise(f"HTTP {status}: {response.text[:2000]}")
    if status == 429:
        raise UpstreamError(
            "upstream_rate_limited",
            f"{name} asked us to slow down.",
            True,
            status,
            retry_after_seconds(response),
            detail,
        )
    if status >= 500 or status in (408, 425):
        raise UpstreamError(
            "upstream_unavailable",
            f"{name} is having trouble and answered with an error.",
            True,
            status,
            retry_after_seconds(response),
            detail,
        )
    if 300 <= status < 400:
        raise UpstreamError(
            "upstream_redirect", f"{name} sent us somewhere else.", False, status, detail=detail
        )
    if status == 404:
        raise UpstreamError(
            "upstream_not_found", f"{name} has no data for this.", False, status, detail=detail
        )
    raise UpstreamError("upstream_rejected", f"{name} refused this request.", False, status, detail=detail)


def invalid_response(upstream: str, detail: str) -> UpstreamError:
    """An answer that cannot be used (a captive portal's page, garbage, a partial body)."""
    return UpstreamError(
        "upstream_invalid_response", f"{label(upstream)} sent an answer we could not read.", True,
        detail=sanitise(detail),
    )  # fmt: skip


def json_body(response: requests.Response, upstream: str) -> dict:
    """The JSON object of a response; an HTML page or anything else is an error."""
    data = json_value(response, upstream)
    if not isinstance(data, dict):
        raise invalid_response(upstream, "the JSON is not an object")
    return data


def json_value(response: requests.Response, upstream: str) -> Any:
    """The JSON of a response (any value); an HTML page or anything else is an error."""
    content_type = response.headers.get("Content-Type", "")
    try:
        return response.json()
    except ValueError as exc:
        html = "html" in content_type or response.text.lstrip().startswith("<")
        kind = "an HTML page" if html else "not JSON"
        raise invalid_response(upstream, f"{kind} instead of JSON ({content_type or 'no type'})") from exc
