"""The HTTP side of the data endpoints: reading queries, and turning answers into responses.

- query parsing that reads ``QUERY_STRING`` itself (``query_values``,
  ``parse_point``): building Django's QueryDict costs more than the rest of
  a cache hit's Python work;
- cache headers, ETag / ``If-None-Match`` → 304, gzip negotiation for
  stored bodies (``entry_response``);
- the 202 of a job (``job_accepted``), the 502 of a remembered upstream
  refusal, and the 503 while Valkey is away.

Used by the upstream views and by plans/ (``plans/{id}/prefetch/``): the
one module of this package other apps' API layers may use.
"""

import math
import time
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from rest_framework.response import Response

from backend_django.core.exceptions import ApplicationError, error_body
from backend_django.core.valkey import retry_after_seconds

from ..cache.store import RememberedError
from ..jobs import Job
from .answers import Answer

RETRY_AFTER_SECONDS = 1


def query_values(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The first value of each of ``names`` in the query string (of a Django or DRF request)."""
    found: dict[str, str] = {}
    for part in request.META.get("QUERY_STRING", "").split("&"):
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key in names and key not in found:
            found[key] = unquote_plus(value) if ("%" in value or "+" in value) else value
    return found


def parse_point(request: HttpRequest) -> tuple[float, float]:
    """Validated ``lat`` and ``lng`` query parameters."""
    given = query_values(request, ("lat", "lng"))
    values = []
    for name, low, high in (("lat", -90, 90), ("lng", -180, 180)):
        text = given.get(name)
        if text is None or text == "":
            raise ApplicationError(f"{name}: required, a number between {low} and {high}.", code="invalid")
        try:
            value = float(text)
        except ValueError as exc:
            raise ApplicationError(f"{name}: '{text[:40]}' is not a number.", code="invalid") from exc
        if not math.isfinite(value):
            raise ApplicationError(f"{name}: must be a finite number.", code="invalid")
        if not low <= value <= high:
            raise ApplicationError(f"{name}: must be between {low} and {high}.", code="invalid")
        values.append(value)
    return values[0], values[1]


def accepts_gzip(request: HttpRequest) -> bool:
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


def cache_control(answer: Answer, now: float | None = None) -> str:
    """``Cache-Control`` of a cached answer: fresh for what is left of its freshness, then
    servable stale (by the shared cache in front, or a browser) while one request refreshes
    it, until the end of its stale window. A stale answer is ``max-age=0`` with what is left
    of that window."""
    now = time.time() if now is None else now
    fresh_left = max(0, int(answer.fresh_until - now)) if answer.state == "fresh" else 0
    stale_left = max(0, int(answer.stale_until - max(now, answer.fresh_until)))
    if stale_left:
        return f"public, max-age={fresh_left}, stale-while-revalidate={stale_left}"
    return f"public, max-age={fresh_left}"


def cache_headers(answer: Answer) -> dict[str, str]:
    """The headers of a cached answer (fresh or stale)."""
    return {
        "ETag": answer.etag,
        "Cache-Control": cache_control(answer),
        "X-Cache": "MISS" if answer.filled else "HIT" if answer.state == "fresh" else "STALE",
        "Vary": "Accept-Encoding",
    }


def not_modified(headers: dict[str, str]) -> HttpResponse:
    response = HttpResponseNotModified()
    for name, value in headers.items():
        response[name] = value
    return response


def entry_response(request: HttpRequest, answer: Answer) -> HttpResponse:
    """A cached single entry as stored: gzip when the client takes it, else decompressed."""
    entry = answer.entry
    assert entry is not None, "a fresh or stale answer of one entry"
    headers = cache_headers(answer)
    if etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), entry.etag):
        return not_modified(headers)
    if not entry.gzipped:  # stored as is (e.g. a deflate GeoTIFF)
        return HttpResponse(entry.body, content_type=entry.content_type, headers=headers)
    if accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return HttpResponse(entry.body, content_type=entry.content_type, headers=headers)
    return HttpResponse(entry.raw(), content_type=entry.content_type, headers=headers)


def job_accepted(job: Job) -> Response:
    """202 with the job resource; poll ``Location``."""
    return Response(
        job.as_resource(),
        status=202,
        headers={
            "Location": f"/api/v1/jobs/{job.id}/",
            "Retry-After": str(job.poll_after() or RETRY_AFTER_SECONDS),
            "Cache-Control": "no-store",
        },
    )


def refused_response(refusal: RememberedError) -> Response:
    """502: the upstream refused this request a moment ago; it is not asked again yet."""
    return Response(
        error_body(refusal["code"], f"{refusal['message']} We will not ask again for a few minutes."),
        status=502,
        headers={"Cache-Control": "no-store", "Retry-After": "600"},
    )


def cache_unavailable() -> ApplicationError:
    """503 while Valkey does not answer; Retry-After: the circuit's window (core/valkey.py)."""
    return ApplicationError(
        "The data cache is unavailable right now; try again shortly.",
        code="cache_unavailable",
        status_code=503,
        headers={"Retry-After": str(retry_after_seconds()), "Cache-Control": "no-store"},
    )
