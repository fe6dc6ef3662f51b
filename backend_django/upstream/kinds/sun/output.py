"""What a site's computation stores, and reading it back.

- The raster: a GeoTIFF in EPSG:4326 over the site's square, 12 bands
  (January first) of uint8 tenths of an hour of direct sun per day
  (scale 0.1 in the file's metadata, so a reader applying it gets hours),
  deflate, nodata 255; the cells under building footprints in the GDAL
  metadata item ``ROOFS`` (base64 of the zlib-compressed row-major bits,
  numpy's ``packbits``), for a spot's ``roof`` flag.
- The summary (JSON): per month the site's mean, least and most hours over
  the cells outside building footprints, the shares of those cells in each
  light category, the hours an open site would get; the parameters and the
  inputs' ETags it was computed from.
"""

from __future__ import annotations

import base64
import calendar
import math
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .site import MODEL_VERSION, SiteGrid

NODATA = 255
SCALE = 0.1  # hours per stored unit

# Light categories (hours of direct sun per day): the lower bound of each.
CATEGORIES = (("full_sun", 6.0), ("part_sun", 4.0), ("part_shade", 2.0), ("shade", 0.0))


def light_category(hours: float) -> str:
    """full_sun (6 h or more), part_sun (4 to 6), part_shade (2 to 4) or shade (under 2)."""
    for name, lowest in CATEGORIES:
        if hours >= lowest:
            return name
    return "shade"


def tenths_from_counts(counts: np.ndarray, step_hours: float) -> np.ndarray:
    """uint8 tenths of an hour from lit-step counts, rounded half up."""
    return np.floor(counts * (step_hours * 10) + 0.5 + 1e-9).astype(np.uint8)


# --- the raster ----------------------------------------------------------------


def roofs_encode(roofs: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.packbits(roofs.astype(bool)).tobytes(), 9)).decode()


def roofs_decode(text: str, shape: tuple[int, int]) -> np.ndarray:
    bits = np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.uint8)
    return np.unpackbits(bits, count=shape[0] * shape[1]).astype(bool).reshape(shape)


def raster_encode(*, tenths: np.ndarray, grid: SiteGrid, roofs: np.ndarray | None = None) -> bytes:
    """The 12-band GeoTIFF of ``tenths`` (uint8, (12, cells, cells)) on the square of ``grid``;
    ``roofs`` (bool, (cells, cells)): the cells under buildings, kept in its metadata."""
    from rasterio.io import MemoryFile

    bands, height, width = tenths.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": grid.transform(with_margin=False),
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 2,
        "interleave": "pixel",  # one spot's 12 months are side by side
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(tenths)
            dataset.scales = (SCALE,) * bands
            dataset.offsets = (0.0,) * bands
            dataset.descriptions = tuple(calendar.month_name[month] for month in range(1, bands + 1))
            dataset.update_tags(
                UNITS="hours of direct sun per day (stored as tenths)",
                MODEL=f"solar-sim-sun-{MODEL_VERSION}",
            )
            if roofs is not None:
                dataset.update_tags(ROOFS=roofs_encode(roofs))
        return memfile.read()


@dataclass(frozen=True)
class SunRaster:
    tenths: np.ndarray  # uint8 (12, rows, cols)
    transform: tuple[float, float, float, float, float, float]  # a, b, c, d, e, f (GDAL order: Affine)
    roofs: np.ndarray | None = None  # bool (rows, cols), when the file records them

    def cell_of(self, lat: float, lng: float) -> tuple[int, int] | None:
        a, _, c, _, e, f = self.transform
        if not (math.isfinite(lat) and math.isfinite(lng)):
            return None
        col = math.floor((lng - c) / a)
        row = math.floor((lat - f) / e)
        _, rows, cols = self.tenths.shape
        if 0 <= row < rows and 0 <= col < cols:
            return row, col
        return None


def raster_decode(tiff: bytes) -> SunRaster:
    from rasterio.io import MemoryFile

    with MemoryFile(tiff) as memfile, memfile.open() as dataset:
        transform = dataset.transform
        roofs = dataset.tags().get("ROOFS")
        return SunRaster(
            dataset.read(),
            (transform.a, transform.b, transform.c, transform.d, transform.e, transform.f),
            roofs_decode(roofs, (dataset.height, dataset.width)) if roofs else None,
        )


class _Decoded:
    """The last few rasters decoded in this process, by their bytes.

    A bytes object caches its own hash, so asking again with the same object
    (a web process's copy of an entry) costs a dictionary lookup.
    """

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._rasters: OrderedDict[bytes, SunRaster] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tiff: bytes) -> SunRaster:
        with self._lock:
            raster = self._rasters.get(tiff)
            if raster is not None:
                self._rasters.move_to_end(tiff)
                return raster
        raster = raster_decode(tiff)
        with self._lock:
            self._rasters[tiff] = raster
            while len(self._rasters) > self.capacity:
                self._rasters.popitem(last=False)
        return raster


_decoded = _Decoded()


def sun_point_read(*, tiff: bytes, lat: float, lng: float) -> list[float | None] | None:
    """Hours of direct sun per day for each month (January first) at one spot of the
    raster, or None when the spot lies outside it. A month without data is None."""
    raster = _decoded.get(tiff)
    cell = raster.cell_of(lat, lng)
    if cell is None:
        return None
    values = raster.tenths[:, cell[0], cell[1]]
    return [None if value == NODATA else round(int(value) * SCALE, 1) for value in values]


def sun_roof_read(*, tiff: bytes, lat: float, lng: float) -> bool | None:
    """Whether the spot lies under a building (its hours are the roof's), or None
    outside the raster or when the file does not record roofs."""
    raster = _decoded.get(tiff)
    cell = raster.cell_of(lat, lng)
    if cell is None or raster.roofs is None:
        return None
    return bool(raster.roofs[cell])


# --- the summary ---------------------------------------------------------------


def month_statistics(tenths: np.ndarray, ground: np.ndarray) -> dict:
    """Mean, least, most hours and category shares over the ``ground`` cells of one band."""
    values = tenths[ground & (tenths != NODATA)].astype(np.float64) * SCALE
    if values.size == 0:
        return {"mean": None, "min": None, "max": None, "light": {name: None for name, _ in CATEGORIES}}
    # Category bounds applied to the stored tenths, as a reader of one spot sees them.
    shares = {}
    upper = np.inf
    for name, lowest in CATEGORIES:
        inside = (values >= lowest - 1e-9) & (values < upper - 1e-9)
        shares[name] = round(float(inside.mean()), 4)
        upper = lowest
    return {
        "mean": round(float(values.mean()), 2),
        "min": round(float(values.min()), 1),
        "max": round(float(values.max()), 1),
        "light": shares,
    }
