"""The surface model: the ground, building footprints extruded to their heights, and tree heights.

Heights are metres above the lowest ground of the site's grid (site.py),
over the square and its margin: the ground itself (ground.py, from the
terrain tiles; flat when there are none), and on it:

- buildings: every way of the buildings kind's cell payloads
  (``{"ways": [{"id", "nodes", "height_m", ...}], "nodes": {id: [lat, lon]}}``)
  burnt into the cells whose centre it covers, at its ``height_m``; where
  footprints overlap the taller wins;
- trees: the canopy kind's window GeoTIFF (uint8 metres, EPSG:3857, nodata
  255) warped onto the grid with nearest-neighbour resampling (a 12 m crown
  stays 12 m); cells the window does not reach or marks nodata count as no
  trees.

The surface is the ground plus the higher of the two. Sun is counted at the
top of a building (its roof) and at the ground everywhere else, so the
ground under a tree crown is in the crown's shade, and a slope shades
itself and the cells below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .site import SiteGrid

CANOPY_NODATA = 255


@dataclass(frozen=True)
class Surface:
    grid: SiteGrid  # its margin is the one the heights cover
    heights: np.ndarray  # float32 (size, size): surface height, metres
    evaluate: np.ndarray  # float32 (cells, cells): height at which the square's sun is counted
    roofs: np.ndarray  # bool (cells, cells): cells inside a building footprint
    tallest_m: float  # highest point of the surface (square and margin)
    canopy_known: np.ndarray  # bool (size, size): cells the canopy window has data for

    @property
    def relief_m(self) -> float:
        """How far the surface rises above the square's lowest evaluated point: the tallest
        obstacle on flat ground (what the longest shadow is cast from)."""
        return max(0.0, self.tallest_m - float(self.evaluate.min(initial=0.0)))

    @property
    def canopy_coverage(self) -> float:
        """Share of the grid (square and margin) with canopy data."""
        return float(self.canopy_known.mean())

    @property
    def square(self) -> np.ndarray:
        """The square's part of ``heights`` (a view)."""
        m, n = self.grid.margin, self.grid.cells
        return self.heights[m : m + n, m : m + n]

    def cropped(self, margin: int) -> Surface:
        """The same surface with only ``margin`` cells kept around the square."""
        if margin >= self.grid.margin:
            return self
        cut = self.grid.margin - margin
        keep = (slice(cut, self.grid.size - cut), slice(cut, self.grid.size - cut))
        heights = np.ascontiguousarray(self.heights[keep])
        return Surface(
            self.grid.with_margin(margin),
            heights,
            self.evaluate,
            self.roofs,
            float(heights.max(initial=0.0)),
            self.canopy_known[keep],
        )


def _footprints(
    payloads: Iterable[dict], bounds: tuple[float, float, float, float]
) -> list[tuple[dict, float]]:
    """(GeoJSON polygon in lon/lat, height) of each way touching ``bounds``, once each."""
    west, south, east, north = bounds
    seen: set[int] = set()
    shapes = []
    for payload in payloads:
        nodes = payload.get("nodes", {})
        for way in payload.get("ways", []):
            if way["id"] in seen:
                continue
            try:
                ring = [nodes[str(node_id)] for node_id in way["nodes"]]
            except KeyError:
                continue  # an incomplete way cannot be drawn
            height = float(way.get("height_m") or 0.0)
            if len(ring) < 4 or height <= 0:
                continue
            lats = [point[0] for point in ring]
            lons = [point[1] for point in ring]
            if max(lats) < south or min(lats) > north or max(lons) < west or min(lons) > east:
                continue
            seen.add(way["id"])
            shapes.append(({"type": "Polygon", "coordinates": [[(lon, lat) for lat, lon in ring]]}, height))
    return shapes


def buildings_rasterise(*, grid: SiteGrid, buildings: Iterable[dict]) -> np.ndarray:
    """Building heights (float32, metres) on the full grid; 0 outside footprints."""
    from rasterio.features import rasterize

    shapes = _footprints(buildings, grid.bounds(with_margin=True))
    if not shapes:
        return np.zeros((grid.size, grid.size), dtype=np.float32)
    # Drawn lowest first, so where footprints overlap the tallest is what stays.
    shapes.sort(key=lambda shape: shape[1])
    return rasterize(
        shapes,
        out_shape=(grid.size, grid.size),
        transform=grid.transform(with_margin=True),
        fill=0.0,
        dtype="float32",
        all_touched=False,
    )


def canopy_resample(*, grid: SiteGrid, canopy: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """Tree heights (float32, metres) on the full grid, and where the window has data."""
    if not canopy:
        shape = (grid.size, grid.size)
        return np.zeros(shape, dtype=np.float32), np.zeros(shape, dtype=bool)
    from rasterio.io import MemoryFile
    from rasterio.warp import Resampling, reproject

    out = np.full((grid.size, grid.size), CANOPY_NODATA, dtype=np.uint8)
    with MemoryFile(canopy) as memfile, memfile.open() as dataset:
        source = dataset.read(1)
        nodata = dataset.nodata if dataset.nodata is not None else CANOPY_NODATA
        reproject(
            source=source,
            destination=out,
            src_transform=dataset.transform,
            src_crs=dataset.crs,
            src_nodata=nodata,
            dst_transform=grid.transform(with_margin=True),
            dst_crs="EPSG:4326",
            dst_nodata=CANOPY_NODATA,
            resampling=Resampling.nearest,
        )
    known = out != CANOPY_NODATA
    heights = np.where(known, out, 0).astype(np.float32)
    return heights, known


def surface_build(
    *, grid: SiteGrid, buildings: Iterable[dict], canopy: bytes | None, ground: np.ndarray | None = None
) -> Surface:
    """The surface model of ``grid`` (square and margin) from the stored inputs; ``ground``:
    the ground's height above its lowest point on the same grid (None: flat)."""
    built = buildings_rasterise(grid=grid, buildings=buildings)
    trees, known = canopy_resample(grid=grid, canopy=canopy)
    heights = np.maximum(built, trees)
    m, n = grid.margin, grid.cells
    roofs_height = built[m : m + n, m : m + n]
    evaluate = np.ascontiguousarray(roofs_height)
    if ground is not None:
        heights = heights + ground
        evaluate = evaluate + ground[m : m + n, m : m + n]
    return Surface(
        grid=grid,
        heights=heights,
        evaluate=evaluate,
        roofs=roofs_height > 0,
        tallest_m=float(heights.max(initial=0.0)),
        canopy_known=known,
    )
