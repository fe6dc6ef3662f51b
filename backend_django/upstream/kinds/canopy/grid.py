"""The canopy window grid: quadkeys, blocks and the window around a block (pure maths).

Each zoom-9 tile is cut into CANOPY_GRID_BLOCKS x CANOPY_GRID_BLOCKS square
blocks (in EPSG:3857 metres; 1024 blocks = 64 pixels of the real tiles,
about 76 m). A point is snapped to the block that holds it, and the window
is centred on that block's centre and reaches CANOPY_WINDOW_DEGREES
(converted to Web Mercator metres at the block's latitude) plus half a block
each way, so every point of the block has at least +/- CANOPY_WINDOW_DEGREES
of data around it and all points of a block share one cache entry:
``canopy:<quadkey>:<block_row>:<block_col>``.
"""

import math
import re
from dataclasses import dataclass

from django.conf import settings

ZOOM = 9
TILES_PER_SIDE = 1 << ZOOM
WEB_MERCATOR_HALF = 20037508.342789244  # metres, half the world's width in EPSG:3857
EARTH_RADIUS = 6378137.0
TILE_METRES = 2 * WEB_MERCATOR_HALF / TILES_PER_SIDE
MAX_LAT = 85.05112878
QUADKEY_RE = re.compile(r"[0-3]{9}")
UNIT_PREFIX = "canopy:"


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
