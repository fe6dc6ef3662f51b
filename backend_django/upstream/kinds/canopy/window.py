"""Reading a canopy window from the source tiles, through GDAL's ``/vsicurl/``.

We never download a tile: GDAL reads the header, the strip offsets it needs
and then only the rows that cover the window, with HTTP Range requests
(clients/s3.py sets it up).

Tile edges. The window is defined in metres on the pixel grid of the tile
holding its block, which is the same grid as its neighbours' (all tiles have
the same size). When it reaches over a tile edge, the part beyond it is read
from the neighbouring tile(s) and mosaicked; a neighbour that does not exist
(404: open ocean) or lies beyond the edge of the Web Mercator world is filled
with nodata (255). A missing tile under the block itself fails the fetch.
"""

import logging
import math
from typing import TYPE_CHECKING, Any

from ...clients import canopy as s3
from ...clients.http import invalid_response
from .grid import parse_unit, tiles_touching

if TYPE_CHECKING:  # imported where used: numpy and rasterio cost time to import
    import numpy as np

logger = logging.getLogger(__name__)

NODATA = 255  # the source has no nodata; 255 marks "no source tile here"


def read_window(unit: str) -> bytes:
    """The GeoTIFF (uint8, deflate, EPSG:3857, nodata 255) of a canopy unit."""
    import numpy as np
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine

    block = parse_unit(unit)
    bounds = block.window_bounds()
    minx, miny, maxx, maxy = bounds
    with s3.gdal_env():
        main_path = s3.vsicurl(block.quadkey)
        try:
            main = rasterio.open(main_path)
        except RasterioError as exc:
            raise s3.error_from_gdal(exc, s3.tile_url(block.quadkey)) from exc
        with main:
            if main.count != 1 or main.dtypes[0] != "uint8":
                raise invalid_response(s3.UPSTREAM, f"tile {block.quadkey} is not a single-band uint8 raster")
            pixel_x, pixel_y = main.transform.a, -main.transform.e
            origin = main.transform
            eps = 1e-6
            col0 = math.floor((minx - origin.c) / pixel_x + eps)
            col1 = math.ceil((maxx - origin.c) / pixel_x - eps)
            row0 = math.floor((origin.f - maxy) / pixel_y + eps)
            row1 = math.ceil((origin.f - miny) / pixel_y - eps)
            width, height = col1 - col0, row1 - row0
            out_transform = origin @ Affine.translation(col0, row0)
            out = np.full((height, width), NODATA, dtype=np.uint8)
            for quadkey in tiles_touching(bounds):
                if quadkey == block.quadkey:
                    _paste(main, out, out_transform)
                    continue
                try:
                    with rasterio.open(s3.vsicurl(quadkey)) as neighbour:
                        _paste(neighbour, out, out_transform)
                except RasterioError as exc:
                    error = s3.error_from_gdal(exc, s3.tile_url(quadkey))
                    if error.code != "upstream_not_found":
                        raise error from exc
                    logger.info("canopy %s: neighbour %s does not exist; nodata there", unit, quadkey)
            if main.crs is None or main.crs.to_epsg() != 3857:
                raise invalid_response(s3.UPSTREAM, f"tile {block.quadkey} is not in EPSG:3857")
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": out_transform,
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 2,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(out, 1)
        return memfile.read()


# dataset: a rasterio dataset, out_transform an Affine (rasterio has no types).
def _paste(dataset: Any, out: "np.ndarray", out_transform: Any) -> None:
    """Copy the part of ``dataset`` that falls in ``out`` (same pixel grid)."""
    from rasterio.errors import RasterioError
    from rasterio.windows import Window

    offset_col = round((dataset.transform.c - out_transform.c) / out_transform.a)
    offset_row = round((dataset.transform.f - out_transform.f) / out_transform.e)
    height, width = out.shape
    c0, c1 = max(0, offset_col), min(width, offset_col + dataset.width)
    r0, r1 = max(0, offset_row), min(height, offset_row + dataset.height)
    if c0 >= c1 or r0 >= r1:
        return
    window = Window(c0 - offset_col, r0 - offset_row, c1 - c0, r1 - r0)
    try:
        out[r0:r1, c0:c1] = dataset.read(1, window=window)
    except RasterioError as exc:
        raise s3.error_from_gdal(exc, dataset.name) from exc
