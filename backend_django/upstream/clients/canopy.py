"""The canopy-height tiles on S3: one GeoTIFF per zoom-9 quadkey, ``{CANOPY_URL}/{quadkey}.tif``.

Two ways in, both only ever by byte ranges (a tile is hundreds of MB):
``head()`` and ``get_range()`` over the shared requests session (http.py),
for the Range proxy; and GDAL's ``/vsicurl/`` (``gdal_env()``, ``vsicurl()``)
for the window reader, whose failures ``error_from_gdal()`` sorts into the
same error kinds.
"""

import ctypes
import ctypes.util
import glob
import logging
import math
import os
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings

from . import http
from .http import UpstreamError

logger = logging.getLogger(__name__)

UPSTREAM = "canopy"


def tile_url(quadkey: str) -> str:
    return f"{settings.CANOPY_URL.rstrip('/')}/{quadkey}.tif"


# --- plain HTTP (the Range proxy) ------------------------------------------------


@dataclass(frozen=True)
class TileHead:
    size: int
    etag: str
    last_modified: str


def head(quadkey: str) -> TileHead:
    """The tile's size and validators, from one HEAD."""
    response = http.request(
        "HEAD", tile_url(quadkey), upstream=UPSTREAM, read_timeout=settings.CANOPY_READ_TIMEOUT
    )
    try:
        size = int(response.headers["Content-Length"])
    except (KeyError, ValueError) as exc:
        raise http.invalid_response(UPSTREAM, "the HEAD has no Content-Length") from exc
    return TileHead(size, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))


def get_range(quadkey: str, first: int, last: int, size: int) -> bytes:
    """Bytes ``first``-``last`` (inclusive) of a tile of ``size`` bytes, checked to be exactly those."""
    response = http.request(
        "GET",
        tile_url(quadkey),
        upstream=UPSTREAM,
        read_timeout=settings.CANOPY_READ_TIMEOUT,
        headers={"Range": f"bytes={first}-{last}", "Accept-Encoding": "identity"},
        stream=True,
    )
    try:
        expected = f"bytes {first}-{last}/{size}"
        if response.status_code != 206 or response.headers.get("Content-Range") != expected:
            raise http.invalid_response(
                UPSTREAM, f"bytes {first}-{last} answered {response.status_code}, not 206"
            )
        body = response.raw.read(last - first + 2, decode_content=False)
    except OSError as exc:  # connection dropped while reading the body
        raise UpstreamError(
            "upstream_unreachable", f"{http.label(UPSTREAM)} could not be reached.", True,
            detail=http.sanitise(str(exc)),
        ) from exc  # fmt: skip
    finally:
        response.close()
    if len(body) != last - first + 1:
        raise http.invalid_response(UPSTREAM, "a short range")
    return body


# --- through GDAL's /vsicurl/ (the window reader) -----------------------------------


def gdal_options() -> dict:
    """GDAL settings for one window read: Range requests only, no directory
    listing, our User-Agent and timeouts, no retries (ours do that) and no
    caching across reads."""
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
        "GDAL_HTTP_USERAGENT": http.user_agent(),
        "GDAL_HTTP_TIMEOUT": max(1, math.ceil(settings.CANOPY_READ_TIMEOUT)),
        "GDAL_HTTP_CONNECTTIMEOUT": max(1, math.ceil(settings.UPSTREAM_CONNECT_TIMEOUT)),
        "GDAL_HTTP_MAX_RETRY": 0,
        "CPL_VSIL_CURL_CHUNK_SIZE": 16384,
        "GDAL_INGESTED_BYTES_AT_OPEN": 16384,
        "VSI_CACHE": False,
        "GDAL_HTTP_MULTIRANGE": "SINGLE_GET",
    }


def gdal_env() -> Any:  # a rasterio.Env (rasterio has no types)
    """A rasterio environment for reading tiles; GDAL forgets earlier reads first."""
    import rasterio

    clear_gdal_http_cache()
    return rasterio.Env(**gdal_options())


def vsicurl(quadkey: str) -> str:
    return f"/vsicurl/{tile_url(quadkey)}"


@cache
def _gdal_library() -> ctypes.CDLL | None:
    """The libgdal rasterio uses (its wheel bundles one), for VSICurlClearCache."""
    import rasterio

    candidates = glob.glob(
        os.path.join(os.path.dirname(os.path.dirname(rasterio.__file__)), "rasterio.libs", "libgdal*")
    )
    name = candidates[0] if candidates else ctypes.util.find_library("gdal")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def clear_gdal_http_cache() -> None:
    """Forget what /vsicurl/ remembers about files (sizes, missing files,
    fetched regions), so each read asks the upstream afresh."""
    library = _gdal_library()
    if library is not None and hasattr(library, "VSICurlClearCache"):
        library.VSICurlClearCache()
    else:  # pragma: no cover - a GDAL without the function
        logger.warning("cannot clear GDAL's /vsicurl/ cache")


_HTTP_CODE = re.compile(r"HTTP response code: (\d{3})")


def error_from_gdal(exc: Exception, url: str) -> UpstreamError:
    """Sort a GDAL/rasterio failure into the error kinds the jobs act on (GDAL's own
    text, with the URL in it, goes to ``detail`` only)."""
    text = str(exc)
    detail = http.sanitise(text)
    name = http.label(UPSTREAM)
    match = _HTTP_CODE.search(text)
    if match:
        status = int(match.group(1))
        if status == 404:
            return UpstreamError("upstream_not_found", f"{name} has no data here.", False, 404, detail=detail)
        if status == 429:
            return UpstreamError(
                "upstream_rate_limited", f"{name} asked us to slow down.", True, 429, detail=detail
            )
        if status >= 500 or status in (408, 425):
            return UpstreamError(
                "upstream_unavailable", f"{name} is having trouble and answered with an error.", True, status,
                detail=detail,
            )  # fmt: skip
        return UpstreamError(
            "upstream_rejected", f"{name} refused this request.", False, status, detail=detail
        )
    if "does not exist in the file system" in text:
        return UpstreamError("upstream_not_found", f"{name} has no data here.", False, 404, detail=detail)
    lowered = text.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return UpstreamError("upstream_timeout", f"{name} did not answer in time.", True, detail=detail)
    if "curl error" in lowered:
        return UpstreamError("upstream_unreachable", f"{name} could not be reached.", True, detail=detail)
    if "not recognized as" in lowered or "tiff" in lowered:
        return http.invalid_response(UPSTREAM, text)
    return UpstreamError(
        "upstream_unavailable", f"{name} is having trouble and answered with an error.", True, detail=detail
    )
