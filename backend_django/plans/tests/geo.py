"""Beds drawn in metres around a point, for the tests.

Metres and degrees are converted with PROJ (through rasterio) in an
azimuthal equidistant projection centred on the point, independently of the
code under test (its own metres per degree).
"""

import itertools

from rasterio.crs import CRS
from rasterio.warp import transform


def local_crs(lat: float, lng: float) -> CRS:
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lng} +datum=WGS84 +units=m +no_defs")


def ring_lnglat(lat: float, lng: float, corners_m: list[tuple[float, float]]) -> list[list[float]]:
    """A closed GeoJSON ring of the corners given in metres (east, north) of (lat, lng)."""
    xs = [x for x, _ in corners_m]
    ys = [y for _, y in corners_m]
    lngs, lats = transform(local_crs(lat, lng), "EPSG:4326", xs, ys)
    ring = [[lng_, lat_] for lng_, lat_ in zip(lngs, lats, strict=True)]
    return [*ring, ring[0]]


def to_metres(lat: float, lng: float, positions: list[list[float]]) -> list[tuple[float, float]]:
    xs, ys = transform("EPSG:4326", local_crs(lat, lng), [p[0] for p in positions], [p[1] for p in positions])
    return list(zip(xs, ys, strict=True))


def shoelace(points: list[tuple[float, float]]) -> float:
    """The area of a closed ring, by the shoelace formula."""
    total = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def rectangle(lat: float, lng: float, west: float, south: float, east: float, north: float) -> list:
    """A Polygon's coordinates: the rectangle of metres (west, south)-(east, north) around (lat, lng)."""
    return [ring_lnglat(lat, lng, [(west, south), (east, south), (east, north), (west, north)])]


def bed(bed_id: str, name: str, coordinates: list, plants: list[int] | None = None, **extra) -> dict:
    properties: dict = {"name": name}
    if plants is not None:
        properties["plants"] = plants
    return {
        "type": "Feature",
        "id": bed_id,
        "geometry": {"type": "Polygon", "coordinates": coordinates},
        "properties": properties,
        **extra,
    }


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
