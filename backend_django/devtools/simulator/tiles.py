"""Synthetic canopy GeoTIFFs with the structure of the real tiles, and a cache of PNG tiles.

Each tile is a single-band uint8 GeoTIFF in EPSG:3857 covering its zoom-9
quadkey, ``size`` x ``size`` pixels, stripped with one row per strip (not
internally tiled), uncompressed, without overviews and WITHOUT a nodata value
(0 means "no trees", as in the real data).

A tile's rows are rendered when a read first needs them, in bands of
``BAND_ROWS`` rows (the world is costly to sample; a window's ranges touch a
few bands). Its header is that of a GeoTIFF of its size written once by
rasterio, whose rows lie one after the other to the end of the file, with the
tile's corner in its ModelTiepoint. Its ETag is
the MD5 of the tile's identity (quadkey, size, ``world.WORLD_VERSION``), so a
HEAD needs no pixels, and a GET's body is sent a band at a time as it is
rendered (as S3 streams a body: no read waits long). Tiles are kept in a small in-memory LRU; rendering is
deterministic, so an evicted tile comes back byte for byte identical.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np

from .data import CANOPY_ZOOM, canopy_rows, quadkey_bounds
from .world import WORLD_VERSION

BAND_ROWS = 64
BANDS_KEPT = 64  # per tile


def _geotiff_header(quadkey: str, size: int) -> bytes:
    """The bytes of the tile's GeoTIFF before its first row: the template of its size with the
    tile's corner in its ModelTiepoint (tiles of one size differ only there)."""
    template, tiepoint = _header_template(size)
    minx, _, _, maxy = quadkey_bounds(quadkey)
    header = bytearray(template)
    struct.pack_into("<6d", header, tiepoint, 0.0, 0.0, 0.0, minx, maxy, 0.0)
    return bytes(header)


@lru_cache(maxsize=8)
def _header_template(size: int) -> tuple[bytes, int]:
    """(header bytes, offset of the ModelTiepoint's six doubles) of a tile of ``size`` pixels."""
    body = rasterio_geotiff("0" * CANOPY_ZOOM, size, np.zeros((size, size), dtype=np.uint8))
    offsets = _strip_offsets(body)
    first = offsets[0]
    if offsets != [first + row * size for row in range(size)] or first + size * size != len(body):
        raise RuntimeError("unexpected GeoTIFF layout: the rows must follow each other to the end")
    tiepoint = _tag_offset(body, 33922)
    if tiepoint + 48 > first:
        raise RuntimeError("unexpected GeoTIFF layout: the tiepoint must come before the rows")
    return body[:first], tiepoint


def rasterio_geotiff(quadkey: str, size: int, heights: np.ndarray) -> bytes:
    """The tile's GeoTIFF written by rasterio (GDAL) with ``heights``."""
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
            dataset.write(heights, 1)
        return memfile.read()


def _entry(body: bytes, tag: int) -> tuple[int, int, int]:
    """(type, count, offset of the values) of a tag of a little-endian classic TIFF's first directory."""
    if body[:4] != b"II*\x00":
        raise RuntimeError("not a little-endian classic TIFF")
    (directory,) = struct.unpack_from("<I", body, 4)
    (entries,) = struct.unpack_from("<H", body, directory)
    for k in range(entries):
        found, kind, count, value = struct.unpack_from("<HHII", body, directory + 2 + 12 * k)
        if found == tag:
            width = {3: 2, 4: 4, 12: 8}[kind]
            return kind, count, directory + 10 + 12 * k if count * width <= 4 else value
    raise RuntimeError(f"no TIFF tag {tag}")


def _tag_offset(body: bytes, tag: int) -> int:
    return _entry(body, tag)[2]


def _strip_offsets(body: bytes) -> list[int]:
    """StripOffsets (tag 273)."""
    kind, count, offset = _entry(body, 273)
    return list(struct.unpack_from(f"<{count}{'H' if kind == 3 else 'I'}", body, offset))


class Tile:
    """One canopy tile: its size, ETag and bytes, rows rendered on demand."""

    def __init__(self, quadkey: str, pixels: int, header: bytes) -> None:
        self.quadkey = quadkey
        self.pixels = pixels
        self.header = header
        identity = f"chm|{quadkey}|{pixels}|{WORLD_VERSION}".encode()
        self.etag = f'"{hashlib.md5(identity, usedforsecurity=False).hexdigest()}"'  # quoted, like S3
        self._bands: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.header) + self.pixels * self.pixels

    @property
    def body(self) -> bytes:
        return self.read(0, self.size - 1)

    def _band(self, index: int) -> bytes:
        with self._lock:
            band = self._bands.get(index)
            if band is None:
                first = index * BAND_ROWS
                band = canopy_rows(
                    self.quadkey, self.pixels, first, min(self.pixels, first + BAND_ROWS)
                ).tobytes()
                self._bands[index] = band
                while len(self._bands) > BANDS_KEPT:
                    self._bands.popitem(last=False)
            else:
                self._bands.move_to_end(index)
            return band

    def read(self, first: int, last: int) -> bytes:
        """Bytes ``first`` to ``last`` inclusive (within the tile)."""
        return b"".join(self.chunks(first, last))

    def chunks(self, first: int, last: int) -> Iterator[bytes]:
        """Bytes ``first`` to ``last`` inclusive, a band at a time (each rendered when reached)."""
        start = len(self.header)
        if first < start:
            yield self.header[first : min(last + 1, start)]
        band_bytes = BAND_ROWS * self.pixels
        position = max(first, start)
        while position <= last:
            index, offset = divmod(position - start, band_bytes)
            band = self._band(index)
            take = min(len(band) - offset, last + 1 - position)
            yield band[offset : offset + take]
            position += take


class TileStore:
    """Thread-safe cache of tiles: each tile's header is written once at a time."""

    def __init__(self, size: int, capacity: int = 8) -> None:
        self.size = size
        self.capacity = capacity
        self._tiles: OrderedDict[str, Tile] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        _header_template(size)  # GDAL and PROJ start once, here, not in a request

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
                tile = Tile(quadkey, self.size, _geotiff_header(quadkey, self.size))
                with self._lock:
                    self._tiles[quadkey] = tile
                    while len(self._tiles) > self.capacity:
                        self._tiles.popitem(last=False)
            return tile


class PngCache:
    """Thread-safe LRU of rendered XYZ PNG tiles: (body, quoted ETag) by (z, x, y).

    Rendering is deterministic, so an evicted tile comes back byte for byte identical."""

    def __init__(self, render: Callable[[int, int, int], bytes], capacity: int = 512) -> None:
        self.render = render
        self.capacity = capacity
        self._tiles: OrderedDict[tuple[int, int, int], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, z: int, x: int, y: int) -> tuple[bytes, str]:
        key = (z, x, y)
        with self._lock:
            found = self._tiles.get(key)
            if found is not None:
                self._tiles.move_to_end(key)
                return found
        body = self.render(z, x, y)
        found = (body, f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"')
        with self._lock:
            self._tiles[key] = found
            while len(self._tiles) > self.capacity:
                self._tiles.popitem(last=False)
        return found
