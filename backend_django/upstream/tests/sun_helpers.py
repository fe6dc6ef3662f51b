"""Hand-made inputs for the sun tests: obstacles placed in metres around a site.

Metres and degrees are converted with PROJ (through rasterio) in an azimuthal
equidistant projection centred on the site, independently of the code under
test, which uses its own metres-per-degree grid.
"""

import numpy as np
from rasterio.crs import CRS
from rasterio.warp import transform

from backend_django.upstream.kinds import buildings


def local_crs(lat: float, lng: float) -> CRS:
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lng} +datum=WGS84 +units=m +no_defs")


def to_lnglat(site, xs, ys):
    """Degrees (lng, lat) of points given in metres east/north of the site."""
    lngs, lats = transform(local_crs(site.lat, site.lng), "EPSG:4326", list(xs), list(ys))
    return np.array(lngs), np.array(lats)


def to_metres(site, lngs, lats):
    """Metres (east, north) of the site of points given in degrees."""
    xs, ys = transform("EPSG:4326", local_crs(site.lat, site.lng), list(lngs), list(lats))
    return np.array(xs), np.array(ys)


def box_payload(site, boxes: list[tuple[float, float, float, float, float]]) -> dict:
    """A buildings cell payload (buildings.cell_payload, from an Overpass-like answer)
    with one building per (west, south, east, north, height) box in metres."""
    elements = []
    for index, (x0, y0, x1, y1, height) in enumerate(boxes):
        lngs, lats = to_lnglat(site, [x0, x1, x1, x0], [y0, y0, y1, y1])
        node_ids = [index * 10 + k + 1 for k in range(4)]
        elements.append(
            {
                "type": "way",
                "id": 1000 + index,
                "nodes": [*node_ids, node_ids[0]],
                "tags": {"building": "yes", "height": str(height)},
            }
        )
        elements.extend(
            {"type": "node", "id": node_id, "lat": float(lat), "lon": float(lng)}
            for node_id, lat, lng in zip(node_ids, lats, lngs, strict=True)
        )
    return buildings.cell_payload({"elements": elements})


def canopy_window(
    site, boxes: list[tuple[float, float, float, float, float]], reach_m: float = 320.0
) -> bytes:
    """A canopy window GeoTIFF as the canopy kind stores it (uint8 metres, EPSG:3857,
    nodata 255, deflate), about 1 m pixels, with trees of the given heights in the
    given (west, south, east, north, height) boxes in metres."""
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    (cx,), (cy,) = transform("EPSG:4326", "EPSG:3857", [site.lng], [site.lat])
    scale = 1 / np.cos(np.radians(site.lat))  # Web Mercator metres per ground metre
    pixel = 0.9 * scale  # 0.9 m on the ground: not the sun grid's cell
    half = int(reach_m * scale / pixel)
    size = 2 * half
    origin = from_origin(cx - half * pixel, cy + half * pixel, pixel, pixel)
    cols, rows = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)
    xs = origin.c + cols * pixel
    ys = origin.f - rows * pixel
    lngs, lats = transform("EPSG:3857", "EPSG:4326", xs.ravel().tolist(), ys.ravel().tolist())
    east, north = to_metres(site, lngs, lats)
    east, north = east.reshape(size, size), north.reshape(size, size)
    heights = np.zeros((size, size), dtype=np.uint8)
    for x0, y0, x1, y1, height in boxes:
        heights[(east >= x0) & (east <= x1) & (north >= y0) & (north <= y1)] = height
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:3857",
        "transform": origin,
        "nodata": 255,
        "compress": "deflate",
        "predictor": 2,
    }
    with MemoryFile() as memfile:
        with memfile.open(**profile) as dataset:
            dataset.write(heights, 1)
        return memfile.read()


def cell_centres(site, grid):
    """(east, north) metres of the centre of every cell of the site's square, each (cells, cells)."""
    t = grid.transform(with_margin=False)
    n = grid.cells
    cols, rows = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    lngs = t.c + cols * t.a
    lats = t.f + rows * t.e
    east, north = to_metres(site, lngs.ravel(), lats.ravel())
    return east.reshape(n, n), north.reshape(n, n)


def terrarium_png(elevations: np.ndarray) -> bytes:
    """A Terrarium tile (256 x 256, elevation = R x 256 + G + B / 256 - 32768) of ``elevations``
    in metres, encoded here by the format's definition (with an opaque alpha band)."""
    from backend_django.upstream.kinds.sun.shadow import png_rgba

    value = np.floor((np.asarray(elevations, dtype=np.float64) + 32768.0) * 256.0).astype(np.int64)
    rgba = np.stack([value >> 16, (value >> 8) & 255, value & 255, np.full_like(value, 255)], axis=-1)
    return png_rgba(rgba.astype(np.uint8))


def terrain_entries(site, elevation_of=None) -> list:
    """Entries of every elevation tile ``site`` reads: flat at 100 m, or ``elevation_of(lat, lng)``
    (metres, vectorised) sampled at each tile pixel's centre."""
    from backend_django.upstream.cache import store
    from backend_django.upstream.kinds import sun, terrain

    entries = []
    for unit in sun.site_input_units(site=site).terrain.units:
        z, x, y = terrain.tile_of(unit)
        if elevation_of is None:
            heights = np.full((256, 256), 100.0)
        else:
            size = 256 * 2**z
            columns = x * 256 + np.arange(256) + 0.5
            rows = y * 256 + np.arange(256) + 0.5
            lngs = columns / size * 360.0 - 180.0
            lats = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * rows / size))))
            lat_grid, lng_grid = np.meshgrid(lats, lngs, indexing="ij")
            heights = elevation_of(lat_grid, lng_grid)
        entries.append(store.NewEntry(unit, terrarium_png(heights), "image/png", 3600, 3600, compress=False))
    return entries
