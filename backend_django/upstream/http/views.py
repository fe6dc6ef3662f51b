"""Public data endpoints: each view parses its query, asks answers.py, renders the answer.

- fresh entry → 200, the stored bytes as stored, ``X-Cache: HIT``
- stale entry → 200 with the stale bytes, ``X-Cache: STALE``, refresh queued
- no entry    → 202 with the job resource, ``Location`` and ``Retry-After``;
  but a basemap tile, or a derived entry whose inputs are cached (a shadow, a
  box), is filled in the request: 200 with ``X-Cache: MISS``
- a definite upstream error remembered for the key → 502 with its message
"""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from redis import RedisError
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend_django.core.exceptions import ApplicationError, error_body
from backend_django.core.parsers import BoundedJSONParser

from ..jobs import liveness, records
from ..kinds import basemap, boxes, buildings, canopy, climate, places, sun
from ..kinds.canopy import grid
from ..kinds.sun import kind as sun_kind
from ..kinds.sun import shadow
from . import answers, range_proxy, responses
from .answers import Answer, EntryTarget
from .serializers import (
    BuildingsSerializer,
    ClimateSummarySerializer,
    ErrorSerializer,
    JobSerializer,
    OverpassQuerySerializer,
    PlaceReverseSerializer,
    PlaceSearchSerializer,
    SunPointSerializer,
    SunSummarySerializer,
)
from .throttles import client_of

logger = logging.getLogger(__name__)


class PublicDataView(APIView):
    """Public data: no authentication (no session or token lookup on a hit)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RedisError):
            logger.warning("data endpoint without Valkey: %s", exc)
            exc = responses.cache_unavailable()
        return super().handle_exception(exc)

    @staticmethod
    def render_uncached(answer: Answer) -> Response:
        if answer.state == "accepted":
            assert answer.job is not None, "an accepted answer has its job"
            return responses.job_accepted(answer.job)
        assert answer.refusal is not None, "a refused answer has its refusal"
        return responses.refused_response(answer.refusal)


class SingleEntryView(PublicDataView):
    """An endpoint answered by one stored body (climate, its summary, canopy).

    A cached answer takes a fast path: ``dispatch`` answers it from the plain
    Django request, skipping DRF's request wrapping and content negotiation,
    which cost as much as the rest of a hit. The entry comes from the
    process's tracked copy with no Valkey round trip, or else from one Lua
    call (store.lookup_counted). Misses and errors go through DRF as usual,
    reusing the target and the lookup the fast path already made.
    """

    def target(self, request: HttpRequest) -> EntryTarget:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "GET":
            target = lookup = answer = None
            try:
                target = self.target(request)
                lookup = answers.entry_lookup(target, client=client_of(request))
                answer = answers.cached_answer(target, lookup)
            except (ApplicationError, APIException, RedisError):
                pass  # DRF answers it, with the usual error shape
            if answer is not None:
                return self.render_entry(request, answer)
            # Handed to get() on the request itself (DRF's Request reads its attributes).
            request._data_target, request._data_lookup = target, lookup  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def render_entry(self, request: HttpRequest, answer: Answer) -> HttpResponse:
        """A cached answer: the stored bytes as stored (a view may answer from them instead)."""
        return responses.entry_response(request, answer)

    # For a derived target: builds it from inputs already cached (answers.entry_answer).
    build: Callable[[str], list[str]] | None = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        client = client_of(request)
        target = getattr(request, "_data_target", None) or self.target(request)
        lookup = getattr(request, "_data_lookup", None) or answers.entry_lookup(target, client=client)
        answer = answers.entry_answer(target, lookup, client=client, build=self.build)
        if answer.state in ("fresh", "stale"):
            return self.render_entry(request, answer)
        return self.render_uncached(answer)


POINT_PARAMETERS = [
    OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="Latitude, -90 to 90."),
    OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="Longitude, -180 to 180."),
]
DATA_RESPONSES = {
    202: OpenApiResponse(JobSerializer, description="Not cached yet: poll the job at `Location`."),
    304: OpenApiResponse(description="Not modified (`If-None-Match` matched the ETag)."),
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; nothing reached the upstream."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests from this client."),
    502: OpenApiResponse(ErrorSerializer, description="The upstream rejected this request recently."),
    503: OpenApiResponse(ErrorSerializer, description="The fetch could not be queued."),
}


@extend_schema_view(
    get=extend_schema(
        summary="Daily temperatures of 30 years (Open-Meteo archive body)",
        description=(
            "The Open-Meteo archive answer for the point snapped to the 0.1° grid: "
            "daily maximum and minimum temperature for 30 full years plus the current year to date."
        ),
        parameters=POINT_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Open-Meteo body."),
            **DATA_RESPONSES,
        },
    )
)
class ClimateView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        lat, lng = responses.parse_point(request)
        unit = climate.unit_for(lat, lng)
        return EntryTarget("climate", unit, unit, climate.data_url(lat, lng))


@extend_schema_view(
    get=extend_schema(
        summary="Frost dates, monthly normals and growing season",
        description=(
            "Computed by the worker from the 30 years of daily temperatures of the point snapped to "
            "the 0.1° grid, and stored beside them: last spring and first fall frost (median, 10th "
            "and 90th percentile day of year), growing season length and monthly normals."
        ),
        parameters=POINT_PARAMETERS,
        responses={200: ClimateSummarySerializer, **DATA_RESPONSES},
    )
)
class ClimateSummaryView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        lat, lng = responses.parse_point(request)
        unit = climate.unit_for(lat, lng)
        return EntryTarget("climate_summary", climate.summary_unit(unit), unit, climate.summary_url(lat, lng))


@extend_schema_view(
    get=extend_schema(
        operation_id="canopy_window",
        summary="Canopy heights around a point (GeoTIFF window)",
        description=(
            "A small GeoTIFF of tree canopy heights (uint8 metres, EPSG:3857, deflate, nodata 255 = "
            "no source tile) reaching at least `CANOPY_WINDOW_DEGREES` (0.003°) around the point. "
            "The point is snapped to a fixed grid of blocks (1024 per zoom-9 tile side), so every "
            "point of a block gets the same window; `result_url` names the block's centre."
        ),
        parameters=POINT_PARAMETERS,
        responses={
            (200, "image/tiff"): OpenApiResponse(OpenApiTypes.BINARY, description="GeoTIFF window."),
            **DATA_RESPONSES,
        },
    )
)
class CanopyView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        lat, lng = responses.parse_point(request)
        unit = grid.unit_for(lat, lng)
        return EntryTarget("canopy", unit, unit, canopy.data_url(lat, lng))


@extend_schema_view(
    get=extend_schema(
        operation_id="places_search",
        summary="Find places by name or address",
        description=(
            "Places matching `q` (a town, an address, a landmark), best first, from the geocoder "
            "(OpenStreetMap Nominatim unless the deployment says otherwise) through the cache. The "
            "query is normalised for the cache (Unicode NFKC, case-folded, spaces tidied), so "
            "spellings that differ only so share one answer, kept 30 days. The geocoder is asked one "
            "request at a time, at most one a second for the whole deployment: search when a person "
            "submits, never per keystroke. Show `attribution` with the results."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                required=True,
                description=f"What to look for; at most {places.MAX_QUERY_LENGTH} characters.",
            )
        ],
        responses={200: PlaceSearchSerializer, **DATA_RESPONSES},
    )
)
class PlacesView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        query = places.parse_query(responses.query_values(request, ("q",)).get("q"))
        unit = places.search_unit(query)
        return EntryTarget("places", unit, unit, places.search_result_url(query))


@extend_schema_view(
    get=extend_schema(
        operation_id="places_reverse",
        summary="The address at a point",
        description=(
            "The place or address the geocoder gives for the point rounded to 4 decimals (about "
            "11 m), through the cache like a search; `place` is null where there is none."
        ),
        parameters=POINT_PARAMETERS,
        responses={200: PlaceReverseSerializer, **DATA_RESPONSES},
    )
)
class PlaceReverseView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        lat, lng = responses.parse_point(request)
        unit = places.reverse_unit(lat, lng)
        return EntryTarget("places_reverse", unit, unit, places.reverse_result_url(lat, lng))


SUN_PARAMETERS = [
    OpenApiParameter(
        "lat",
        OpenApiTypes.DOUBLE,
        required=True,
        description="Latitude, -85 to 85 (sun and shade stop there).",
    ),
    OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="Longitude, -180 to 180."),
]
SUN_SITE = (
    "The point is snapped to a site on the `SUN_SITE_GRID_DEGREES` grid (0.0005°), whose square of "
    "`SUN_SIZE_M` (100 m) in cells of `SUN_CELL_M` (1 m) holds every point that snaps to it; "
    "`result_url` names the site. Computed by a worker from the cached buildings and canopy around the "
    "site (fetched first when missing), fresh as long as they are and recomputed when they change "
    "(docs/sun.md)."
)


def _sun_site(request: HttpRequest) -> tuple[float, float, sun.Site]:
    lat, lng = responses.parse_point(request)
    return lat, lng, sun.site_snap(lat=lat, lng=lng)


@extend_schema_view(
    get=extend_schema(
        operation_id="sun_raster",
        summary="Hours of direct sun around a site, month by month (GeoTIFF)",
        description=(
            "A 12-band GeoTIFF (January first) in EPSG:4326 over the site's square: uint8 tenths of an "
            "hour of direct sun per day on each month's representative day (scale 0.1, nodata 255), "
            "deflate, pixel-interleaved. " + SUN_SITE
        ),
        parameters=SUN_PARAMETERS,
        responses={
            (200, "image/tiff"): OpenApiResponse(OpenApiTypes.BINARY, description="12-band GeoTIFF."),
            **DATA_RESPONSES,
        },
    )
)
class SunView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        unit = _sun_site(request)[2].unit
        return EntryTarget("sun", unit, unit, sun_kind.data_url("sun/", unit))


@extend_schema_view(
    get=extend_schema(
        operation_id="sun_summary",
        summary="Sun and shade of a site: hours per month and light categories",
        description=(
            "Per month the hours of direct sun over the ground of the site's square (outside building "
            "footprints): mean, least, most, and the shares in each light category (full sun 6 h or "
            "more, part sun 4-6, part shade 2-4, shade under 2); the parameters, the inputs' ETags and "
            "the time zone it was computed with. " + SUN_SITE
        ),
        parameters=SUN_PARAMETERS,
        responses={200: SunSummarySerializer, **DATA_RESPONSES},
    )
)
class SunSummaryView(SingleEntryView):
    def target(self, request: HttpRequest) -> EntryTarget:
        unit = _sun_site(request)[2].unit
        return EntryTarget(
            "sun_summary",
            sun_kind.summary_unit(unit),
            unit,
            sun_kind.data_url("sun/summary/", unit),
            job_kind="sun",
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="sun_point",
        summary="Hours of direct sun at one spot, month by month",
        description=(
            "Read from the site's cached raster (`sun/`): the hours of direct sun per day at the spot "
            "for each month and their light category, and whether the spot is on a roof (its hours "
            "are then the roof's). The point is rounded to 6 decimals. " + SUN_SITE
        ),
        parameters=SUN_PARAMETERS,
        responses={200: SunPointSerializer, **DATA_RESPONSES},
    )
)
class SunPointView(SingleEntryView):
    @staticmethod
    def point(request: HttpRequest) -> tuple[float, float, sun.Site]:
        lat, lng, site = _sun_site(request)
        return round(lat, 6) + 0.0, round(lng, 6) + 0.0, site

    def target(self, request: HttpRequest) -> EntryTarget:
        lat, lng, site = self.point(request)
        result_url = f"/api/v1/sun/point/?lat={lat:.6f}&lng={lng:.6f}"
        return EntryTarget("sun_point", site.unit, site.unit, result_url, job_kind="sun")

    def render_entry(self, request: HttpRequest, answer: Answer) -> HttpResponse:
        lat, lng, site = self.point(request)
        headers = responses.cache_headers(answer)
        headers["ETag"] = (
            '"' + hashlib.blake2b(f"{answer.etag}{lat!r},{lng!r}".encode(), digest_size=16).hexdigest() + '"'
        )
        if responses.etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), headers["ETag"]):
            return responses.not_modified(headers)
        assert answer.entry is not None, "a fresh or stale answer of one entry"
        tiff = answer.entry.raw()
        hours = sun.sun_point_read(tiff=tiff, lat=lat, lng=lng) or [None] * 12
        body = {
            "latitude": lat,
            "longitude": lng,
            "site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit},
            "months": [
                {
                    "month": month,
                    "hours": value,
                    "light": None if value is None else sun.light_category(value),
                }
                for month, value in enumerate(hours, start=1)
            ],
            "roof": bool(sun.sun_roof_read(tiff=tiff, lat=lat, lng=lng)),
        }
        return HttpResponse(
            json.dumps(body, separators=(",", ":")), content_type="application/json", headers=headers
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="sun_shadow",
        summary="Where the shade lies at one moment over a site's square (PNG)",
        description=(
            "The site's square (the same as `sun/`'s raster, `X-Site-Bounds`: west,south,east,north) as "
            "a PNG, a cell dark where it is in shade at `at` (ISO 8601 with its offset, rounded to the "
            "model's 15-minute step) and transparent where the sun reaches it; all dark while the sun "
            "is below the horizon. `X-Sun-Azimuth` and `X-Sun-Altitude` give the sun's position "
            "(degrees) at that moment. Drawn from the cached buildings and canopy around the site "
            "(fetched first when missing). " + SUN_SITE
        ),
        parameters=[
            *SUN_PARAMETERS,
            OpenApiParameter(
                "at", OpenApiTypes.DATETIME, required=True, description="The moment, with its offset."
            ),
        ],
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The shade, as a PNG."),
            **DATA_RESPONSES,
        },
    )
)
class SunShadowView(SingleEntryView):
    build = staticmethod(shadow.build_now)

    @staticmethod
    def moment(request: HttpRequest) -> tuple[sun.Site, datetime]:
        site = _sun_site(request)[2]
        at = responses.query_values(request, ("at",)).get("at")
        return site, shadow.parse_instant(at, settings.SUN_STEP_MINUTES)

    def target(self, request: HttpRequest) -> EntryTarget:
        unit = shadow.unit_for(*self.moment(request))
        return EntryTarget("sun_shadow", unit, unit, shadow.data_url(unit), job_kind="sun")

    def render_entry(self, request: HttpRequest, answer: Answer) -> HttpResponse:
        response = super().render_entry(request, answer)
        site, instant = self.moment(request)
        azimuth, altitude = shadow.sun_position(site.lat, site.lng, instant)
        response["X-Sun-Azimuth"] = f"{azimuth:.1f}"
        response["X-Sun-Altitude"] = f"{altitude:.1f}"
        response["X-Site-Bounds"] = ",".join(f"{value:.7f}" for value in shadow.bounds(site))
        response["X-Shadow-At"] = shadow.clock_text(instant)
        return response


@extend_schema_view(
    get=extend_schema(
        operation_id="canopy_tile_range",
        summary="Byte ranges of a source canopy tile (for geotiff.js fromUrl)",
        description=(
            "A Range proxy of `{CANOPY_URL}/{quadkey}.tif` (9 digits 0-3). Send one "
            "`Range: bytes=a-b` (or `a-`, `-n`) of at most CANOPY_MAX_RANGE_BYTES: the answer is "
            "206 with `Content-Range`, built from blocks cached for a year. HEAD gives the size, "
            "ETag and `Accept-Ranges`. Without Range, a tile larger than the cap is refused (400); "
            "several ranges, too long or unsatisfiable ranges get 416 with `Content-Range: bytes */size`."
        ),
        parameters=[
            OpenApiParameter("quadkey", OpenApiTypes.STR, OpenApiParameter.PATH, description="9 digits 0-3."),
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, description="bytes=a-b"),
        ],
        responses={
            (200, "image/tiff"): OpenApiResponse(OpenApiTypes.BINARY, description="A small tile, whole."),
            (206, "image/tiff"): OpenApiResponse(OpenApiTypes.BINARY, description="The asked bytes."),
            400: OpenApiResponse(ErrorSerializer, description="Bad quadkey, or no Range on a large tile."),
            404: OpenApiResponse(ErrorSerializer, description="The bucket has no such tile."),
            416: OpenApiResponse(ErrorSerializer, description="Several, too long or unsatisfiable ranges."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests from this client."),
            502: OpenApiResponse(ErrorSerializer, description="The bucket failed (5xx)."),
            503: OpenApiResponse(
                ErrorSerializer,
                description="Too many S3 requests at once, or the bucket is down; retry after Retry-After.",
            ),
            504: OpenApiResponse(ErrorSerializer, description="The bucket did not answer in time."),
        },
    )
)
class CanopyTileView(PublicDataView):
    """Byte ranges of a source canopy tile, for geotiff.js ``fromUrl`` and the like."""

    def answer(self, request: Request, quadkey: str, *, head: bool) -> HttpResponse:
        answer = range_proxy.serve(
            quadkey, head=head, range_header=request.META.get("HTTP_RANGE"), client=client_of(request)
        )
        if answer.error is not None:
            return Response(error_body(*answer.error), status=answer.status, headers=answer.headers)
        response = HttpResponse(
            answer.body, content_type="image/tiff", status=answer.status, headers=answer.headers
        )
        response["Content-Length"] = str(answer.content_length if head else len(answer.body))
        return response

    def get(self, request: Request, quadkey: str) -> HttpResponse:
        return self.answer(request, quadkey, head=False)

    def head(self, request: Request, quadkey: str) -> HttpResponse:
        return self.answer(request, quadkey, head=True)


class CellsView(PublicDataView):
    """Buildings in a box, assembled from the grid cells it touches."""

    endpoint = "buildings"

    def cells_response(
        self,
        request: HttpRequest,
        bbox: buildings.BBox,
        result_url: str,
        render: Callable[[list[dict]], dict],
    ) -> HttpResponse:
        units = [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(*bbox)]
        answer = answers.cells_answer(
            endpoint=self.endpoint, units=units, result_url=result_url, client=client_of(request)
        )
        if answer.state not in ("fresh", "stale"):
            return self.render_uncached(answer)
        headers = responses.cache_headers(answer)
        if responses.etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), answer.etag):
            return responses.not_modified(headers)
        return Response(render([entry.json() for entry in answer.entries]), headers=headers)


@extend_schema_view(
    get=extend_schema(
        summary="Building footprints with heights in a box (GeoJSON)",
        description=(
            "Footprints from OpenStreetMap in `bbox`, one feature per way, clipped to the box. "
            "Heights come from the `height` tag, else `building:levels` x 3 m, else a default."
        ),
        parameters=[
            OpenApiParameter(
                "bbox",
                OpenApiTypes.STR,
                required=True,
                description="south,west,north,east in degrees; area at most BUILDINGS_MAX_BBOX_AREA deg².",
            )
        ],
        responses={200: BuildingsSerializer, **DATA_RESPONSES},
    )
)
class BuildingsView(SingleEntryView):
    """A box's GeoJSON, stored once as its own entry (kinds/boxes.py) and sent as stored."""

    build = staticmethod(boxes.build_now)

    def target(self, request: HttpRequest) -> EntryTarget:
        bbox = buildings.parse_bbox(responses.query_values(request, ("bbox",)).get("bbox"))
        unit = boxes.box_unit(bbox)
        return EntryTarget("buildings", unit, unit, buildings.box_url(bbox))


class OverpassQueryParser(BoundedJSONParser):
    """A JSON ``{"query": ...}`` body: a few hundred bytes, capped at 8 KiB."""

    def max_bytes(self) -> int:
        return 8192


@extend_schema_view(
    get=extend_schema(
        summary="Drop-in Overpass interpreter (GET form)",
        parameters=[OpenApiParameter("data", OpenApiTypes.STR, required=True, description="The query.")],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Overpass JSON."), **DATA_RESPONSES},
    ),
    post=extend_schema(
        summary="Drop-in Overpass interpreter for the building-in-a-box query",
        description=(
            "Accepts only `" + buildings.ACCEPTED_QUERY_SHAPE + "` (as JSON `query` or form field `data`) "
            "and answers in Overpass JSON from the same cache as `buildings/`. Any other query is "
            "refused with 400."
        ),
        request=OverpassQuerySerializer,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Overpass JSON."), **DATA_RESPONSES},
    ),
)
class OverpassView(CellsView):
    """Overpass clients can point here: GET ``?data=`` or POST ``data``/``query``."""

    # Form posts are bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE; no file uploads.
    parser_classes = [OverpassQueryParser, FormParser]

    def answer(self, request: Request, query: object) -> HttpResponse:
        bbox = buildings.parse_overpass_query(query)
        result_url = "/api/v1/overpass/?" + urlencode({"data": buildings.overpass_query_for(bbox)})

        def render(payloads: list[dict]) -> dict:
            osm_base = max((payload.get("osm_base") or "" for payload in payloads), default="") or None
            return buildings.overpass_body(payloads, bbox, osm_base)

        return self.cells_response(request, bbox, result_url, render)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.answer(request, request.query_params.get("data"))

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        data = request.data if hasattr(request.data, "get") else {}
        return self.answer(request, data.get("query", data.get("data")))


TILE_PARAMETERS = [
    OpenApiParameter(
        "z", OpenApiTypes.INT, OpenApiParameter.PATH, description="Zoom, 0 to BASEMAP_MAX_ZOOM (19)."
    ),
    OpenApiParameter("x", OpenApiTypes.INT, OpenApiParameter.PATH, description="Column, 0 to 2^z - 1."),
    OpenApiParameter(
        "y", OpenApiTypes.INT, OpenApiParameter.PATH, description="Row, 0 to 2^z - 1 (north first)."
    ),
]


@extend_schema_view(
    get=extend_schema(
        operation_id="basemap_tile",
        summary="A map tile (raster XYZ, Web Mercator) through the cache",
        description=(
            "The tile from the deployment's tile server (`BASEMAP_URL`), cached as long as that server "
            "says. A tile not cached yet is fetched in this request (never a job: a map asks for "
            "dozens at once): the answer comes after the tile server's own time, or after at most "
            "BASEMAP_MISS_WAIT_SECONDS (5 s) a 503 with Retry-After. Show `attribution` from `tiles/` "
            "with the map."
        ),
        parameters=TILE_PARAMETERS,
        responses={
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The tile image."),
            304: OpenApiResponse(description="Not modified (`If-None-Match` matched the ETag)."),
            400: OpenApiResponse(ErrorSerializer, description="z, x or y outside the tile grid."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests from this client."),
            502: OpenApiResponse(ErrorSerializer, description="The tile server refused this tile recently."),
            503: OpenApiResponse(
                ErrorSerializer, description="The tile server is down or slow; retry after Retry-After."
            ),
        },
    )
)
class TileView(SingleEntryView):
    """Basemap tiles: a hit like any entry; a miss filled in the request (kinds/basemap.py)."""

    def target(self, request: HttpRequest) -> EntryTarget:
        z, x, y = basemap.parse_tile(self.kwargs.get("z"), self.kwargs.get("x"), self.kwargs.get("y"))
        unit = basemap.unit_for(z, x, y)
        return EntryTarget("tiles", unit, unit, basemap.data_url(z, x, y))

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        client = client_of(request)
        target = getattr(request, "_data_target", None) or self.target(request)
        lookup = getattr(request, "_data_lookup", None) or answers.entry_lookup(target, client=client)
        answer = answers.cached_answer(target, lookup) or answers.filled_answer(
            target, client=client, wait=settings.BASEMAP_MISS_WAIT_SECONDS
        )
        if answer.state in ("fresh", "stale"):
            return self.render_entry(request, answer)
        return self.render_uncached(answer)


class TileJSONSerializer(serializers.Serializer):
    tilejson = serializers.CharField()
    name = serializers.CharField()
    tiles = serializers.ListField(child=serializers.CharField(), help_text="The tile URL template.")
    minzoom = serializers.IntegerField()
    maxzoom = serializers.IntegerField()
    attribution = serializers.CharField(help_text="Show it with the map, always (the tile provider's terms).")
    scheme = serializers.CharField()


@extend_schema_view(
    get=extend_schema(
        operation_id="basemap_tilejson",
        summary="The basemap as TileJSON 3.0.0 (tile URL template, zooms, attribution)",
        responses={200: TileJSONSerializer},
    )
)
class TileJSONView(PublicDataView):
    def get(self, request: Request) -> Response:
        template = request.build_absolute_uri("/api/v1/tiles/") + "{z}/{x}/{y}.png"
        body = {
            "tilejson": "3.0.0",
            "name": "Basemap",
            "tiles": [template],
            "minzoom": 0,
            "maxzoom": settings.BASEMAP_MAX_ZOOM,
            "attribution": settings.BASEMAP_ATTRIBUTION,
            "scheme": "xyz",
        }
        return Response(body, headers={"Cache-Control": "public, max-age=3600"})


@extend_schema_view(
    get=extend_schema(
        summary="The state of a fetch job",
        responses={200: JobSerializer, 404: OpenApiResponse(ErrorSerializer, description="Unknown job.")},
    )
)
class JobView(PublicDataView):
    def get(self, request: Request, job_id: str) -> Response:
        job = records.job_get(job_id)
        if job is None:
            raise ApplicationError(f"No job with id '{job_id[:64]}'.", code="not_found", status_code=404)
        if not job.finished:
            job = liveness.reclaim_if_stale(job)  # its worker may have died
        headers = {"Cache-Control": "no-store"}
        if not job.finished:
            headers["Retry-After"] = str(job.poll_after())
        return Response(job.as_resource(), headers=headers)
