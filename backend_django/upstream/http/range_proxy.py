"""The Range proxy of the source tiles: ``GET|HEAD /api/v1/canopy/<quadkey>/``.

Clients such as geotiff.js ``fromUrl`` read the tiles themselves with Range
requests; browsers cannot ask S3 directly (no CORS). The proxy answers each
range from aligned blocks of CANOPY_BLOCK_BYTES cached in Valkey for a year
(``ss:e:canopyblk:<quadkey>:<n>``); blocks it does not have are fetched in
the request, one upstream Range request per contiguous run of missing
blocks, under the S3 concurrency limit. The tile's size, ETag and
Last-Modified come from one upstream HEAD, kept a year
(``ss:e:canopymeta:<quadkey>``). The tiles are versioned by their path
(``.../v1/alsgedi_global_v6_float/...``) and never change in place.

That HEAD is single flight per tile too (``fetch_meta``): concurrent requests
for a tile whose metadata is not cached make one upstream HEAD, under the
lock ``ss:lock:canopymeta:<quadkey>``; the others wait for what it learns
(the metadata, a remembered 4xx, or its transient error, kept a few seconds
under the holder's token for them alone). A request that needs S3 at all
(the metadata or blocks not cached, or waiting for another's HEAD) counts
once against the client's fetch limit, HEADs as well as GETs.

Every S3 request goes through the guards the workers use (guards.request,
upstream "canopy": its breaker and its slots): while S3 is down the proxy answers 503 with Retry-After at
once, without asking it, and its failures count towards taking it down.

Unlike the other data, nothing here goes through a job: ``serve()`` answers
in the request and waits at most about one S3 read.
"""

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings

from backend_django.core.exceptions import ApplicationError
from backend_django.core.valkey import get_valkey

from .. import guards
from ..cache import store
from ..clients import canopy as s3
from ..clients.http import UpstreamError
from ..guards import BudgetWait, UpstreamDown
from ..jobs import locks
from ..jobs.retry import down_message
from ..kinds.canopy.grid import QUADKEY_RE
from .throttles import fetch_throttle, read_throttle

META_PREFIX = "ss:e:canopymeta:"
# A HEAD's transient failure, for the requests that waited on it (by the holder's token).
META_FAILURE_PREFIX = "ss:canopymetafail:"
META_FAILURE_SECONDS = 10
BLOCK_PREFIX = "ss:e:canopyblk:"
# Seconds a Range request waits for an S3 slot before 503: short, so that a
# slow S3 cannot hold many web threads.
PROXY_SLOT_WAIT = 1.0
# The statistics of the Range proxy's requests (ss:stats:canopy_range).
STATS = "canopy_range"
ERROR_STATUS = {"upstream_not_found": 404, "upstream_timeout": 504, "upstream_busy": 503}


def meta_key(quadkey: str) -> str:
    return f"{META_PREFIX}{quadkey}"


def block_key(quadkey: str, number: int) -> str:
    return f"{BLOCK_PREFIX}{quadkey}:{number}"


def meta_unit(quadkey: str) -> str:
    """The unit under which a definite upstream error for the tile is remembered."""
    return f"canopymeta:{quadkey}"


def block_lock(quadkey: str, number: int) -> str:
    """The lock name (jobs/locks.py) of fetching one block."""
    return f"canopyblk:{quadkey}:{number}"


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


# --- Range headers ---------------------------------------------------------------


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
        assert last is not None  # parse_range_header never gives (None, None)
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


# --- from S3 -----------------------------------------------------------------------


@contextmanager
def _s3_request() -> Iterator[None]:
    """One request to S3: behind S3's breaker (UpstreamDown while it is down),
    in one of the deployment's S3 slots, waiting at most PROXY_SLOT_WAIT for it
    (then ``upstream_busy``, which the breaker does not count)."""
    try:
        with guards.request(s3.UPSTREAM, pool="interactive", max_wait=PROXY_SLOT_WAIT):
            yield
    except BudgetWait as wait:
        raise UpstreamError(
            "upstream_busy", "The canopy height map is busy; try again in a moment.", True
        ) from wait


def meta_lock(quadkey: str) -> str:
    """The lock name (jobs/locks.py) of asking S3 for one tile's metadata."""
    return f"canopymeta:{quadkey}"


def fetch_meta(quadkey: str, *, before_upstream: Callable[[], None] | None = None) -> TileMeta:
    """The tile's size and validators: from one upstream HEAD per tile at a time.

    The request that takes the tile's lock asks S3 (``_head_and_store``);
    concurrent ones wait, at most about one S3 read, for the metadata it
    stores or the error it leaves for them. ``before_upstream()`` runs first
    unless a remembered 4xx answers (the fetch limit's charge).
    """
    remembered = store.remembered_error(meta_unit(quadkey))
    if remembered is not None:
        raise UpstreamError(remembered["code"], remembered["message"], False, remembered.get("status"))
    if before_upstream is not None:
        before_upstream()
    token = locks.new_token()
    lease_ms = int((settings.CANOPY_READ_TIMEOUT + settings.UPSTREAM_CONNECT_TIMEOUT + 5) * 1000)
    deadline = time.monotonic() + settings.CANOPY_READ_TIMEOUT + settings.UPSTREAM_CONNECT_TIMEOUT
    holder = None
    client = get_valkey()
    while True:
        if locks.try_acquire_many([meta_lock(quadkey)], token, lease_ms):
            try:
                # Another request may have stored it between our read and the lock.
                # cast: redis-py types answers as bytes | str; this client never decodes them.
                meta = parse_meta(cast(dict[bytes, bytes], client.hgetall(meta_key(quadkey))))
                return meta if meta is not None else _head_and_store(quadkey, token)
            finally:
                locks.release_many([meta_lock(quadkey)], token)
        # Another request is asking S3 for this tile: wait for what it learns.
        if time.monotonic() > deadline:
            # Another request's HEAD of this tile did not finish within one S3 read.
            raise UpstreamError("upstream_timeout", "The canopy height map did not answer in time.", True)
        time.sleep(0.02)
        pipe = client.pipeline(transaction=False)
        pipe.hgetall(meta_key(quadkey))
        pipe.get(locks.lock_key(meta_lock(quadkey)))
        pipe.get(f"{META_FAILURE_PREFIX}{quadkey}:{holder or '-'}")
        pipe.get(store.negative_key(meta_unit(quadkey)))
        fields, current, failure, remembered = pipe.execute()
        meta = parse_meta(fields)
        if meta is not None:
            return meta
        if failure is not None:
            code, _, message = failure.decode().partition(" ")
            raise UpstreamError(code, message, True)
        if remembered is not None:
            error = json.loads(remembered)
            raise UpstreamError(error["code"], error["message"], False, error.get("status"))
        if current is not None:
            holder = current.decode()


def _head_and_store(quadkey: str, token: str) -> TileMeta:
    """HEAD the tile upstream and remember its size and validators for a year."""
    try:
        with _s3_request():
            head = s3.head(quadkey)
    except UpstreamError as error:
        if error.transient:  # for those waiting on this HEAD only; nothing else is cached
            get_valkey().set(
                f"{META_FAILURE_PREFIX}{quadkey}:{token}",
                f"{error.code} {error.message}",
                ex=META_FAILURE_SECONDS,
            )
        else:
            store.remember_error(meta_unit(quadkey), error.code, error.message, error.status)
        raise
    meta = TileMeta(head.size, head.etag, head.last_modified)
    pipe = get_valkey().pipeline(transaction=True)
    pipe.hset(meta_key(quadkey), mapping={"size": meta.size, "etag": meta.etag, "lm": meta.last_modified})
    pipe.expire(meta_key(quadkey), settings.CANOPY_BLOCK_SECONDS)
    pipe.execute()
    return meta


def fetch_blocks(quadkey: str, numbers: list[int], meta: TileMeta) -> dict[int, bytes]:
    """Fetch blocks (sorted, contiguous) with one upstream Range request, store them."""
    block_size = settings.CANOPY_BLOCK_BYTES
    first = numbers[0] * block_size
    last = min((numbers[-1] + 1) * block_size, meta.size) - 1
    with _s3_request():
        body = s3.get_range(quadkey, first, last, meta.size)
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


def _read_blocks(quadkey: str, numbers: list[int], found: dict[int, bytes | None]) -> None:
    """Add to ``found`` those of ``numbers`` that are cached (one pipeline)."""
    pipe = get_valkey().pipeline(transaction=False)
    for number in numbers:
        pipe.get(block_key(quadkey, number))
    found.update((n, data) for n, data in zip(numbers, pipe.execute(), strict=True) if data is not None)


def ensure_blocks(quadkey: str, numbers: list[int], found: dict[int, bytes | None], meta: TileMeta) -> bool:
    """Fill ``found`` with every block of ``numbers``; True when the upstream was asked.

    Single flight per block: a request takes a short lock on each block it is
    missing and fetches those (one Range request per contiguous run); blocks
    another request is fetching right now are waited for, and fetched here
    only if that request gave up without storing them. So concurrent readers
    of the same bytes (geotiff.js sends several requests at once) cost one
    upstream read.
    """
    missing = [number for number in numbers if found.get(number) is None]
    if not missing:
        return False
    token = locks.new_token()
    lease_ms = int((settings.CANOPY_READ_TIMEOUT + settings.UPSTREAM_CONNECT_TIMEOUT + 5) * 1000)
    # Wait for another request's fetch of the same bytes at most one read.
    deadline = time.monotonic() + settings.CANOPY_READ_TIMEOUT
    used_upstream = False
    while missing:
        names = {block_lock(quadkey, number): number for number in missing}
        taken = locks.try_acquire_many(list(names), token, lease_ms)
        mine = [names[name] for name in taken]
        try:
            # Another request may have stored a block between our read and the lock.
            if mine:
                _read_blocks(quadkey, mine, found)
            for run in missing_runs(mine, found):
                found.update(fetch_blocks(quadkey, run, meta))
                used_upstream = True
        finally:
            locks.release_many(taken, token)
        missing = [number for number in missing if found.get(number) is None]
        if not missing:
            break
        # Wait for the requests fetching the others; retry the lock when theirs is gone.
        if time.monotonic() > deadline:
            raise UpstreamError("upstream_timeout", "The canopy height map did not answer in time.", True)
        time.sleep(0.02)
        _read_blocks(quadkey, missing, found)
        missing = [number for number in missing if found.get(number) is None]
    return used_upstream


# --- answering a request ------------------------------------------------------------


@dataclass(frozen=True)
class RangeAnswer:
    """What the view sends: a status, headers, and the bytes or an error."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_length: int | None = None  # a HEAD's, which has no body
    error: tuple[str, str] | None = None  # (code, message) of an error answer


def _refusal(error: RangeRefused, size: int) -> RangeAnswer:
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store"}
    if error.status == 416:
        headers["Content-Range"] = f"bytes */{size}"
    return RangeAnswer(error.status, headers, error=(error.code, error.message))


def serve(quadkey: str, *, head: bool, range_header: str | None, client: str) -> RangeAnswer:
    """Answer a GET (one range) or HEAD of a source tile for ``client``.

    Only ``^[0-3]{9}$`` reaches the upstream. One range per request (206);
    no Range on a tile larger than CANOPY_MAX_RANGE_BYTES is refused with 400.
    Raises Throttled over the client's limits, ApplicationError for a bad quadkey.
    """
    if not QUADKEY_RE.fullmatch(quadkey):
        raise ApplicationError(
            "quadkey: must be exactly 9 digits 0-3 (a zoom-9 Bing quadkey).", code="invalid"
        )
    refused = spec = None
    if not head:
        try:
            spec = parse_range_header(range_header)
        except RangeRefused as error:
            refused = error
    # One round trip on a hit: the tile's metadata, the client's counter and,
    # for an explicit ``a-b`` range, its blocks.
    guessed: list[int] = []
    if (
        spec is not None
        and spec[0] is not None
        and spec[1] is not None
        and spec[1] - spec[0] < settings.CANOPY_MAX_RANGE_BYTES
    ):
        guessed = list(blocks_of(spec[0], spec[1]))
    throttle = read_throttle()
    pipe = get_valkey().pipeline(transaction=False)
    for number in guessed:
        pipe.get(block_key(quadkey, number))
    pipe.hgetall(meta_key(quadkey))
    throttle.queue(pipe, client)
    store.count(STATS, "requests", pipe=pipe)
    results = pipe.execute()
    found = dict(zip(guessed, results[: len(guessed)], strict=True))
    meta_fields, count = results[len(guessed)], results[len(guessed) + 1]
    throttle.check(count)

    used_upstream = charged = False

    def charge() -> None:
        # S3 is asked (or another request's HEAD waited for): the stricter limit applies.
        nonlocal charged
        fetch_throttle().consume(client)
        charged = True

    try:
        meta = parse_meta(meta_fields)
        if meta is None:
            meta = fetch_meta(quadkey, before_upstream=charge)
            used_upstream = True
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": meta.etag,
            "Last-Modified": meta.last_modified,
            "Cache-Control": "public, max-age=86400",
        }
        if head:
            return RangeAnswer(200, headers, content_length=meta.size)
        if refused is not None:
            return _refusal(refused, meta.size)
        if spec is None:
            if meta.size > settings.CANOPY_MAX_RANGE_BYTES:
                return _refusal(
                    RangeRefused(
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
                first, last = resolve_range(spec, meta.size)
            except RangeRefused as error:
                return _refusal(error, meta.size)
            status = 206
        numbers = list(blocks_of(first, last)) if meta.size else []
        unread = [number for number in numbers if number not in found]
        if unread:
            _read_blocks(quadkey, unread, found)
        if not charged and any(found.get(number) is None for number in numbers):
            charge()  # bytes not cached yet come from S3
        if ensure_blocks(quadkey, numbers, found, meta):
            used_upstream = True
    except UpstreamDown as down:
        seconds = max(1, math.ceil(down.seconds))
        return RangeAnswer(
            503,
            {"Cache-Control": "no-store", "Retry-After": str(seconds)},
            error=(down.code, down_message(down.upstream, time.time() + seconds)),
        )
    except UpstreamError as error:
        return RangeAnswer(
            ERROR_STATUS.get(error.code, 502),
            {"Cache-Control": "no-store", **({"Retry-After": "1"} if error.transient else {})},
            error=(error.code, error.message),
        )
    offset = numbers[0] * settings.CANOPY_BLOCK_BYTES if numbers else 0
    body = b"".join(found[number] for number in numbers)[first - offset : last - offset + 1]
    headers["X-Cache"] = "MISS" if used_upstream else "HIT"
    if status == 206:
        headers["Content-Range"] = f"bytes {first}-{last}/{meta.size}"
    return RangeAnswer(status, headers, body)
