"""Canopy-height windows: the grid maths, and reading a window from the tiles.

The source (see the design notes) is one GeoTIFF per zoom-9 Bing quadkey,
``{CANOPY_URL}/{quadkey}.tif``: uint8 metres, EPSG:3857, stripped (one row
per strip), 65536 x 65536 pixels, hundreds of MB. We never download a tile:
GDAL's ``/vsicurl/`` reads the header, the strip offsets it needs and then
only the rows that cover the window, with HTTP Range requests.

Window grid. Each zoom-9 tile is cut into CANOPY_GRID_BLOCKS x
CANOPY_GRID_BLOCKS square blocks (in EPSG:3857 metres; 1024 blocks = 64
pixels of the real tiles, about 76 m). A point is snapped to the block that
holds it, and the window is centred on that block's centre and reaches
CANOPY_WINDOW_DEGREES (converted to Web Mercator metres at the block's
latitude) plus half a block each way, so every point of the block has at
least +/- CANOPY_WINDOW_DEGREES of data around it and all points of a block
share one cache entry: ``canopy:<quadkey>:<block_row>:<block_col>``.

Tile edges. The window is defined in metres on the pixel grid of the tile
holding its block, which is the same grid as its neighbours' (all tiles have
the same size). When it reaches over a tile edge, the part beyond it is read
from the neighbouring tile(s) and mosaicked; a neighbour that does not exist
(404: open ocean) or lies beyond the edge of the Web Mercator world is filled
with nodata (255). A missing tile under the block itself fails the fetch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import logging
import math
import os
import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from .clients.http import UpstreamError

logger = logging.getLogger(__name__)

ZOOM = 9
TILES_PER_SIDE = 1 << ZOOM
WEB_MERCATOR_HALF = 20037508.342789244  # metres, half the world's width in EPSG:3857
EARTH_RADIUS = 6378137.0
TILE_METRES = 2 * WEB_MERCATOR_HALF / TILES_PER_SIDE
MAX_LAT = 85.05112878
NODATA = 255  # the source has no nodata; 255 marks "no source tile here"
QUADKEY_RE = re.compile(r"[0-3]{9}")
UNIT_PREFIX = "canopy:"


# --- grid maths (pure) -------------------------------------------------------


def to_mercator(lat: float, lng: float) -> tuple[float, float]:
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = math.radians(lng) * EARTH_RADIUS
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * EARTH_RADIUS
    return x, y


def to_lnglat(x: float, y: float) -> tuple[float, float]:
    lng = math.degrees(x / EARTH_RADIUS)
    lat = math.degrees(math.atan(math.sinh(y / EARTH_RADIUS)))
    return lat, lng


def quadkey_of_tile(tx: int, ty: int) -> str:
    digits = []
    for i in range(ZOOM, 0, -1):
        mask = 1 << (i - 1)
        digits.append(str((1 if tx & mask else 0) + (2 if ty & mask else 0)))
    return "".join(digits)


def tile_of_quadkey(quadkey: str) -> tuple[int, int]:
    if not QUADKEY_RE.fullmatch(quadkey):
        raise ValueError(f"not a zoom-{ZOOM} quadkey: {quadkey!r}")
    tx = ty = 0
    for digit in quadkey:
        d = int(digit)
        tx = (tx << 1) | (d & 1)
        ty = (ty << 1) | (d >> 1)
    return tx, ty


def _tile_xy(x: float, y: float) -> tuple[int, int]:
    tx = math.floor((x + WEB_MERCATOR_HALF) / TILE_METRES)
    ty = math.floor((WEB_MERCATOR_HALF - y) / TILE_METRES)
    return min(max(tx, 0), TILES_PER_SIDE - 1), min(max(ty, 0), TILES_PER_SIDE - 1)


def quadkey_for(lat: float, lng: float) -> str:
    """The zoom-9 quadkey of the tile holding the point."""
    return quadkey_of_tile(*_tile_xy(*to_mercator(lat, lng)))


def block_metres() -> float:
    return TILE_METRES / settings.CANOPY_GRID_BLOCKS


@dataclass(frozen=True)
class Block:
    quadkey: str
    row: int
    col: int

    @property
    def unit(self) -> str:
        return f"{UNIT_PREFIX}{self.quadkey}:{self.row}:{self.col}"

    def centre(self) -> tuple[float, float]:
        """The block's centre in EPSG:3857 metres."""
        tx, ty = tile_of_quadkey(self.quadkey)
        size = block_metres()
        x = -WEB_MERCATOR_HALF + tx * TILE_METRES + (self.col + 0.5) * size
        y = WEB_MERCATOR_HALF - ty * TILE_METRES - (self.row + 0.5) * size
        return x, y

    def centre_lnglat(self) -> tuple[float, float]:
        """(lat, lng) of the block's centre."""
        return to_lnglat(*self.centre())

    def window_bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the window in EPSG:3857 metres."""
        x, y = self.centre()
        lat, _ = to_lnglat(x, y)
        half_block = block_metres() / 2
        reach = math.radians(settings.CANOPY_WINDOW_DEGREES) * EARTH_RADIUS
        half_x = reach + half_block
        # A degree of latitude is 1/cos(lat) times longer than one of longitude in Web Mercator.
        half_y = reach / math.cos(math.radians(lat)) + half_block
        return x - half_x, y - half_y, x + half_x, y + half_y


def block_for(lat: float, lng: float) -> Block:
    """The grid block holding the point."""
    x, y = to_mercator(lat, lng)
    tx, ty = _tile_xy(x, y)
    size = block_metres()
    last = settings.CANOPY_GRID_BLOCKS - 1
    col = math.floor((x + WEB_MERCATOR_HALF - tx * TILE_METRES) / size)
    row = math.floor((WEB_MERCATOR_HALF - ty * TILE_METRES - y) / size)
    return Block(quadkey_of_tile(tx, ty), min(max(row, 0), last), min(max(col, 0), last))


def unit_for(lat: float, lng: float) -> str:
    return block_for(lat, lng).unit


def parse_unit(unit: str) -> Block:
    prefix, quadkey, row, col = unit.split(":")
    if prefix + ":" != UNIT_PREFIX:
        raise ValueError(f"not a canopy unit: {unit!r}")
    tile_of_quadkey(quadkey)
    return Block(quadkey, int(row), int(col))


def tiles_touching(bounds: tuple[float, float, float, float]) -> list[str]:
    """Quadkeys of the tiles a box in EPSG:3857 overlaps (inside the world)."""
    minx, miny, maxx, maxy = bounds
    first_x = math.floor((minx + WEB_MERCATOR_HALF) / TILE_METRES)
    last_x = math.ceil((maxx + WEB_MERCATOR_HALF) / TILE_METRES) - 1
    first_y = math.floor((WEB_MERCATOR_HALF - maxy) / TILE_METRES)
    last_y = math.ceil((WEB_MERCATOR_HALF - miny) / TILE_METRES) - 1
    return [
        quadkey_of_tile(tx, ty)
        for ty in range(max(first_y, 0), min(last_y, TILES_PER_SIDE - 1) + 1)
        for tx in range(max(first_x, 0), min(last_x, TILES_PER_SIDE - 1) + 1)
    ]


def tile_url(quadkey: str) -> str:
    return f"{settings.CANOPY_URL.rstrip('/')}/{quadkey}.tif"


# --- reading through GDAL's /vsicurl/ --------------------------------------------


def gdal_options() -> dict:
    """GDAL settings for one window read: Range requests only, no directory
    listing, our User-Agent and timeouts, no retries (ours do that) and no
    caching across reads."""
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif",
        "GDAL_HTTP_USERAGENT": settings.UPSTREAM_USER_AGENT,
        "GDAL_HTTP_TIMEOUT": max(1, math.ceil(settings.CANOPY_READ_TIMEOUT)),
        "GDAL_HTTP_CONNECTTIMEOUT": max(1, math.ceil(settings.UPSTREAM_CONNECT_TIMEOUT)),
        "GDAL_HTTP_MAX_RETRY": 0,
        "CPL_VSIL_CURL_CHUNK_SIZE": 16384,
        "GDAL_INGESTED_BYTES_AT_OPEN": 16384,
        "VSI_CACHE": False,
        "GDAL_HTTP_MULTIRANGE": "SINGLE_GET",
    }


@cache
def _gdal_library():
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


def upstream_error_from_gdal(exc: Exception, url: str) -> UpstreamError:
    """Sort a GDAL/rasterio failure into the error kinds the jobs act on."""
    text = str(exc)
    match = _HTTP_CODE.search(text)
    if match:
        status = int(match.group(1))
        if status == 404:
            return UpstreamError("upstream_not_found", f"no canopy tile at {url}", False, 404)
        if status == 429:
            return UpstreamError(
                "upstream_rate_limited", f"the bucket is rate limiting us ({text})", True, 429
            )
        if status >= 500 or status in (408, 425):
            return UpstreamError("upstream_unavailable", f"the bucket answered HTTP {status}", True, status)
        return UpstreamError("upstream_rejected", f"the bucket answered HTTP {status}", False, status)
    if "does not exist in the file system" in text:
        return UpstreamError("upstream_not_found", f"no canopy tile at {url}", False, 404)
    lowered = text.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return UpstreamError("upstream_timeout", f"no answer within the timeout ({text})", True)
    if "curl error" in lowered:
        return UpstreamError("upstream_unreachable", f"could not reach the bucket ({text})", True)
    if "not recognized as" in lowered or "tiff" in lowered:
        return UpstreamError(
            "upstream_invalid_response", f"the tile is not a readable GeoTIFF ({text})", True
        )
    return UpstreamError("upstream_unavailable", f"reading the tile failed ({text})", True)


def read_window(unit: str) -> bytes:
    """The GeoTIFF (uint8, deflate, EPSG:3857, nodata 255) of a canopy unit."""
    import numpy as np
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine
    from rasterio.windows import Window

    block = parse_unit(unit)
    bounds = block.window_bounds()
    minx, miny, maxx, maxy = bounds
    clear_gdal_http_cache()
    with rasterio.Env(**gdal_options()):
        main_url = tile_url(block.quadkey)
        try:
            main = rasterio.open(f"/vsicurl/{main_url}")
        except RasterioError as exc:
            raise upstream_error_from_gdal(exc, main_url) from exc
        with main:
            if main.count != 1 or main.dtypes[0] != "uint8":
                raise UpstreamError(
                    "upstream_invalid_response", f"{main_url} is not a single-band uint8 raster", True
                )
            pixel_x, pixel_y = main.transform.a, -main.transform.e
            origin = main.transform
            eps = 1e-6
            col0 = math.floor((minx - origin.c) / pixel_x + eps)
            col1 = math.ceil((maxx - origin.c) / pixel_x - eps)
            row0 = math.floor((origin.f - maxy) / pixel_y + eps)
            row1 = math.ceil((origin.f - miny) / pixel_y - eps)
            width, height = col1 - col0, row1 - row0
            out_transform = origin @ Affine.translation(col0, row0)
            out = np.full((height, width), NODATA, dtype=np.uint8)
            for quadkey in tiles_touching(bounds):
                if quadkey == block.quadkey:
                    _paste(main, out, out_transform, Window)
                    continue
                url = tile_url(quadkey)
                try:
                    with rasterio.open(f"/vsicurl/{url}") as neighbour:
                        _paste(neighbour, out, out_transform, Window)
                except RasterioError as exc:
                    error = upstream_error_from_gdal(exc, url)
                    if error.code != "upstream_not_found":
                        raise error from exc
                    logger.info("canopy %s: neighbour %s does not exist; nodata there", unit, quadkey)
            if main.crs is None or main.crs.to_epsg() != 3857:
                raise UpstreamError("upstream_invalid_response", f"{main_url} is not in EPSG:3857", True)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": out_transform,
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 2,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(out, 1)
        return memfile.read()


def _paste(dataset, out, out_transform, Window) -> None:
    """Copy the part of ``dataset`` that falls in ``out`` (same pixel grid)."""
    from rasterio.errors import RasterioError

    offset_col = round((dataset.transform.c - out_transform.c) / out_transform.a)
    offset_row = round((dataset.transform.f - out_transform.f) / out_transform.e)
    height, width = out.shape
    c0, c1 = max(0, offset_col), min(width, offset_col + dataset.width)
    r0, r1 = max(0, offset_row), min(height, offset_row + dataset.height)
    if c0 >= c1 or r0 >= r1:
        return
    window = Window(c0 - offset_col, r0 - offset_row, c1 - c0, r1 - r0)
    try:
        out[r0:r1, c0:c1] = dataset.read(1, window=window)
    except RasterioError as exc:
        raise upstream_error_from_gdal(exc, dataset.name) from exc


# --- Range proxy of the source tiles (GET|HEAD /api/v1/canopy/<quadkey>/) ----------
#
# Clients such as geotiff.js ``fromUrl`` read the tiles themselves with Range
# requests; browsers cannot ask S3 directly (no CORS). The proxy answers each
# range from aligned blocks of CANOPY_BLOCK_BYTES cached in Valkey for a year
# (``ss:e:canopyblk:<quadkey>:<n>``); blocks it does not have are fetched in
# the request, one upstream Range request per contiguous run of missing
# blocks, under the S3 concurrency limit. The tile's size, ETag and
# Last-Modified come from one upstream HEAD, kept a year
# (``ss:e:canopymeta:<quadkey>``). The tiles are versioned by their path
# (``.../v1/alsgedi_global_v6_float/...``) and never change in place.

META_PREFIX = "ss:e:canopymeta:"
BLOCK_PREFIX = "ss:e:canopyblk:"
# Seconds a Range request waits for an S3 slot before 503: short, so that a
# slow S3 cannot hold many web threads.
PROXY_SLOT_WAIT = 1.0


def meta_key(quadkey: str) -> str:
    return f"{META_PREFIX}{quadkey}"


def block_key(quadkey: str, number: int) -> str:
    return f"{BLOCK_PREFIX}{quadkey}:{number}"


def meta_unit(quadkey: str) -> str:
    """The unit under which a definite upstream error for the tile is remembered."""
    return f"canopymeta:{quadkey}"


@dataclass(frozen=True)
class TileMeta:
    size: int
    etag: str
    last_modified: str


def parse_meta(fields: dict[bytes, bytes]) -> TileMeta | None:
    try:
        return TileMeta(int(fields[b"size"]), fields[b"etag"].decode(), fields[b"lm"].decode())
    except (KeyError, ValueError):
        return None


class RangeRefused(Exception):
    """A Range header we do not answer: ``status`` 416 (or 400), with a reason."""

    def __init__(self, code: str, message: str, status: int = 416):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
# A byte position of more digits than this is past the end of any tile; read
# as 10**15, so a long number costs nothing and means what it says.
_RANGE_MAX_DIGITS = 15


def _range_position(digits: str) -> int | None:
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _RANGE_MAX_DIGITS else 10**_RANGE_MAX_DIGITS


def parse_range_header(header: str | None) -> tuple[int | None, int | None] | None:
    """``(first, last)`` as written (either may be None for ``a-`` / ``-n``),
    None without a Range header or with one that is not a byte range (which
    HTTP says to ignore). Several ranges are refused."""
    if header is None or not header.strip():
        return None
    if not header.strip().lower().startswith("bytes"):
        return None
    if "," in header:
        raise RangeRefused(
            "multiple_ranges", "Only one byte range per request is supported (e.g. 'Range: bytes=0-65535')."
        )
    match = _RANGE_RE.match(header)
    if not match or (match.group(1) == "" and match.group(2) == ""):
        return None
    first = _range_position(match.group(1))
    last = _range_position(match.group(2))
    if first is not None and last is not None and last < first:
        return None  # syntactically invalid: ignored, like S3 does
    return first, last


def resolve_range(spec: tuple[int | None, int | None], size: int) -> tuple[int, int]:
    """The inclusive byte range ``spec`` means for a tile of ``size`` bytes."""
    first, last = spec
    if first is None:  # suffix: the last ``last`` bytes
        if last == 0 or size == 0:
            raise RangeRefused("range_not_satisfiable", "The requested range is not satisfiable.")
        first, last = max(0, size - last), size - 1
    else:
        if first >= size:
            raise RangeRefused(
                "range_not_satisfiable",
                f"The requested range starts past the end of the tile ({size} bytes).",
            )
        last = size - 1 if last is None else min(last, size - 1)
    length = last - first + 1
    if length > settings.CANOPY_MAX_RANGE_BYTES:
        raise RangeRefused(
            "range_too_large",
            f"A range may be at most {settings.CANOPY_MAX_RANGE_BYTES} bytes (CANOPY_MAX_RANGE_BYTES); "
            f"this one is {length}. Ask for the bytes you need in several requests.",
        )
    return first, last


def blocks_of(first: int, last: int) -> range:
    size = settings.CANOPY_BLOCK_BYTES
    return range(first // size, last // size + 1)


def fetch_meta(quadkey: str) -> TileMeta:
    """HEAD the tile upstream and remember its size and validators for a year."""
    from backend_django.core.valkey import get_valkey

    from . import store
    from .clients.http import request
    from .limits import BudgetWait, canopy_slot

    remembered = store.remembered_error(meta_unit(quadkey))
    if remembered is not None:
        raise UpstreamError(remembered["code"], remembered["message"], False, remembered.get("status"))
    try:
        with canopy_slot("interactive", PROXY_SLOT_WAIT):
            response = request("HEAD", tile_url(quadkey), read_timeout=settings.CANOPY_READ_TIMEOUT)
    except BudgetWait as wait:
        raise UpstreamError(
            "upstream_busy", "too many canopy requests at once; retry shortly", True
        ) from wait
    except UpstreamError as error:
        if not error.transient:
            store.remember_error(meta_unit(quadkey), error.code, error.message, error.status)
        raise
    try:
        size = int(response.headers["Content-Length"])
    except (KeyError, ValueError) as exc:
        raise UpstreamError(
            "upstream_invalid_response", "the tile's HEAD has no Content-Length", True
        ) from exc
    meta = TileMeta(size, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
    client = get_valkey()
    pipe = client.pipeline(transaction=True)
    pipe.hset(meta_key(quadkey), mapping={"size": meta.size, "etag": meta.etag, "lm": meta.last_modified})
    pipe.expire(meta_key(quadkey), settings.CANOPY_BLOCK_SECONDS)
    pipe.execute()
    return meta


def fetch_blocks(quadkey: str, numbers: list[int], meta: TileMeta) -> dict[int, bytes]:
    """Fetch blocks (sorted, contiguous) with one upstream Range request, store them."""
    from backend_django.core.valkey import get_valkey

    from .clients.http import request
    from .limits import BudgetWait, canopy_slot

    block_size = settings.CANOPY_BLOCK_BYTES
    first = numbers[0] * block_size
    last = min((numbers[-1] + 1) * block_size, meta.size) - 1
    try:
        with canopy_slot("interactive", PROXY_SLOT_WAIT):
            response = request(
                "GET",
                tile_url(quadkey),
                read_timeout=settings.CANOPY_READ_TIMEOUT,
                headers={"Range": f"bytes={first}-{last}", "Accept-Encoding": "identity"},
                stream=True,
            )
            try:
                expected = f"bytes {first}-{last}/{meta.size}"
                if response.status_code != 206 or response.headers.get("Content-Range") != expected:
                    raise UpstreamError(
                        "upstream_invalid_response",
                        f"the bucket did not answer bytes {first}-{last} with 206 ({response.status_code})",
                        True,
                    )
                body = response.raw.read(last - first + 2, decode_content=False)
            finally:
                response.close()
    except BudgetWait as wait:
        raise UpstreamError(
            "upstream_busy", "too many canopy requests at once; retry shortly", True
        ) from wait
    except OSError as exc:  # connection dropped while reading the body
        raise UpstreamError("upstream_unreachable", f"reading the range failed ({exc})", True) from exc
    if len(body) != last - first + 1:
        raise UpstreamError("upstream_invalid_response", "the bucket sent a short range", True)
    blocks = {
        number: body[(number - numbers[0]) * block_size : (number - numbers[0] + 1) * block_size]
        for number in numbers
    }
    pipe = get_valkey().pipeline(transaction=False)
    for number, data in blocks.items():
        pipe.set(block_key(quadkey, number), data, ex=settings.CANOPY_BLOCK_SECONDS)
    pipe.execute()
    return blocks


def missing_runs(numbers: list[int], found: dict[int, bytes | None]) -> list[list[int]]:
    """Contiguous runs of block numbers that ``found`` does not hold."""
    runs: list[list[int]] = []
    for number in numbers:
        if found.get(number) is not None:
            continue
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return runs


_RELEASE_SCRIPT = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


def block_lock_key(quadkey: str, number: int) -> str:
    return f"ss:lock:canopyblk:{quadkey}:{number}"


def ensure_blocks(quadkey: str, numbers: list[int], found: dict[int, bytes | None], meta: TileMeta) -> bool:
    """Fill ``found`` with every block of ``numbers``; True when the upstream was asked.

    Single flight per block: a request takes a short lock on each block it is
    missing and fetches those (one Range request per contiguous run); blocks
    another request is fetching right now are waited for, and fetched here
    only if that request gave up without storing them. So concurrent readers
    of the same bytes (geotiff.js sends several requests at once) cost one
    upstream read.
    """
    import secrets
    import time

    from backend_django.core.valkey import get_valkey

    missing = [number for number in numbers if found.get(number) is None]
    if not missing:
        return False
    client = get_valkey()
    token = secrets.token_hex(8)
    lease_ms = int((settings.CANOPY_READ_TIMEOUT + settings.UPSTREAM_CONNECT_TIMEOUT + 5) * 1000)
    # Wait for another request's fetch of the same bytes at most one read.
    deadline = time.monotonic() + settings.CANOPY_READ_TIMEOUT
    used_upstream = False
    while missing:
        pipe = client.pipeline(transaction=False)
        for number in missing:
            pipe.set(block_lock_key(quadkey, number), token, nx=True, px=lease_ms)
        taken = pipe.execute()
        mine = [number for number, ok in zip(missing, taken, strict=True) if ok]
        try:
            # Another request may have stored a block between our read and the lock.
            if mine:
                pipe = client.pipeline(transaction=False)
                for number in mine:
                    pipe.get(block_key(quadkey, number))
                found.update(
                    (n, data) for n, data in zip(mine, pipe.execute(), strict=True) if data is not None
                )
            for run in missing_runs(mine, found):
                found.update(fetch_blocks(quadkey, run, meta))
                used_upstream = True
        finally:
            for number in mine:
                client.eval(_RELEASE_SCRIPT, 1, block_lock_key(quadkey, number), token)
        missing = [number for number in missing if found.get(number) is None]
        if not missing:
            break
        # Wait for the requests fetching the others; retry the lock when theirs is gone.
        if time.monotonic() > deadline:
            raise UpstreamError(
                "upstream_timeout", "another request fetching the same bytes did not finish", True
            )
        time.sleep(0.02)
        pipe = client.pipeline(transaction=False)
        for number in missing:
            pipe.get(block_key(quadkey, number))
        found.update((n, data) for n, data in zip(missing, pipe.execute(), strict=True) if data is not None)
        missing = [number for number in missing if found.get(number) is None]
    return used_upstream
