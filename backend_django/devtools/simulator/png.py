"""A small PNG encoder (zlib and struct): 8-bit RGB and 8-bit palette images."""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode(pixels: np.ndarray, palette: np.ndarray | None = None, level: int = 6) -> bytes:
    """PNG bytes of ``pixels``: (height, width, 3) uint8 RGB, or (height, width) palette indices
    with ``palette`` an (n, 3) uint8 array of colours (n <= 256). Every row uses filter 0."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    if palette is None:
        colour_type, rows = 2, pixels.reshape(height, width * 3)
    else:
        colour_type, rows = 3, pixels.reshape(height, width)
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    body = _chunk(b"IHDR", header)
    if palette is not None:
        body += _chunk(b"PLTE", np.ascontiguousarray(palette, dtype=np.uint8).tobytes())
    body += _chunk(b"IDAT", zlib.compress(raw, level))
    return SIGNATURE + body + _chunk(b"IEND", b"")
