"""Synthetic canopy GeoTIFFs with the structure of the real tiles.

Each tile is a single-band uint8 GeoTIFF in EPSG:3857 covering its zoom-9
quadkey, ``size`` x ``size`` pixels, stripped with one row per strip (not
internally tiled), uncompressed, without overviews and WITHOUT a nodata value
(0 means "no trees", as in the real data). Tiles are generated on first use
and kept in a small in-memory LRU; generation is deterministic, so an evicted
tile comes back byte for byte identical.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .data import canopy_array, quadkey_bounds


@dataclass(frozen=True)
class Tile:
    quadkey: str
    body: bytes
    etag: str  # quoted, like S3

    @property
    def size(self) -> int:
        return len(self.body)


def render_tile(quadkey: str, size: int) -> bytes:
    """The GeoTIFF bytes of the quadkey's tile at ``size`` x ``size`` pixels."""
    from rasterio.io import MemoryFile
    from rasterio.transform import from_bounds

    minx, miny, maxx, maxy = quadkey_bounds(quadkey)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": from_bounds(minx, miny, maxx, maxy, size, size),
        "tiled": False,
        "blockysize": 1,
        "compress": "none",
        "interleave": "band",
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(canopy_array(quadkey, size), 1)
        return memfile.read()


class TileStore:
    """Thread-safe lazy cache of rendered tiles: each tile is rendered once at a time."""

    def __init__(self, size: int, capacity: int = 8) -> None:
        self.size = size
        self.capacity = capacity
        self._tiles: OrderedDict[str, Tile] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, quadkey: str) -> Tile:
        with self._lock:
            tile = self._tiles.get(quadkey)
            if tile is not None:
                self._tiles.move_to_end(quadkey)
                return tile
            key_lock = self._key_locks.setdefault(quadkey, threading.Lock())
        with key_lock:
            with self._lock:
                tile = self._tiles.get(quadkey)
            if tile is None:
                body = render_tile(quadkey, self.size)
                tile = Tile(quadkey, body, f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"')
                with self._lock:
                    self._tiles[quadkey] = tile
                    while len(self._tiles) > self.capacity:
                        self._tiles.popitem(last=False)
            return tile
