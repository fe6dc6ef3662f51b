"""The basemap under the report's map: map tiles from the cache, where they are cached.

Only tiles the cache holds fresh are used (the ones people viewed on the
plan page): a report never asks the tile server for one (its policy
forbids fetching tiles nobody views, decision 0025). The highest zoom at
which every tile over the site's square is cached is chosen (19 down to
16); the tiles are put together, cut to the square (Web Mercator pixels of
its corners) and made grey, so the printed map stays readable in black and
white. Without them the map shows the site's own data alone.
"""

import io
import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from PIL import Image

from backend_django.upstream.cache import store
from backend_django.upstream.kinds import basemap

TILE_PIXELS = 256
LOWEST_ZOOM = 16
HIGHEST_ZOOM = 19
# The basemap's size on the page's image, pixels a side.
IMAGE_PIXELS = 600


@dataclass(frozen=True)
class Basemap:
    image: Image.Image  # grey ("L"), IMAGE_PIXELS a side, north up, exactly the square
    zoom: int
    attribution: str


def _pixel(lng: float, lat: float, zoom: int) -> tuple[float, float]:
    """Global Web Mercator pixel of a point at ``zoom``."""
    scale = TILE_PIXELS * 2**zoom
    x = (lng + 180.0) / 360.0 * scale
    phi = math.radians(lat)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * scale
    return x, y


def _tiles(bounds: tuple[float, float, float, float], zoom: int) -> tuple[range, range]:
    west, south, east, north = bounds
    x0, y0 = _pixel(west, north, zoom)
    x1, y1 = _pixel(east, south, zoom)
    return (
        range(math.floor(x0 / TILE_PIXELS), math.floor(x1 / TILE_PIXELS) + 1),
        range(math.floor(y0 / TILE_PIXELS), math.floor(y1 / TILE_PIXELS) + 1),
    )


def cached_basemap(bounds: tuple[float, float, float, float]) -> Basemap | None:
    """The square's basemap from cached tiles, or None when no zoom has them all."""
    top = min(HIGHEST_ZOOM, settings.BASEMAP_MAX_ZOOM)
    for zoom in range(top, LOWEST_ZOOM - 1, -1):
        columns, rows = _tiles(bounds, zoom)
        units = [basemap.unit_for(zoom, x, y) for y in rows for x in columns]
        if len(units) > 16:
            continue
        if any(state != "fresh" for state in store.states(units).values()):
            continue
        entries = [store.read(unit) for unit in units]
        if any(entry is None for entry in entries):
            continue
        mosaic = Image.new("L", (len(columns) * TILE_PIXELS, len(rows) * TILE_PIXELS), 255)
        try:
            for index, entry in enumerate(entries):
                assert entry is not None
                tile = Image.open(io.BytesIO(entry.raw())).convert("L")
                row, column = divmod(index, len(columns))
                mosaic.paste(
                    tile.resize((TILE_PIXELS, TILE_PIXELS)), (column * TILE_PIXELS, row * TILE_PIXELS)
                )
        except (OSError, ValueError):
            continue  # a tile that is not an image: no basemap at this zoom
        west, south, east, north = bounds
        x0, y0 = _pixel(west, north, zoom)
        x1, y1 = _pixel(east, south, zoom)
        left, top_y = columns.start * TILE_PIXELS, rows.start * TILE_PIXELS
        box = (x0 - left, y0 - top_y, x1 - left, y1 - top_y)
        image = mosaic.resize((IMAGE_PIXELS, IMAGE_PIXELS), Image.Resampling.BILINEAR, box=box)
        return Basemap(image=image, zoom=zoom, attribution=settings.BASEMAP_ATTRIBUTION)
    return None


def under(sun: np.ndarray, known: np.ndarray, base: Image.Image, share: float = 0.3) -> Image.Image:
    """The sun's grey image (``sun``, uint8, rows x cols) over the basemap: each known cell
    mixes ``share`` of the basemap into the sun's grey; cells without data show the basemap."""
    rows, cols = sun.shape
    ground = np.asarray(base.resize((cols * 4, rows * 4), Image.Resampling.BILINEAR), dtype=np.float64)
    cells = np.repeat(np.repeat(sun.astype(np.float64), 4, axis=0), 4, axis=1)
    mask = np.repeat(np.repeat(known, 4, axis=0), 4, axis=1)
    mixed = np.where(mask, (1 - share) * cells + share * ground, ground)
    return Image.fromarray(mixed.round().astype(np.uint8), mode="L")
