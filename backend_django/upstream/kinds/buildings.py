"""Buildings: OpenStreetMap footprints from Overpass, cached per fixed grid cell.

A box is answered from the BUILDINGS_CELL_DEGREES grid cells it touches. Each
cell is fetched with the server-built building query and stored on its own as
a compact list of ways (with their node coordinates and a resolved height),
so overlapping boxes share entries and Overpass never sees a client's query.
"""

import json
import logging
import math
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from backend_django.core.exceptions import ApplicationError

from .. import guards
from ..cache.store import Entry, NewEntry
from ..clients import overpass
from .base import Kind

logger = logging.getLogger(__name__)

UNIT_PREFIX = "bcell:"

# The only raw Overpass query accepted from clients (POST /api/v1/overpass/).
ACCEPTED_QUERY_SHAPE = (
    '[out:json][timeout:N];(way["building"](south,west,north,east););out body;>;out skel qt;'
)
_NUMBER = r"(-?\d{1,3}(?:\.\d+)?)"
_QUERY_RE = re.compile(
    r"^\s*\[out:json\]\s*(?:\[timeout:\d{1,3}\]\s*)?;\s*"
    r'\(\s*way\s*\[\s*"?building"?\s*\]\s*\(\s*'
    + r"\s*,\s*".join([_NUMBER] * 4)
    + r"\s*\)\s*;\s*\)\s*;\s*out\s+body\s*;\s*>\s*;\s*out\s+skel\s+qt\s*;\s*$"
)
_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(m|meters|metres|ft|feet|')?\s*$", re.IGNORECASE)


# --- boxes and cells ---------------------------------------------------------

BBox = tuple[float, float, float, float]  # south, west, north, east (degrees)

# A tolerance keeps a value that sits on a cell line (0.03 / 0.01 is
# 2.9999999999999996 in floating point) on the line rather than a cell off.
_EPSILON = 1e-9


def _cell_ranges(south: float, west: float, north: float, east: float) -> tuple[range, range]:
    """The grid rows and columns a box touches."""
    size = settings.BUILDINGS_CELL_DEGREES
    rows = range(math.floor(south / size + _EPSILON), math.ceil(north / size - _EPSILON))
    cols = range(math.floor(west / size + _EPSILON), math.ceil(east / size - _EPSILON))
    return rows, cols


def validate_bbox(south: float, west: float, north: float, east: float) -> BBox:
    values = (south, west, north, east)
    if not all(math.isfinite(v) for v in values):
        raise ApplicationError("bbox: every value must be a finite number.", code="invalid")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ApplicationError("bbox: south and north must be between -90 and 90.", code="invalid")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ApplicationError("bbox: west and east must be between -180 and 180.", code="invalid")
    if south >= north:
        raise ApplicationError("bbox: south must be less than north.", code="invalid")
    if west >= east:
        raise ApplicationError(
            "bbox: west must be less than east (boxes across the antimeridian are not supported).",
            code="invalid",
        )
    area = (north - south) * (east - west)
    if area > settings.BUILDINGS_MAX_BBOX_AREA:
        raise ApplicationError(
            f"bbox: the box covers {area:.6f} square degrees; the limit is "
            f"{settings.BUILDINGS_MAX_BBOX_AREA} (about a 3 km square at mid latitudes).",
            code="invalid",
        )
    rows, cols = _cell_ranges(south, west, north, east)
    cells = len(rows) * len(cols)
    if cells > settings.BUILDINGS_MAX_CELLS:
        raise ApplicationError(
            f"bbox: the box spans {cells} grid cells of {settings.BUILDINGS_CELL_DEGREES}°; the limit is "
            f"{settings.BUILDINGS_MAX_CELLS} (a long thin box covers many cells).",
            code="invalid",
        )
    return values


def parse_bbox(text: str | None) -> BBox:
    """``south,west,north,east`` in decimal degrees, validated."""
    if not text:
        raise ApplicationError("bbox: required, as south,west,north,east.", code="invalid")
    parts = text.split(",")
    if len(parts) != 4:
        raise ApplicationError("bbox: expected four numbers: south,west,north,east.", code="invalid")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError as exc:
        raise ApplicationError("bbox: expected four numbers: south,west,north,east.", code="invalid") from exc
    return validate_bbox(*values)


def parse_overpass_query(query: object) -> BBox:
    """The box of a raw building-in-a-box Overpass query; anything else is refused."""
    match = _QUERY_RE.match(query) if isinstance(query, str) and len(query) < 500 else None
    if not match:
        raise ApplicationError(
            f"query: only the building-in-a-box query is accepted: {ACCEPTED_QUERY_SHAPE}",
            code="unsupported_query",
        )
    return validate_bbox(*(float(group) for group in match.groups()))


def overpass_query_for(bbox: BBox) -> str:
    """The canonical query text for a box (what result URLs carry)."""
    return overpass.building_query(*bbox)


def cells_for_bbox(south: float, west: float, north: float, east: float) -> list[tuple[int, int]]:
    rows, cols = _cell_ranges(south, west, north, east)
    return [(row, col) for row in rows for col in cols]


def cell_unit(row: int, col: int) -> str:
    return f"{UNIT_PREFIX}{row}:{col}"


def parse_cell_unit(unit: str) -> tuple[int, int]:
    _, row, col = unit.split(":")
    return int(row), int(col)


def cell_bbox(row: int, col: int) -> BBox:
    size = settings.BUILDINGS_CELL_DEGREES
    digits = max(0, -math.floor(math.log10(size))) + 2
    return (
        round(row * size, digits),
        round(col * size, digits),
        round((row + 1) * size, digits),
        round((col + 1) * size, digits),
    )


# --- one cell: Overpass answer → stored payload --------------------------------


def _length_metres(value: str | None) -> float | None:
    if not value:
        return None
    match = _LENGTH.match(value.replace(",", "."))
    if not match:
        return None
    number = float(match.group(1))
    unit = (match.group(2) or "m").lower()
    metres = number * 0.3048 if unit in ("ft", "feet", "'") else number
    return round(metres, 2) if 0 < metres < 1000 else None


def resolve_height(tags: dict) -> tuple[float, float | None, str]:
    """(height in metres, levels, where the height came from)."""
    levels: float | None
    try:
        levels = float(tags.get("building:levels", "").replace(",", "."))
        if not (0 < levels < 300):
            levels = None
    except ValueError:
        levels = None
    height = _length_metres(tags.get("height"))
    if height is not None:
        return height, levels, "tag"
    if levels is not None:
        return round(levels * settings.BUILDINGS_METRES_PER_LEVEL, 2), levels, "levels"
    return settings.BUILDINGS_DEFAULT_HEIGHT_M, None, "default"


def cell_payload(body: dict) -> dict:
    """What a cell stores: its building ways with coordinates and heights."""
    nodes = {
        element["id"]: (element["lat"], element["lon"])
        for element in body["elements"]
        if element.get("type") == "node" and "lat" in element and "lon" in element
    }
    ways = []
    for element in body["elements"]:
        if element.get("type") != "way" or "building" not in element.get("tags", {}):
            continue
        node_ids = element.get("nodes", [])
        if len(node_ids) < 4 or any(node_id not in nodes for node_id in node_ids):
            continue  # not a closed ring, or incomplete: cannot draw it
        height, levels, source = resolve_height(element["tags"])
        ways.append(
            {
                "id": element["id"],
                "nodes": node_ids,
                "tags": element["tags"],
                "height_m": height,
                "levels": levels,
                "height_source": source,
            }
        )
    used = {node_id for way in ways for node_id in way["nodes"]}
    return {
        "osm_base": body.get("osm3s", {}).get("timestamp_osm_base"),
        "ways": ways,
        "nodes": {str(node_id): list(nodes[node_id]) for node_id in sorted(used)},
    }


def fetch_cell(unit: str) -> dict:
    return cell_payload(overpass.fetch_buildings(*cell_bbox(*parse_cell_unit(unit))))


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """One cell's buildings, asked with the server-built query under an Overpass slot.

    A refresh that finds the same ways and nodes keeps the stored bytes (with
    their older ``osm_base``, still true of the data), so the entry's ETag,
    clients' caches and the entries derived from the cell (the sun) stay as
    they are: only the freshness is renewed.
    """
    with guards.request(overpass.UPSTREAM, pool=pool):
        payload = fetch_cell(unit)
    logger.info("buildings %s fetched (%d ways)", unit, len(payload["ways"]))
    if existing is not None:
        try:
            stored = existing.json()
        except ValueError:
            stored = {}
        if stored.get("ways") == payload["ways"] and stored.get("nodes") == payload["nodes"]:
            return [KIND.entry(unit, existing.raw())]
    return [KIND.entry(unit, encode(payload))]


def plan_bbox(lat: float, lng: float) -> BBox:
    """The box a plan page shows buildings in: PLAN_BUILDINGS_RADIUS_DEGREES around its point."""
    radius = settings.PLAN_BUILDINGS_RADIUS_DEGREES
    return (
        max(-90.0, lat - radius),
        max(-180.0, lng - radius),
        min(90.0, lat + radius),
        min(180.0, lng + radius),
    )


# The buildings box of a place is centred on this grid (about 110 m north-south).
BOX_GRID_DEGREES = 0.001


def place_bbox(lat: float, lng: float) -> BBox:
    """The canonical buildings box of a point: PLAN_BUILDINGS_RADIUS_DEGREES around it (its
    plan box) grown by half a BOX_GRID_DEGREES step and centred on that grid, so that every
    point of one grid square gets the same box, and the shared cache the same URL (decision 0021)."""
    step = BOX_GRID_DEGREES
    centre_lat = round(math.floor(lat / step + 0.5) * step, 6)
    centre_lng = round(math.floor(lng / step + 0.5) * step, 6)
    radius = settings.PLAN_BUILDINGS_RADIUS_DEGREES + step / 2
    return (
        round(max(-90.0, centre_lat - radius), 6),
        round(max(-180.0, centre_lng - radius), 6),
        round(min(90.0, centre_lat + radius), 6),
        round(min(180.0, centre_lng + radius), 6),
    )


def bbox_text(bbox: BBox) -> str:
    """``south,west,north,east`` with at most 6 decimals, trailing zeros dropped (the URLs')."""
    return ",".join(f"{value:.6f}".rstrip("0").rstrip(".") for value in bbox)


def box_url(bbox: BBox) -> str:
    """The canonical URL of the buildings in a box."""
    return f"/api/v1/buildings/?{urlencode({'bbox': bbox_text(bbox)})}"


def units_for_place(lat: float, lng: float) -> list[str]:
    """The cells of the box the plan page asks for (its canonical box, which covers
    ``plan_bbox``), so that warming fills what the page reads."""
    return [cell_unit(*cell) for cell in cells_for_bbox(*place_bbox(lat, lng))]


# --- answers for a box, from cell payloads -------------------------------------


def _ways_in_box(payloads: list[dict], bbox: BBox) -> list[tuple[dict, list[list[float]], dict]]:
    """Each way touching the box once, with its ring as [lat, lon] pairs."""
    south, west, north, east = bbox
    seen: set[int] = set()
    found = []
    for payload in payloads:
        nodes = payload["nodes"]
        for way in payload["ways"]:
            if way["id"] in seen:
                continue
            ring = [nodes[str(node_id)] for node_id in way["nodes"]]
            lats = [point[0] for point in ring]
            lons = [point[1] for point in ring]
            if max(lats) < south or min(lats) > north or max(lons) < west or min(lons) > east:
                continue
            seen.add(way["id"])
            found.append((way, ring, nodes))
    return found


def _clip(ring: list[tuple[float, float]], bbox: BBox) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a polygon (x=lon, y=lat) inside the box."""
    south, west, north, east = bbox
    edges = (
        (lambda p: p[0] >= west, lambda a, b: _cross_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _cross_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _cross_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _cross_y(a, b, north)),
    )
    points = ring[:-1] if ring and ring[0] == ring[-1] else list(ring)
    for inside, cross in edges:
        if not points:
            break
        result = []
        previous = points[-1]
        for current in points:
            if inside(current):
                if not inside(previous):
                    result.append(cross(previous, current))
                result.append(current)
            elif inside(previous):
                result.append(cross(previous, current))
            previous = current
        points = result
    if len(points) < 3:
        return []
    return [*points, points[0]]


def _cross_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def feature_collection(payloads: list[dict], bbox: BBox) -> dict:
    """GeoJSON footprints clipped to the box, one feature per OSM way."""
    features: list[dict[str, Any]] = []
    for way, ring, _ in _ways_in_box(payloads, bbox):
        lonlat = [(round(lon, 7), round(lat, 7)) for lat, lon in ring]
        clipped = _clip(lonlat, bbox)
        if not clipped:
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"way/{way['id']}",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[round(x, 7), round(y, 7)] for x, y in clipped]],
                },
                "properties": {
                    "osm_id": way["id"],
                    "height_m": way["height_m"],
                    "levels": way["levels"],
                    "height_source": way["height_source"],
                    "clipped": len(clipped) != len(lonlat) or clipped != lonlat,
                    "name": way["tags"].get("name"),
                },
            }
        )
    features.sort(key=lambda feature: feature["properties"]["osm_id"])
    return {"type": "FeatureCollection", "bbox": [bbox[1], bbox[0], bbox[3], bbox[2]], "features": features}


def overpass_body(payloads: list[dict], bbox: BBox, osm_base: str | None) -> dict:
    """What Overpass itself would answer for the building-in-a-box query."""
    ways = []
    node_elements: dict[int, dict] = {}
    for way, ring, _ in _ways_in_box(payloads, bbox):
        ways.append({"type": "way", "id": way["id"], "nodes": way["nodes"], "tags": way["tags"]})
        for node_id, (lat, lon) in zip(way["nodes"], ring, strict=True):
            node_elements[node_id] = {"type": "node", "id": node_id, "lat": lat, "lon": lon}
    ways.sort(key=lambda element: element["id"])
    return {
        "version": 0.6,
        "generator": "Solar Sim cache (Overpass API data)",
        "osm3s": {
            "timestamp_osm_base": osm_base,
            "copyright": (
                "The data included in this document is from www.openstreetmap.org. "
                "The data is made available under ODbL."
            ),
        },
        "elements": ways + [node_elements[key] for key in sorted(node_elements)],
    }


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


KIND = Kind(
    name="buildings",
    unit_prefix=UNIT_PREFIX,
    upstream="overpass",
    label="Overpass (buildings)",
    fresh_setting="BUILDINGS_FRESH_SECONDS",
    stale_setting="BUILDINGS_STALE_SECONDS",
    content_type="application/json",
    fetch=fetch_entries,
    units_for_place=units_for_place,
    urls_for_place=lambda lat, lng: {"buildings": box_url(place_bbox(lat, lng))},
    urls={
        "buildings": "Buildings in a box around the point, snapped to a 0.001° grid (covers the plan's "
        "PLAN_BUILDINGS_RADIUS_DEGREES box)."
    },
    endpoints=("buildings",),
)
