"""Public data endpoints: answered from the cache, or with a job to poll.

- fresh entry → 200, the stored bytes as stored, ``X-Cache: HIT``
- stale entry → 200 with the stale bytes, ``X-Cache: STALE``, refresh queued
- no entry    → 202 with the job resource, ``Location`` and ``Retry-After``
- a definite upstream error remembered for the key → 502 with its message
"""

import hashlib
import logging
import math
import time
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from redis import RedisError
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend_django.core.exceptions import ApplicationError, error_body
from backend_django.core.parsers import BoundedJSONParser
from backend_django.core.valkey import get_valkey

from .. import buildings, canopy, climate, jobs, store
from ..clients.http import UpstreamError
from .serializers import (
    BuildingsSerializer,
    ClimateSummarySerializer,
    ErrorSerializer,
    JobSerializer,
    OverpassQuerySerializer,
)
from .throttles import climate_daily_throttle, fetch_throttle, read_throttle

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1


def query_values(request, names: tuple[str, ...]) -> dict[str, str]:
    """The first value of each of ``names`` in the query string.

    Reads QUERY_STRING directly: building Django's QueryDict costs more than
    the rest of a cache hit's Python work.
    """
    found: dict[str, str] = {}
    for part in request.META.get("QUERY_STRING", "").split("&"):
        key, _, value = part.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key in names and key not in found:
            found[key] = unquote_plus(value) if ("%" in value or "+" in value) else value
    return found


def parse_point(request) -> tuple[float, float]:
    """Validated ``lat`` and ``lng`` query parameters (of a Django or DRF request)."""
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


def accepts_gzip(request) -> bool:
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


def cache_headers(*, etag: str, state: str, fresh_until: float) -> dict[str, str]:
    seconds_left = max(0, int(fresh_until - time.time())) if state == "fresh" else 0
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={seconds_left}",
        "X-Cache": "HIT" if state == "fresh" else "STALE",
        "Vary": "Accept-Encoding",
    }


def cache_unavailable() -> ApplicationError:
    return ApplicationError(
        "The data cache is unavailable right now; try again shortly.",
        code="cache_unavailable",
        status_code=503,
    )


def not_modified(headers: dict[str, str]) -> HttpResponse:
    response = HttpResponseNotModified()
    for name, value in headers.items():
        response[name] = value
    return response


def job_accepted(started: jobs.StartedJob) -> Response:
    job = started.job
    return Response(
        job.as_resource(),
        status=202,
        headers={
            "Location": f"/api/v1/jobs/{job.id}/",
            "Retry-After": str(RETRY_AFTER_SECONDS),
            "Cache-Control": "no-store",
        },
    )


def remembered_error_response(error: dict) -> Response:
    return Response(
        error_body(error["code"], f"{error['message']} (remembered for a few minutes)"),
        status=502,
        headers={"Cache-Control": "no-store", "Retry-After": "600"},
    )


class PublicDataView(APIView):
    """Public data: no authentication (no session or token lookup on a hit)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def handle_exception(self, exc):
        if isinstance(exc, RedisError):
            logger.warning("data endpoint without Valkey: %s", exc)
            exc = cache_unavailable()
        return super().handle_exception(exc)

    def start_fetch(self, request, *, kind: str, units: list[str], result_url: str, missing: list[str]):
        """The answer to a miss: a remembered error, or a job (new or joined)."""
        for unit in missing:
            remembered = store.remembered_error(unit)
            if remembered is not None:
                return remembered_error_response(remembered)
        fetch_throttle().consume(request)
        if any(unit.startswith("climate:") for unit in units):
            climate_daily_throttle().consume(request)
        try:
            started = jobs.job_start(kind=kind, units=units, result_url=result_url)
        except Exception as exc:
            raise ApplicationError(
                "The data is not cached and no fetch could be queued; try again shortly.",
                code="queue_unavailable",
                status_code=503,
            ) from exc
        store.count(kind, "misses")
        return job_accepted(started)

    def refresh_in_background(self, *, kind: str, units: list[str], result_url: str) -> None:
        try:
            if not store.refresh_allowed(units):
                return  # the upstream refused or failed this a moment ago
            jobs.job_start(kind=kind, units=units, result_url=result_url)
        except Exception:  # a stale answer is still an answer
            logger.warning("could not queue a refresh of %s", units, exc_info=True)


class SingleEntryView(PublicDataView):
    """An endpoint answered by one stored body (climate, its summary, canopy).

    A cached answer takes a fast path: ``dispatch`` answers it from the plain
    Django request, skipping DRF's request wrapping and content negotiation,
    which cost as much as the rest of a hit. The entry comes from the
    process's tracked copy with no Valkey round trip, or else from one Lua
    call (store.lookup_counted). Misses and errors go through DRF as usual,
    reusing the lookup the fast path already made.
    """

    kind = ""

    def units(self, request) -> tuple[str, str, str]:
        """(unit to read, unit to fill on a miss, canonical result URL)."""
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET":
            try:
                response = self.cached_response(request)
            except (ApplicationError, APIException, RedisError):
                response = None  # DRF answers it, with the usual error shape
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def cached_response(self, request) -> HttpResponse | None:
        """The answer from the cache (at most one Valkey round trip), or None on a miss."""
        read_unit, fill_unit, result_url = self.units(request)
        lookup = getattr(request, "_cache_lookup", None)
        if lookup is None:
            throttle = read_throttle()
            entry, count = store.lookup_counted(
                read_unit, kind=self.kind, counter_key=throttle.key(request), counter_ttl=throttle.period + 1
            )
            lookup = request._cache_lookup = (entry, count, throttle)
        entry, count, throttle = lookup
        throttle.check(count)

        state = entry.state() if entry is not None else "missing"
        if state == "missing":
            return None
        if state == "stale":
            store.count(self.kind, "stale")
            self.refresh_in_background(kind=self.kind, units=[fill_unit], result_url=result_url)

        headers = cache_headers(etag=entry.etag, state=state, fresh_until=entry.fresh_until)
        if etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), entry.etag):
            return not_modified(headers)
        if not entry.gzipped:  # stored as is (e.g. a deflate GeoTIFF)
            return HttpResponse(entry.body, content_type=entry.content_type, headers=headers)
        if accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            return HttpResponse(entry.body, content_type=entry.content_type, headers=headers)
        return HttpResponse(entry.raw(), content_type=entry.content_type, headers=headers)

    def get(self, request: Request, *args, **kwargs) -> HttpResponse:
        response = self.cached_response(request)
        if response is not None:
            return response
        _, fill_unit, result_url = self.units(request)
        return self.start_fetch(
            request, kind=self.kind, units=[fill_unit], result_url=result_url, missing=[fill_unit]
        )


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


def _point_url(path: str, lat: float, lng: float) -> str:
    return f"/api/v1/{path}?lat={lat:.1f}&lng={lng:.1f}"


class ClimateView(SingleEntryView):
    kind = "climate"

    def units(self, request):
        lat, lng = climate.snap(*parse_point(request))
        unit = climate.unit_for(lat, lng)
        return unit, unit, _point_url("climate/", lat, lng)

    @extend_schema(
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
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClimateSummaryView(SingleEntryView):
    kind = "climate_summary"

    def units(self, request):
        lat, lng = climate.snap(*parse_point(request))
        unit = climate.unit_for(lat, lng)
        return climate.summary_unit(unit), unit, _point_url("climate/summary/", lat, lng)

    @extend_schema(
        summary="Frost dates, monthly normals and growing season",
        parameters=POINT_PARAMETERS,
        responses={200: ClimateSummarySerializer, **DATA_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CanopyView(SingleEntryView):
    kind = "canopy"

    def units(self, request):
        block = canopy.block_for(*parse_point(request))
        lat, lng = block.centre_lnglat()
        result_url = f"/api/v1/canopy/?{urlencode({'lat': f'{lat:.6f}', 'lng': f'{lng:.6f}'})}"
        return block.unit, block.unit, result_url

    @extend_schema(
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
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


RANGE_ERROR_STATUS = {"upstream_not_found": 404, "upstream_timeout": 504, "upstream_busy": 503}


class CanopyTileView(PublicDataView):
    """Byte ranges of a source canopy tile, for geotiff.js ``fromUrl`` and the like.

    Only ``^[0-3]{9}$`` reaches the upstream. One range per request (206);
    no Range on a tile larger than CANOPY_MAX_RANGE_BYTES is refused with 400.
    """

    def answer(self, request: Request, quadkey: str, *, head: bool) -> HttpResponse:
        if not canopy.QUADKEY_RE.fullmatch(quadkey):
            raise ApplicationError(
                "quadkey: must be exactly 9 digits 0-3 (a zoom-9 Bing quadkey).", code="invalid"
            )
        refused = spec = None
        if not head:
            try:
                spec = canopy.parse_range_header(request.META.get("HTTP_RANGE"))
            except canopy.RangeRefused as error:
                refused = error
        # One round trip on a hit: the tile's metadata, the client's counter
        # and, for an explicit ``a-b`` range, its blocks.
        guessed: list[int] = []
        if spec is not None and None not in spec and spec[1] - spec[0] < settings.CANOPY_MAX_RANGE_BYTES:
            guessed = list(canopy.blocks_of(*spec))
        throttle = read_throttle()
        pipe = get_valkey().pipeline(transaction=False)
        for number in guessed:
            pipe.get(canopy.block_key(quadkey, number))
        pipe.hgetall(canopy.meta_key(quadkey))
        throttle.queue(pipe, request)
        store.count("canopy_range", "requests", pipe=pipe)
        results = pipe.execute()
        found = dict(zip(guessed, results[: len(guessed)], strict=True))
        meta_fields, count = results[len(guessed)], results[len(guessed) + 1]
        throttle.check(count)

        used_upstream = False
        try:
            meta = canopy.parse_meta(meta_fields)
            if meta is None:
                meta = canopy.fetch_meta(quadkey)
                used_upstream = True
            headers = {
                "Accept-Ranges": "bytes",
                "ETag": meta.etag,
                "Last-Modified": meta.last_modified,
                "Cache-Control": "public, max-age=86400",
            }
            if head:
                response = HttpResponse(content_type="image/tiff", headers=headers)
                response["Content-Length"] = str(meta.size)
                return response
            if refused is not None:
                return self.refusal(refused, meta.size)
            if spec is None:
                if meta.size > settings.CANOPY_MAX_RANGE_BYTES:
                    return self.refusal(
                        canopy.RangeRefused(
                            "range_required",
                            f"This tile is {meta.size} bytes; it is served only in byte ranges of at most "
                            f"{settings.CANOPY_MAX_RANGE_BYTES} bytes. Send 'Range: bytes=<first>-<last>' "
                            "(GDAL /vsicurl/ and geotiff.js fromUrl do).",
                            status=400,
                        ),
                        meta.size,
                    )
                first, last, status = 0, meta.size - 1, 200
            else:
                try:
                    first, last = canopy.resolve_range(spec, meta.size)
                except canopy.RangeRefused as error:
                    return self.refusal(error, meta.size)
                status = 206
            numbers = list(canopy.blocks_of(first, last)) if meta.size else []
            unread = [number for number in numbers if number not in found]
            if unread:
                pipe = get_valkey().pipeline(transaction=False)
                for number in unread:
                    pipe.get(canopy.block_key(quadkey, number))
                found.update(zip(unread, pipe.execute(), strict=True))
            if any(found.get(number) is None for number in numbers):
                # Bytes not cached yet come from S3: the stricter limit applies.
                fetch_throttle().consume(request)
            if canopy.ensure_blocks(quadkey, numbers, found, meta):
                used_upstream = True
        except UpstreamError as error:
            return Response(
                error_body(error.code, error.message),
                status=RANGE_ERROR_STATUS.get(error.code, 502),
                headers={"Cache-Control": "no-store", **({"Retry-After": "1"} if error.transient else {})},
            )
        offset = numbers[0] * settings.CANOPY_BLOCK_BYTES if numbers else 0
        body = b"".join(found[number] for number in numbers)[first - offset : last - offset + 1]
        response = HttpResponse(body, content_type="image/tiff", status=status, headers=headers)
        response["Content-Length"] = str(len(body))
        response["X-Cache"] = "MISS" if used_upstream else "HIT"
        if status == 206:
            response["Content-Range"] = f"bytes {first}-{last}/{meta.size}"
        return response

    @staticmethod
    def refusal(error: "canopy.RangeRefused", size: int) -> Response:
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
        if error.status == 416:
            headers["Content-Range"] = f"bytes */{size}"
        return Response(error_body(error.code, error.message), status=error.status, headers=headers)

    @extend_schema(
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
            503: OpenApiResponse(ErrorSerializer, description="Too many S3 requests at once; retry."),
            504: OpenApiResponse(ErrorSerializer, description="The bucket did not answer in time."),
        },
    )
    def get(self, request: Request, quadkey: str) -> HttpResponse:
        return self.answer(request, quadkey, head=False)

    def head(self, request: Request, quadkey: str) -> HttpResponse:
        return self.answer(request, quadkey, head=True)


class CellsView(PublicDataView):
    """Buildings in a box, assembled from the grid cells it touches."""

    kind = "buildings"

    def cells_answer(self, request, bbox, result_url: str, render) -> HttpResponse:
        units = [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(*bbox)]
        throttle = read_throttle()
        pipe = get_valkey().pipeline(transaction=False)
        for unit in units:
            pipe.hgetall(store.entry_key(unit))
        throttle.queue(pipe, request)
        store.count(self.kind, "requests", pipe=pipe)
        results = pipe.execute()
        throttle.check(results[len(units)])

        entries = [store.parse_entry(fields) for fields in results[: len(units)]]
        now = time.time()
        states = [entry.state(now) if entry is not None else "missing" for entry in entries]
        missing = [unit for unit, state in zip(units, states, strict=True) if state == "missing"]
        if missing:
            return self.start_fetch(
                request, kind=self.kind, units=missing, result_url=result_url, missing=missing
            )
        stale = [unit for unit, state in zip(units, states, strict=True) if state == "stale"]
        if stale:
            store.count(self.kind, "stale")
            self.refresh_in_background(kind=self.kind, units=stale, result_url=result_url)

        etag = (
            '"'
            + hashlib.blake2b(
                ("|".join(entry.etag for entry in entries) + result_url).encode(), digest_size=16
            ).hexdigest()
            + '"'
        )
        headers = cache_headers(
            etag=etag,
            state="stale" if stale else "fresh",
            fresh_until=min(entry.fresh_until for entry in entries),
        )
        if etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), etag):
            return not_modified(headers)
        payloads = [entry.json() for entry in entries]
        return Response(render(payloads), headers=headers)


def _bbox_text(bbox) -> str:
    return ",".join(f"{value:.6f}".rstrip("0").rstrip(".") for value in bbox)


class BuildingsView(CellsView):
    @extend_schema(
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
    def get(self, request: Request, *args, **kwargs) -> HttpResponse:
        bbox = buildings.parse_bbox(request.query_params.get("bbox"))
        result_url = f"/api/v1/buildings/?{urlencode({'bbox': _bbox_text(bbox)})}"
        return self.cells_answer(
            request, bbox, result_url, lambda payloads: buildings.feature_collection(payloads, bbox)
        )


class OverpassQueryParser(BoundedJSONParser):
    """A JSON ``{"query": ...}`` body: a few hundred bytes, capped at 8 KiB."""

    def max_bytes(self) -> int:
        return 8192


class OverpassView(CellsView):
    """Overpass clients can point here: GET ``?data=`` or POST ``data``/``query``."""

    # Form posts are bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE; no file uploads.
    parser_classes = [OverpassQueryParser, FormParser]

    def answer(self, request: Request, query) -> HttpResponse:
        bbox = buildings.parse_overpass_query(query)
        result_url = "/api/v1/overpass/?" + urlencode({"data": buildings.overpass_query_for(bbox)})

        def render(payloads):
            osm_base = max((payload.get("osm_base") or "" for payload in payloads), default="") or None
            return buildings.overpass_body(payloads, bbox, osm_base)

        return self.cells_answer(request, bbox, result_url, render)

    @extend_schema(
        summary="Drop-in Overpass interpreter (GET form)",
        parameters=[OpenApiParameter("data", OpenApiTypes.STR, required=True, description="The query.")],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Overpass JSON."), **DATA_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> HttpResponse:
        return self.answer(request, request.query_params.get("data"))

    @extend_schema(
        summary="Drop-in Overpass interpreter for the building-in-a-box query",
        description=(
            "Accepts only `" + buildings.ACCEPTED_QUERY_SHAPE + "` (as JSON `query` or form field `data`) "
            "and answers in Overpass JSON from the same cache as `buildings/`. Any other query is "
            "refused with 400."
        ),
        request=OverpassQuerySerializer,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Overpass JSON."), **DATA_RESPONSES},
    )
    def post(self, request: Request, *args, **kwargs) -> HttpResponse:
        data = request.data if hasattr(request.data, "get") else {}
        return self.answer(request, data.get("query", data.get("data")))


class JobView(PublicDataView):
    @extend_schema(
        summary="The state of a fetch job",
        responses={200: JobSerializer, 404: OpenApiResponse(ErrorSerializer, description="Unknown job.")},
    )
    def get(self, request: Request, job_id: str) -> Response:
        job = jobs.job_get(job_id)
        if job is None:
            raise ApplicationError(f"No job with id '{job_id[:64]}'.", code="not_found", status_code=404)
        headers = {"Cache-Control": "no-store"}
        if not job.finished:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Response(job.as_resource(), headers=headers)
