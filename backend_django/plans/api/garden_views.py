"""A plan's garden answers: each bed's sun, the plants that fit, the planting calendar.

Actions of the plans viewset (``plans/{id}/...``), so they share its
authentication and its owner scoping: someone else's plan is a 404 like a
missing one. Each reads the plan's cached data (plan_data.py: 202 and a job
while it is missing) and answers with an ETag over what it was computed
from, ``Cache-Control: private, no-cache``.
"""

import re
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend_django.core.api.schema import ErrorSerializer
from backend_django.core.exceptions import ApplicationError
from backend_django.plans import planting
from backend_django.plans.bed_sun import plan_beds_sun
from backend_django.plans.beds import beds_parse
from backend_django.plans.models import Plan
from backend_django.plans.recommendations import plan_recommendations
from backend_django.plans.selectors import calendar_link_get, calendar_link_plan, plan_get
from backend_django.plans.services import PlanNotFound, calendar_link_revoke, calendar_link_rotate
from backend_django.plants.selectors import plant_catalogue_etag, plant_list
from backend_django.upstream.http.serializers import JobSerializer
from backend_django.upstream.kinds import climate
from backend_django.users.api.auth import signed_in_user

from .garden_serializers import (
    BedsSunSerializer,
    CalendarLinkCreatedSerializer,
    CalendarLinkSerializer,
    PlanCalendarSerializer,
    RecommendationsSerializer,
)
from .plan_data import PlanData, not_modified, plan_data, plan_etag, private_headers

BEDS_SUN_VERSION = "beds-sun/1"
RECOMMENDATIONS_VERSION = "recommendations/1"
CALENDAR_VERSION = "calendar/1"
NO_LINK = "This plan's calendar has no subscription link."
# Plants per bed: the best few by default (a whole catalogue for 50 beds is megabytes).
DEFAULT_LIMIT = 20
MAX_LIMIT = 500
_MONTH = re.compile(r"^(?:[1-9]|1[0-2])$")

GARDEN_RESPONSES = {
    202: OpenApiResponse(
        JobSerializer, description="The plan's data is not cached yet: poll the job at `Location`."
    ),
    304: OpenApiResponse(description="Not modified (`If-None-Match` matched the ETag)."),
    404: OpenApiResponse(ErrorSerializer, description="No plan of yours with this id."),
    502: OpenApiResponse(ErrorSerializer, description="An upstream rejected the fetch recently."),
    503: OpenApiResponse(
        ErrorSerializer, description="The data cache is unavailable, or no fetch could be queued."
    ),
}


def _period(request: Request) -> tuple[int, int] | None:
    """``from`` and ``to`` (months 1-12), both or neither."""
    given = {name: request.query_params.get(name) for name in ("from", "to")}
    if all(value is None for value in given.values()):
        return None
    errors = {}
    for name, value in given.items():
        other = "to" if name == "from" else "from"
        if value is None:
            errors[name] = [f"Required with `{other}`: a month from 1 to 12."]
        elif not _MONTH.match(value):
            errors[name] = ["A month from 1 (January) to 12 (December)."]
    if errors:
        raise ValidationError(errors)
    return int(given["from"] or 0), int(given["to"] or 0)


def _limit(request: Request) -> int:
    value = request.query_params.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return int(value)


def _risk(request: Request) -> int:
    value = request.query_params.get("risk")
    if value is None:
        return planting.DEFAULT_RISK
    if value not in {str(risk) for risk in planting.RISKS}:
        raise ValidationError({"risk": ["The chance of frost to plan with, in percent: 10, 50 or 90."]})
    return int(value)


RISK_PARAMETER = OpenApiParameter(
    "risk",
    OpenApiTypes.INT,
    enum=list(planting.RISKS),
    description="The chance (%) of a frost after the spring date and before the fall date, from the "
    "climate summary's `chance_dates`: 10 careful, 50 (the default) even, 90 bold.",
)


def feed_response(request: Request, plan: Plan, *, risk: int, result_url: str) -> HttpResponse | Response:
    """The plan's calendar as iCalendar, or the answer while its climate is not cached."""
    data = plan_data(request, plan, result_url=result_url, with_sun=False)
    if not isinstance(data, PlanData):
        return data
    summary = data.climate_summary.json()
    zone = planting.plan_zone(plan_timezone=plan.timezone, climate_summary=summary)
    now = planting.clock()
    etag = plan_etag(
        CALENDAR_VERSION + ".ics",
        data.climate_summary.etag,
        plan.updated_at.isoformat(),
        plant_catalogue_etag(),
        str(risk),
        str(now.astimezone(zone).year),
    )
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    feed = planting.plan_calendar_feed(
        plan_id=str(plan.pk),
        plan_name=plan.name,
        beds=beds_parse(plan.beds),
        catalogue=plant_list(),
        climate_summary=summary,
        zone=zone,
        risk=risk,
        now=now,
    )
    return HttpResponse(
        feed,
        content_type="text/calendar; charset=utf-8",
        headers={
            **private_headers(etag),
            "Content-Disposition": 'inline; filename="planting-calendar.ics"',
        },
    )


def own_plan(request: Request, pk: Any) -> Plan:
    """The signed-in person's plan (without its free-form data), or 404."""
    plan = plan_get(owner=signed_in_user(request), plan_id=pk, defer=("data",))
    if plan is None:
        raise PlanNotFound()
    return plan


class GardenActions:
    """Mixed into ``PlanViewSet``."""

    @extend_schema(
        operation_id="plans_beds_sun",
        summary="Each bed's hours of sun",
        description=(
            "For each of the plan's beds, read from the cached sun raster of the plan's site: its area, "
            "how many 1 m cells it averages, and the hours of direct sun a day per month (mean over its "
            "cells, least and most sunny cell, the light category of the mean), over the growing season "
            "(from the median last spring frost to the median first fall frost of the plan's climate "
            "summary; the whole year without frost; each month weighted by its days in it), over the "
            "year and, with `from` and `to`, over those months. 202 with a job while the sun or the "
            "climate summary is not cached. ETag over the sun, the climate summary and the beds."
        ),
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.INT, description="First month of a period, 1-12 (with `to`)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.INT, description="Last month, 1-12; before `from` runs over the new year."
            ),
        ],
        responses={200: BedsSunSerializer, 400: ErrorSerializer, **GARDEN_RESPONSES},
    )
    @action(detail=True, methods=["get"], url_path="beds/sun", pagination_class=None, filter_backends=[])
    def beds_sun(self, request: Request, pk: str | None = None) -> Response:
        plan = own_plan(request, pk)
        period = _period(request)
        query = f"?from={period[0]}&to={period[1]}" if period else ""
        data = plan_data(request, plan, result_url=f"/api/v1/plans/{plan.pk}/beds/sun/{query}", with_sun=True)
        if not isinstance(data, PlanData):
            return data
        assert data.sun is not None and data.site is not None
        etag = plan_etag(
            BEDS_SUN_VERSION,
            data.sun.etag,
            data.climate_summary.etag,
            # Every change of the plan (its beds among them) moves updated_at.
            plan.updated_at.isoformat(),
            query,
        )
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged  # type: ignore[return-value]
        body = plan_beds_sun(
            beds=beds_parse(plan.beds),
            site=data.site,
            tiff=data.sun.raw(),
            climate_summary=data.climate_summary.json(),
            climate_url=data.climate_url,
            period=period,
        )
        return Response(body, headers=private_headers(etag))

    @extend_schema(
        operation_id="plans_recommendations",
        summary="The plants that fit each bed",
        description=(
            "For each bed, the catalogue's plants that fit its light (its mean hours of direct sun over "
            "the growing season, as `beds/sun/` gives it), the plan's USDA hardiness zone (perennials) "
            "and its frost-free season (tender crops' days to maturity), best first, each with its "
            'score and its reasons in words (docs/plants.md, "Recommendations"): the best `limit` '
            f"({DEFAULT_LIMIT} unless asked) of each bed, and how many fit in all. 202 with a job "
            "while the sun or the climate summary is not cached. "
            "ETag over the beds, the sun, the climate summary and the catalogue."
        ),
        parameters=[
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"At most this many plants per bed, 1-{MAX_LIMIT}; default {DEFAULT_LIMIT}.",
            )
        ],
        responses={200: RecommendationsSerializer, 400: ErrorSerializer, **GARDEN_RESPONSES},
    )
    @action(
        detail=True, methods=["get"], url_path="recommendations", pagination_class=None, filter_backends=[]
    )
    def recommendations(self, request: Request, pk: str | None = None) -> Response:
        plan = own_plan(request, pk)
        limit = _limit(request)
        query = f"?limit={limit}" if limit != DEFAULT_LIMIT else ""
        result_url = f"/api/v1/plans/{plan.pk}/recommendations/{query}"
        data = plan_data(request, plan, result_url=result_url, with_sun=True)
        if not isinstance(data, PlanData):
            return data
        assert data.sun is not None and data.site is not None
        etag = plan_etag(
            RECOMMENDATIONS_VERSION,
            data.sun.etag,
            data.climate_summary.etag,
            plan.updated_at.isoformat(),
            plant_catalogue_etag(),
            query,
        )
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged  # type: ignore[return-value]
        body = plan_recommendations(
            beds=beds_parse(plan.beds),
            site=data.site,
            tiff=data.sun.raw(),
            climate_summary=data.climate_summary.json(),
            climate_url=data.climate_url,
            catalogue=plant_list(),
            limit=limit,
        )
        return Response(body, headers=private_headers(etag))

    @extend_schema(
        operation_id="plans_calendar",
        summary="The planting calendar of the plants in the beds",
        description=(
            "For every catalogue plant in the plan's beds, its dated windows (start indoors, plant out, "
            "sow outdoors, harvest, fall sowing and its harvest: those its data supports) for this year "
            "and the next in the plan's time zone, from the climate summary's frost dates at `risk`. "
            "Where there is no spring frost at that risk the spring windows count from mid-February "
            "(mid-August in the south) and the notes say so (docs/plants.md). 202 with a job while the "
            "climate summary is not cached. The same as iCalendar: `plans/{id}/calendar.ics`."
        ),
        parameters=[RISK_PARAMETER],
        responses={200: PlanCalendarSerializer, 400: ErrorSerializer, **GARDEN_RESPONSES},
    )
    @action(detail=True, methods=["get"], url_path="calendar", pagination_class=None, filter_backends=[])
    def calendar(self, request: Request, pk: str | None = None) -> Response:
        plan = own_plan(request, pk)
        risk = _risk(request)
        query = f"?risk={risk}" if risk != planting.DEFAULT_RISK else ""
        data = plan_data(
            request, plan, result_url=f"/api/v1/plans/{plan.pk}/calendar/{query}", with_sun=False
        )
        if not isinstance(data, PlanData):
            return data
        summary = data.climate_summary.json()
        zone = planting.plan_zone(plan_timezone=plan.timezone, climate_summary=summary)
        now = planting.clock()
        etag = plan_etag(
            CALENDAR_VERSION,
            data.climate_summary.etag,
            plan.updated_at.isoformat(),
            plant_catalogue_etag(),
            str(risk),
            now.astimezone(zone).date().isoformat(),
        )
        if (unchanged := not_modified(request, etag)) is not None:
            return unchanged  # type: ignore[return-value]
        body = planting.plan_calendar(
            beds=beds_parse(plan.beds),
            catalogue=plant_list(),
            climate_summary=summary,
            climate_url=data.climate_url,
            zone=zone,
            risk=risk,
            now=now,
        )
        return Response(body, headers=private_headers(etag))

    @extend_schema(
        methods=["GET"],
        operation_id="plans_calendar_link_get",
        summary="When the plan's calendar subscription link was made",
        description=(
            "404 when the plan has none. The link itself is shown once, when it is made (`POST`); only "
            "its hash is kept."
        ),
        request=None,
        responses={200: CalendarLinkSerializer, 404: ErrorSerializer},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="plans_calendar_link_create",
        summary="Make (or make anew) the plan's calendar subscription link",
        description=(
            "An unguessable link to the plan's planting calendar as iCalendar "
            "(`GET /api/v1/calendar/{token}.ics`), for a calendar app to subscribe to without signing "
            "in. Asking again makes a new link and the old one stops working. The token is shown only "
            "in this answer."
        ),
        request=None,
        responses={201: CalendarLinkCreatedSerializer, 404: ErrorSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="plans_calendar_link_delete",
        summary="Revoke the plan's calendar subscription link",
        description="The link stops working at once (404). Nothing to revoke is fine too.",
        request=None,
        responses={204: None, 404: ErrorSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post", "delete"],
        url_path="calendar/link",
        pagination_class=None,
        filter_backends=[],
    )
    def calendar_link(self, request: Request, pk: str | None = None) -> Response:
        plan = own_plan(request, pk)
        headers = {"Cache-Control": "no-store"}
        if request.method == "POST":
            link, token = calendar_link_rotate(plan=plan)
            path = f"/api/v1/calendar/{token}.ics"
            body = {"url": request.build_absolute_uri(path), "path": path, "created_at": link.created_at}
            return Response(CalendarLinkCreatedSerializer(body).data, status=201, headers=headers)
        if request.method == "DELETE":
            calendar_link_revoke(plan=plan)
            return Response(status=204, headers=headers)
        existing = calendar_link_get(plan=plan)
        if existing is None:
            raise NotFound(NO_LINK)
        return Response(CalendarLinkSerializer({"created_at": existing.created_at}).data, headers=headers)


class IgnoreAcceptNegotiation(BaseContentNegotiation):
    """Calendar apps ask for text/calendar; errors are JSON whatever they accept."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


ICS_RESPONSES = {
    (200, "text/calendar"): OpenApiResponse(
        OpenApiTypes.STR, description="An iCalendar (RFC 5545) feed: one all-day event per window."
    ),
    304: OpenApiResponse(description="Not modified (`If-None-Match` matched the ETag)."),
}


@extend_schema_view(
    get=extend_schema(
        operation_id="plans_calendar_ics",
        summary="The plan's planting calendar as iCalendar",
        description=(
            "The windows of `plans/{id}/calendar/` for this year and the next as an iCalendar feed "
            "(`text/calendar`): one all-day event per window, with UIDs that stay the same across "
            "fetches. For the plan's owner (session or token); for a calendar app, make a subscription "
            "link (`POST plans/{id}/calendar/link/`). 202 with a job while the climate summary is not "
            "cached."
        ),
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The plan's id."),
            RISK_PARAMETER,
        ],
        responses={**ICS_RESPONSES, 400: ErrorSerializer, **GARDEN_RESPONSES},
    )
)
class PlanCalendarFeedView(APIView):
    """``plans/{id}/calendar.ics``: the owner's feed."""

    content_negotiation_class = IgnoreAcceptNegotiation

    def get(self, request: Request, pk: str) -> HttpResponse | Response:
        plan = own_plan(request, pk)
        risk = _risk(request)
        query = f"?risk={risk}" if risk != planting.DEFAULT_RISK else ""
        return feed_response(
            request, plan, risk=risk, result_url=f"/api/v1/plans/{plan.pk}/calendar.ics{query}"
        )


FEED_NOT_FOUND = "No calendar at this link (it was revoked, or never made)."


@extend_schema_view(
    get=extend_schema(
        operation_id="calendar_subscription",
        summary="A plan's planting calendar through its subscription link",
        description=(
            "The feed of `plans/{id}/calendar.ics` without signing in, for calendar apps: the token is "
            "the secret. An unknown or revoked token is a 404 and tells nothing else. While the plan's "
            "climate summary is being fetched: 503 with `Retry-After` (calendar apps keep what they "
            "have and try again)."
        ),
        parameters=[RISK_PARAMETER],
        responses={
            **ICS_RESPONSES,
            400: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No calendar at this link."),
            503: OpenApiResponse(
                ErrorSerializer, description="Not ready yet; try again after `Retry-After`."
            ),
        },
    )
)
class CalendarSubscriptionView(APIView):
    """``calendar/{token}.ics``: a plan's feed by its subscription link, no sign-in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    content_negotiation_class = IgnoreAcceptNegotiation

    def get(self, request: Request, token: str) -> HttpResponse | Response:
        plan = calendar_link_plan(token=token)
        if plan is None:
            raise NotFound(FEED_NOT_FOUND)
        risk = _risk(request)
        # The job (if one is needed) is not this caller's to poll, and its record must not hold the
        # token: it names the climate summary it fills.
        summary_url = climate.summary_url(plan.latitude, plan.longitude)
        answer = feed_response(request, plan, risk=risk, result_url=summary_url)
        if answer.status_code in (202, 502):
            retry = answer.headers.get("Retry-After", "60") if answer.status_code == 202 else "600"
            raise ApplicationError(
                "The calendar is being prepared; try again in a minute.",
                code="not_ready",
                status_code=503,
                headers={"Retry-After": retry, "Cache-Control": "no-store"},
            )
        return answer
