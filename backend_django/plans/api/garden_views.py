"""A plan's garden answers: each bed's sun, the plants that fit, the planting calendar.

Actions of the plans viewset (``plans/{id}/...``), so they share its
authentication and its owner scoping: someone else's plan is a 404 like a
missing one. Each reads the plan's cached data (plan_data.py: 202 and a job
while it is missing) and answers with an ETag over what it was computed
from, ``Cache-Control: private, no-cache``.
"""

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from backend_django.core.api.schema import ErrorSerializer
from backend_django.plans.bed_sun import plan_beds_sun
from backend_django.plans.beds import beds_parse
from backend_django.plans.models import Plan
from backend_django.plans.recommendations import plan_recommendations
from backend_django.plans.selectors import plan_get
from backend_django.plans.services import PlanNotFound
from backend_django.plants.selectors import plant_catalogue_etag, plant_list
from backend_django.upstream.http.serializers import JobSerializer

from .garden_serializers import BedsSunSerializer, RecommendationsSerializer
from .plan_data import PlanData, not_modified, plan_data, plan_etag, private_headers

BEDS_SUN_VERSION = "beds-sun/1"
RECOMMENDATIONS_VERSION = "recommendations/1"
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


class GardenActions:
    """Mixed into ``PlanViewSet``."""

    request: Request

    def _own_plan(self, pk: Any) -> Plan:
        plan = plan_get(owner=self.request.user, plan_id=pk, defer=("data",))
        if plan is None:
            raise PlanNotFound()
        return plan

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
        plan = self._own_plan(pk)
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
        plan = self._own_plan(pk)
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
