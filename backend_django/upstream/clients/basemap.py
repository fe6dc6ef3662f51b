"""Raster map tiles from an XYZ template (``BASEMAP_URL``, ``{z}/{x}/{y}``).

One tile per request, conditional when we hold the tile already (the tile
server's ETag as ``If-None-Match``: a ``304`` costs the server little and
renews our copy). The answer must be an image; anything else (a tile
server's HTML error page) is an unusable answer, never cached. The
tile server's ``Cache-Control: max-age`` says how long a tile stays fresh.
"""

import re
from dataclasses import dataclass

from django.conf import settings

from . import http

UPSTREAM = "basemap"
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True)
class Tile:
    body: bytes | None  # None: not modified since the validator we sent
    content_type: str
    max_age: int | None  # seconds the tile server says it stays fresh, when it says
    validator: str  # its ETag ("" for none)


def tile_url(z: int, x: int, y: int) -> str:
    return settings.BASEMAP_URL.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def fetch_tile(z: int, x: int, y: int, *, validator: str = "") -> Tile:
    """The tile, or (with ``validator``) ``Tile(body=None)`` when it has not changed."""
    headers = {"Accept": "image/png,image/*;q=0.8"}
    if validator:
        headers["If-None-Match"] = validator
    response = http.request(
        "GET",
        tile_url(z, x, y),
        upstream=UPSTREAM,
        read_timeout=settings.BASEMAP_READ_TIMEOUT,
        headers=headers,
        not_modified=bool(validator),
    )
    cache_control = response.headers.get("Cache-Control", "")
    found = _MAX_AGE.search(cache_control)
    max_age = int(found.group(1)) if found else None
    if "no-store" in cache_control.lower():
        max_age = 0
    etag = response.headers.get("ETag", "") or validator
    if response.status_code == 304:
        return Tile(None, "", max_age, etag)
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES or not response.content:
        raise http.invalid_response(UPSTREAM, f"not a tile image ({content_type or 'no type'})")
    return Tile(response.content, content_type, max_age, etag)
