"""Canopy heights: small GeoTIFF windows around a point, read from the tiles on S3.

The source (see the design notes) is one GeoTIFF per zoom-9 Bing quadkey,
``{CANOPY_URL}/{quadkey}.tif``: uint8 metres, EPSG:3857, stripped (one row
per strip), 65536 x 65536 pixels, hundreds of MB.

- ``grid.py``: the window grid (quadkeys, blocks, a window's bounds);
- ``window.py``: reading a window from the tiles with GDAL, for the workers;
- byte ranges of the tiles for clients such as geotiff.js are answered in
  the request by http/range_proxy.py.

This module declares the kind: one window per grid block.
"""

import logging
from urllib.parse import urlencode

from ... import guards
from ...cache.store import Entry, NewEntry
from ...clients import canopy as client
from ..base import Kind
from .grid import UNIT_PREFIX, block_for, unit_for
from .window import read_window

logger = logging.getLogger(__name__)


def data_url(lat: float, lng: float) -> str:
    """The canonical URL of the window of a point: its block's centre."""
    block_lat, block_lng = block_for(lat, lng).centre_lnglat()
    return f"/api/v1/canopy/?{urlencode({'lat': f'{block_lat:.6f}', 'lng': f'{block_lng:.6f}'})}"


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """Read the window's rows from the tile(s) with Range requests: a small GeoTIFF."""
    with guards.request(client.UPSTREAM, pool=pool):
        tiff = read_window(unit)
    logger.info("canopy %s fetched (%d bytes)", unit, len(tiff))
    return [KIND.entry(unit, tiff)]


KIND = Kind(
    name="canopy",
    unit_prefix=UNIT_PREFIX,
    upstream=client.UPSTREAM,
    label="S3 canopy tiles",
    fresh_setting="CANOPY_FRESH_SECONDS",
    stale_setting="CANOPY_STALE_SECONDS",
    content_type="image/tiff",
    compress=False,  # deflate inside the TIFF already
    fetch=fetch_entries,
    units_for_place=lambda lat, lng: [unit_for(lat, lng)],
    urls_for_place=lambda lat, lng: {"canopy": data_url(lat, lng)},
    urls={"canopy": "The canopy window of the point's block."},
    endpoints=("canopy",),
    also_stored=("canopymeta:", "canopyblk:"),
)
