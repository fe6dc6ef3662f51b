"""Basemap tiles: the map under the garden, raster XYZ tiles through the cache.

A unit is ``tile:<z>/<x>/<y>`` (Web Mercator, z from 0 to BASEMAP_MAX_ZOOM).
Tiles are fetched only when a person views them: the tile endpoint fills a
tile that is not cached in the request itself, waiting at most
BASEMAP_MISS_WAIT_SECONDS (a map asks for dozens of tiles at once; nobody
polls a job per tile), and no plan's warming ever asks for one (the kind
has no ``units_for_place``): OpenStreetMap's tile policy forbids bulk and
speculative downloading. A tile stays fresh as long as the tile server's
``Cache-Control`` says, then is served stale while a job revalidates it
with ``If-None-Match`` (the server's ETag, kept as the entry's validator).
"""

from django.conf import settings

from backend_django.core.exceptions import ApplicationError

from .. import guards
from ..cache.store import Entry, NewEntry
from ..clients import basemap as client
from .base import Kind

UNIT_PREFIX = "tile:"


def parse_tile(z: str | int, x: str | int, y: str | int) -> tuple[int, int, int]:
    """A tile's address, checked: z from 0 to BASEMAP_MAX_ZOOM, x and y inside that zoom's grid."""
    try:
        zoom, column, row = int(z), int(x), int(y)
    except (TypeError, ValueError) as exc:
        raise ApplicationError("z, x, y: whole numbers.", code="invalid") from exc
    if not 0 <= zoom <= settings.BASEMAP_MAX_ZOOM:
        raise ApplicationError(f"z: from 0 to {settings.BASEMAP_MAX_ZOOM}.", code="invalid")
    side = 2**zoom
    if not (0 <= column < side and 0 <= row < side):
        raise ApplicationError(f"x, y: from 0 to {side - 1} at zoom {zoom}.", code="invalid")
    return zoom, column, row


def unit_for(z: int, x: int, y: int) -> str:
    return f"{UNIT_PREFIX}{z}/{x}/{y}"


def tile_of(unit: str) -> tuple[int, int, int]:
    z, x, y = unit.removeprefix(UNIT_PREFIX).split("/")
    return int(z), int(x), int(y)


def data_url(z: int, x: int, y: int) -> str:
    return f"/api/v1/tiles/{z}/{x}/{y}.png"


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """The tile, asked conditionally when we hold it (a 304 renews our copy)."""
    z, x, y = tile_of(unit)
    validator = existing.validator if existing is not None else ""
    with guards.request(client.UPSTREAM, pool=pool):
        tile = client.fetch_tile(z, x, y, validator=validator)
    if tile.body is None and existing is not None:  # not modified
        raw, content_type = existing.raw(), existing.content_type
    elif tile.body is not None:
        raw, content_type = tile.body, tile.content_type
    else:  # a 304 to a request we did not make conditional
        raise client.http.invalid_response(client.UPSTREAM, "not modified, but nothing was cached")
    fresh = settings.BASEMAP_FRESH_SECONDS if tile.max_age is None else tile.max_age
    return [
        NewEntry(
            unit,
            raw,
            content_type,
            fresh,
            settings.BASEMAP_STALE_SECONDS,
            compress=False,  # PNG and JPEG are compressed already
            validator=tile.validator,
        )
    ]


KIND = Kind(
    name="basemap",
    unit_prefix=UNIT_PREFIX,
    upstream=client.UPSTREAM,
    label="Map tiles",
    fresh_setting="BASEMAP_FRESH_SECONDS",
    stale_setting="BASEMAP_STALE_SECONDS",
    content_type="image/png",
    compress=False,
    fetch=fetch_entries,
    endpoints=("tiles",),
    daily_miss_limit="PROXY_TILE_MISSES_PER_DAY",
)
