"""Canopy heights: small GeoTIFF windows around a point, read from the tiles on S3.

The source (see the design notes) is one GeoTIFF per zoom-9 Bing quadkey,
``{CANOPY_URL}/{quadkey}.tif``: uint8 metres, EPSG:3857, stripped (one row
per strip), 65536 x 65536 pixels, hundreds of MB.

- ``grid.py``: the window grid (quadkeys, blocks, a window's bounds);
- ``window.py``: reading a window from the tiles with GDAL, for the workers;
- ``range_proxy.py``: byte ranges of the tiles for clients such as
  geotiff.js, answered in the request.

This module declares the kind: one window per grid block.
"""

import logging

from ..kinds import Kind
from ..limits import canopy_slot
from ..store import Entry, NewEntry
from .grid import UNIT_PREFIX, unit_for
from .window import read_window

logger = logging.getLogger(__name__)


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """Read the window's rows from the tile(s) with Range requests: a small GeoTIFF."""
    with canopy_slot(pool):
        tiff = read_window(unit)
    logger.info("canopy %s fetched (%d bytes)", unit, len(tiff))
    return [KIND.entry(unit, tiff)]


KIND = Kind(
    name="canopy",
    unit_prefix=UNIT_PREFIX,
    upstream="s3",
    label="S3 canopy tiles",
    fresh_setting="CANOPY_FRESH_SECONDS",
    stale_setting="CANOPY_STALE_SECONDS",
    content_type="image/tiff",
    compress=False,  # deflate inside the TIFF already
    fetch=fetch_entries,
    units_for_place=lambda lat, lng: [unit_for(lat, lng)],
    endpoints=("canopy",),
    also_stored=("canopymeta:", "canopyblk:"),
)
