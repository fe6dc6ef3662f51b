"""The plant catalogue over HTTP: read-only, shared by everyone signed in, cacheable.

Every answer carries the catalogue's ETag and ``Cache-Control: private``: a
browser may keep it CACHE_SECONDS and then revalidate with
``If-None-Match`` (304 while the catalogue is unchanged). Private, because
the API answers only people signed in.
"""

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from backend_django.core.api.schema import ErrorSerializer
from backend_django.plans.api.pagination import PlanPagination
from backend_django.plants.filters import PlantFilter
from backend_django.plants.models import Plant
from backend_django.plants.selectors import plant_catalogue_etag, plant_get, plant_list

from .serializers import PlantSerializer

CACHE_SECONDS = 600
NOT_MODIFIED = OpenApiResponse(description="Not modified: the `ETag` sent in `If-None-Match` is current.")


def _not_modified(request: Request, etag: str) -> HttpResponseBase | None:
    """304 when the client's ``If-None-Match`` holds the current ETag, else None."""
    response = get_conditional_response(request._request, etag=etag)
    return None if response is None else _cacheable(response, etag)


def _cacheable(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return response


@extend_schema_view(
    list=extend_schema(
        summary="The plant catalogue",
        description=(
            "Plants by common name, paginated. Filters: `light`, `kind`, `zone` (perennials that "
            "survive that zone's winters, and every annual) and `q` (part of the common or "
            "botanical name). Sends an `ETag`; `If-None-Match` with it → 304 while the catalogue "
            "is unchanged."
        ),
        responses={200: PlantSerializer(many=True), 304: NOT_MODIFIED, 400: ErrorSerializer},
    ),
    retrieve=extend_schema(
        summary="One plant of the catalogue",
        description="Sends the catalogue's `ETag`; `If-None-Match` with it → 304.",
        responses={200: PlantSerializer, 304: NOT_MODIFIED, 404: ErrorSerializer},
    ),
)
class PlantViewSet(viewsets.ReadOnlyModelViewSet):
    """The catalogue of plants a garden can grow; the admin edits it."""

    serializer_class = PlantSerializer
    pagination_class = PlanPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlantFilter
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = Plant.objects.none()  # for schema generation; requests use get_queryset()

    def get_queryset(self):
        return plant_list()

    # DRF sends whatever HttpResponseBase a handler returns (a 304 here); the stubs want a Response.
    def list(self, request: Request, *args, **kwargs) -> HttpResponseBase:  # type: ignore[override]
        # Filters first: a bad value is a 400 whatever the client holds.
        queryset = self.filter_queryset(self.get_queryset())
        etag = plant_catalogue_etag()
        if (not_modified := _not_modified(request, etag)) is not None:
            return not_modified
        page = self.paginate_queryset(queryset)
        return _cacheable(self.get_paginated_response(self.get_serializer(page, many=True).data), etag)

    def retrieve(self, request: Request, pk: str | None = None, *args, **kwargs) -> HttpResponseBase:  # type: ignore[override]
        plant = plant_get(plant_id=pk)
        if plant is None:
            raise NotFound("No plant with this id.")
        etag = plant_catalogue_etag()
        if (not_modified := _not_modified(request, etag)) is not None:
            return not_modified
        return _cacheable(Response(self.get_serializer(plant).data), etag)
