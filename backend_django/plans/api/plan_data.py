"""The cached data a plan's own answers are computed from (bed sun, recommendations,
calendar), read like the data endpoints read it (upstream/http/answers.py).

Each answer needs the climate summary of the plan's point and, for the sun,
the sun raster of its site. Both are read through ``answers.entry_lookup``
(the process's tracked copy, or one round trip each; counted against the
client's read limit); a stale one is used and its refresh queued, as a data
endpoint would. While one is missing the answer is the data endpoints': a
``202`` with the job that fills the missing units (``answers.start_fetch``:
the climate point first, then the sun site, whose job also fetches its
inputs), ``Location`` and ``Retry-After``; the job's ``result_url`` is the
plan's answer, asked again. A remembered upstream refusal is a ``502``;
Valkey away, a ``503``.

Answers are someone's plan: ``Cache-Control: private, no-cache`` with an
ETag over everything they are computed from, and ``If-None-Match`` → 304.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpResponse
from redis import RedisError
from rest_framework.request import Request
from rest_framework.response import Response

from backend_django.core.client_ip import client_ip
from backend_django.core.exceptions import ApplicationError
from backend_django.upstream.http import answers, responses
from backend_django.upstream.http.answers import EntryTarget
from backend_django.upstream.kinds import climate
from backend_django.upstream.kinds import sun as sun_module
from backend_django.upstream.kinds.sun import kind as sun_kind

from ..models import Plan

CACHE_CONTROL = "private, no-cache"


class Entry(Protocol):
    """What is read of a cached entry (upstream/cache/store.py's Entry)."""

    @property
    def etag(self) -> str: ...

    def raw(self) -> bytes: ...

    def json(self) -> Any: ...


@dataclass(frozen=True)
class PlanData:
    climate_summary: Entry
    climate_url: str  # the canonical URL of the summary
    sun: Entry | None = None  # the site's raster, when asked for
    site: sun_module.Site | None = None


def plan_site(plan: Plan) -> sun_module.Site:
    """The plan's sun site (ApplicationError, 400, beyond 85° north or south)."""
    try:
        return sun_module.site_snap(lat=plan.latitude, lng=plan.longitude)
    except ApplicationError as exc:
        raise ApplicationError(
            "This plan lies beyond 85° north or south, where sun and shade are not computed.",
            code="no_sun",
        ) from exc


def plan_data(request: Request, plan: Plan, *, result_url: str, with_sun: bool) -> PlanData | Response:
    """The plan's cached climate summary (and sun raster), or the answer to give meanwhile."""
    try:
        return _plan_data(request, plan, result_url=result_url, with_sun=with_sun)
    except RedisError as exc:
        raise responses.cache_unavailable() from exc


def _plan_data(request: Request, plan: Plan, *, result_url: str, with_sun: bool) -> PlanData | Response:
    client = client_ip(request.META)
    climate_unit = climate.unit_for(plan.latitude, plan.longitude)
    climate_url = climate.summary_url(plan.latitude, plan.longitude)
    # The canonical URLs, so that refreshes of stale entries are shared with the data endpoints.
    targets = [EntryTarget("climate_summary", climate.summary_unit(climate_unit), climate_unit, climate_url)]
    site = None
    if with_sun:
        site = plan_site(plan)
        targets.append(
            EntryTarget("sun", site.unit, site.unit, sun_kind.data_url("sun/", site.unit), job_kind="sun")
        )
    found: dict[str, Entry] = {}
    missing: list[str] = []
    for target in targets:
        answer = answers.cached_answer(target, answers.entry_lookup(target, client=client))
        if answer is None or answer.entry is None:
            missing.append(target.fill_unit)
        else:
            found[target.endpoint] = answer.entry
    if missing:
        sun_missing = site is not None and site.unit in missing
        answer = answers.start_fetch(
            endpoint="sun" if sun_missing else "climate_summary",
            units=missing,
            result_url=result_url,
            missing=missing,
            client=client,
            job_kind="sun" if sun_missing else "",
        )
        if answer.state == "accepted" and answer.job is not None:
            return responses.job_accepted(answer.job)
        assert answer.refusal is not None  # start_fetch answers a job or a refusal
        return responses.refused_response(answer.refusal)
    return PlanData(
        climate_summary=found["climate_summary"], climate_url=climate_url, sun=found.get("sun"), site=site
    )


def plan_etag(*parts: str) -> str:
    """An entity tag over everything an answer is computed from."""
    return '"' + hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest() + '"'


def not_modified(request: Request, etag: str) -> HttpResponse | None:
    """304 when ``If-None-Match`` holds ``etag``, else None."""
    if responses.etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), etag):
        return responses.not_modified({"ETag": etag, "Cache-Control": CACHE_CONTROL})
    return None


def private_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL}
