"""Elevation tiles: Terrarium-encoded PNGs on S3 (AWS open data "Terrain Tiles").

``{TERRAIN_URL}`` is an XYZ template (``{z}/{x}/{y}``), zoom 0 to 15, each
tile 256 x 256 RGB in Web Mercator, elevation in metres = R x 256 + G +
B / 256 - 32768. S3's failures as for the canopy tiles (403/404 XML bodies,
5xx, slow reads); an answer that is not a PNG is unusable, never cached.
"""

import warnings

import numpy as np
from django.conf import settings

from . import http

UPSTREAM = "terrain"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TILE_SIZE = 256


def tile_url(z: int, x: int, y: int) -> str:
    return settings.TERRAIN_URL.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def fetch_tile(z: int, x: int, y: int) -> bytes:
    """The tile's PNG, checked to decode to 256 x 256 elevations."""
    response = http.request(
        "GET", tile_url(z, x, y), upstream=UPSTREAM, read_timeout=settings.TERRAIN_READ_TIMEOUT
    )
    body = response.content
    if not body.startswith(PNG_SIGNATURE):
        raise http.invalid_response(UPSTREAM, "not a PNG")
    try:
        decode(body)
    except ValueError as exc:
        raise http.invalid_response(UPSTREAM, f"not a Terrarium tile ({exc})") from exc
    return body


def decode(png: bytes) -> np.ndarray:
    """Elevations (float32 metres, 256 x 256, north up) of a Terrarium PNG; ValueError if it is not one."""
    from rasterio.errors import NotGeoreferencedWarning, RasterioError
    from rasterio.io import MemoryFile

    try:
        with warnings.catch_warnings(), MemoryFile(png) as memfile:
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a PNG has no georeferencing
            image = memfile.open()
            with image:
                if image.count < 3 or image.width != TILE_SIZE or image.height != TILE_SIZE:
                    raise ValueError(f"{image.count} bands of {image.width} x {image.height}")
                rgb = image.read((1, 2, 3)).astype(np.float32)
    except RasterioError as exc:
        raise ValueError("unreadable") from exc
    return rgb[0] * 256 + rgb[1] + rgb[2] / 256 - 32768
