"""Garden beds on a plan: a GeoJSON FeatureCollection of Polygons, checked and measured.

A plan's ``beds`` (docs/plans.md, "Beds") is

    {"type": "FeatureCollection", "features": [
      {"type": "Feature", "id": "b1",
       "geometry": {"type": "Polygon", "coordinates": [[[lng, lat], ..., [lng, lat]]]},
       "properties": {"name": "Tomatoes", "plants": [12, 40]}}]}

``beds_clean`` checks it and returns it normalised (names trimmed, ``plants``
filled in with ``[]``); every problem is one message naming its bed, e.g.
``bed "Tomatoes" (b1): its outline crosses itself.`` The rules:

- at most MAX_BEDS beds, each a Feature with a unique string ``id`` (1 to
  MAX_ID_LENGTH characters), ``properties.name`` (1 to MAX_NAME_LENGTH
  characters after trimming) and ``properties.plants`` (ids of catalogue
  plants, at most MAX_PLANTS, no repeats; default ``[]``); no other keys;
- the geometry a Polygon of closed rings (the last position repeats the
  first) of ``[longitude, latitude]`` pairs, at most MAX_VERTICES corners in
  all its rings, valid in shapely's sense (no ring crossing or touching
  itself, holes inside the outline) and with an area;
- every bed inside the plan's sun square: the SUN_SIZE_M square of the sun
  site the plan's point snaps to (``upstream.kinds.sun``), which is what the
  bed's sun hours are read from.

Areas are measured in local metres: the polygon's degrees scaled by the
WGS84 metres per degree at the bed's latitude, which over a bed (at most
the 100 m square) differs from a geodesic area by far less than a
thousandth.
"""

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from backend_django.core.exceptions import ApplicationError
from backend_django.upstream.kinds import sun
from backend_django.upstream.kinds.sun.site import MAX_ABS_LATITUDE

MAX_BEDS = 50
MAX_VERTICES = 200
MAX_PLANTS = 50
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
_MAX_PLANT_ID = 2**63 - 1

# The GeoJSON types a plan's beds are made of (the API contract names their enums).
GEOJSON_COLLECTION = ["FeatureCollection"]
GEOJSON_FEATURE = ["Feature"]
GEOJSON_POLYGON = ["Polygon"]

FEATURE_KEYS = {"type", "id", "geometry", "properties"}
PROPERTY_KEYS = {"name", "plants"}
COLLECTION_KEYS = {"type", "features"}

# shapely's explain_validity reasons ("Self-intersection[x y]"), in words.
_VALIDITY_MESSAGES = {
    "Self-intersection": "its outline crosses itself.",
    "Ring Self-intersection": "its outline touches itself at a corner.",
    "Too few points": "its outline has fewer than 3 distinct corners.",
    "Hole lies outside shell": "a hole lies outside its outline.",
    "Nested holes": "one of its holes lies inside another.",
    "Interior is disconnected": "its holes cut it into pieces.",
    "Nested shells": "its rings overlap.",
    "Duplicate Rings": "two of its rings are the same.",
    "Invalid Coordinate": "a position is not a valid coordinate.",
}


def beds_empty() -> dict[str, Any]:
    """A plan without beds (the field's default)."""
    return {"type": "FeatureCollection", "features": []}


@dataclass(frozen=True)
class Square:
    """The plan's sun square: (west, south, east, north) in degrees, and its site."""

    site: sun.Site
    west: float
    south: float
    east: float
    north: float

    def polygon(self) -> Polygon:
        return shapely.box(self.west, self.south, self.east, self.north)

    def describe(self) -> str:
        size = sun.parameters_from_settings().size_m
        return f"the {size:g} m square around its sun site at {self.site.lat:g}, {self.site.lng:g}"


def sun_square(*, latitude: float, longitude: float) -> Square:
    """The square of the sun site a point snaps to (ApplicationError beyond 85° N/S)."""
    site = sun.site_snap(lat=latitude, lng=longitude)
    parameters = sun.parameters_from_settings()
    west, south, east, north = sun.site_grid(site=site, parameters=parameters).bounds(with_margin=False)
    return Square(site, west, south, east, north)


def bed_label(index: int, feature: Any) -> str:
    """How messages name a bed: ``bed "Tomatoes" (b1)``, or what of that it has."""
    name = bed_id = None
    if isinstance(feature, Mapping):
        properties = feature.get("properties")
        if isinstance(properties, Mapping) and isinstance(properties.get("name"), str):
            name = properties["name"].strip()
            name = name if 0 < len(name) <= MAX_NAME_LENGTH else None
        if isinstance(feature.get("id"), str) and 0 < len(feature["id"]) <= MAX_ID_LENGTH:
            bed_id = feature["id"]
    if name and bed_id:
        return f'bed "{name}" ({bed_id})'
    if bed_id:
        return f"bed {bed_id}"
    if name:
        return f'bed "{name}" (number {index + 1})'
    return f"bed number {index + 1}"


class _BedError(Exception):
    """One bed's first problem, in words (the caller names the bed)."""


def _keys_message(what: str, unknown: Iterable[str], allowed: Iterable[str]) -> str:
    listed = ", ".join(f'"{key}"' for key in sorted(allowed))
    return f"{what} has keys it may not have: {', '.join(sorted(map(str, unknown)))} (allowed: {listed})."


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _BedError(f"{where} is not a [longitude, latitude] pair.")
    numbers = []
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise _BedError(f"{where} is not a [longitude, latitude] pair of numbers.")
        try:
            number = float(number)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise _BedError(f"{where} is not a finite number.")
        numbers.append(number)
    lng, lat = numbers
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise _BedError(f"{where} is not a point on the Earth ([longitude, latitude] in degrees).")
    return lng, lat


def _ring(value: Any, name: str) -> list[tuple[float, float]]:
    positions = [_position(item, f"a position of {name}") for item in value]
    if len(positions) < 4:
        raise _BedError(f"{name} needs at least 3 corners and the first repeated at the end.")
    if positions[0] != positions[-1]:
        raise _BedError(f"{name} is not closed: its last position must repeat the first.")
    return positions


def _polygon(geometry: Any) -> Polygon:
    if not isinstance(geometry, Mapping):
        raise _BedError('its geometry must be a GeoJSON Polygon ({"type": "Polygon", "coordinates": [...]}).')
    kind = geometry.get("type")
    if kind != "Polygon":
        got = f" (got {kind})" if isinstance(kind, str) else ""
        raise _BedError(f"its geometry must be a Polygon{got}.")
    if set(geometry) - {"type", "coordinates"}:
        raise _BedError(
            _keys_message("its geometry", set(geometry) - {"type", "coordinates"}, {"type", "coordinates"})
        )
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise _BedError("its geometry has no outline (coordinates: a list of rings, the outline first).")
    names = ["its outline", *(f"hole {number}" for number in range(1, len(rings)))]
    for ring, name in zip(rings, names, strict=True):
        if not isinstance(ring, list):
            raise _BedError(f"{name} is not a list of positions.")
    # Counted before the positions are read: a long list is refused without reading it.
    corners = sum(max(0, len(ring) - 1) for ring in rings)
    if corners > MAX_VERTICES:
        raise _BedError(f"has {corners} corners; at most {MAX_VERTICES}.")
    parsed = [_ring(ring, name) for ring, name in zip(rings, names, strict=True)]
    polygon = Polygon(parsed[0], parsed[1:])
    if not polygon.is_valid:
        reason = explain_validity(polygon).split("[", 1)[0].strip()
        raise _BedError(
            _VALIDITY_MESSAGES.get(reason, f"its outline is not a valid polygon ({reason.lower()}).")
        )
    if polygon.area <= 0:
        raise _BedError("its outline has no area.")
    return polygon


def _name(properties: Mapping) -> str:
    name = properties.get("name")
    if not isinstance(name, str):
        raise _BedError(f"properties.name must be a string of 1 to {MAX_NAME_LENGTH} characters.")
    name = name.strip()
    if not name:
        raise _BedError("properties.name must not be empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise _BedError(f"its name is {len(name)} characters long; at most {MAX_NAME_LENGTH}.")
    return name


def _plants(properties: Mapping) -> list[int]:
    plants = properties.get("plants", [])
    if not isinstance(plants, list):
        raise _BedError("properties.plants must be a list of plant ids.")
    if len(plants) > MAX_PLANTS:
        raise _BedError(f"has {len(plants)} plants; at most {MAX_PLANTS}.")
    seen: set[int] = set()
    for plant in plants:
        if isinstance(plant, bool) or not isinstance(plant, int) or not 0 < plant <= _MAX_PLANT_ID:
            raise _BedError("properties.plants must hold plant ids (whole numbers from GET plants/).")
        if plant in seen:
            raise _BedError(f"lists plant {plant} twice.")
        seen.add(plant)
    return list(plants)


@dataclass(frozen=True)
class Bed:
    """One checked bed: its feature as stored, and its outline."""

    id: str
    name: str
    plants: tuple[int, ...]
    polygon: Polygon
    feature: dict[str, Any]


def _bed(feature: Any, index: int) -> Bed:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise _BedError('is not a GeoJSON Feature ({"type": "Feature", "id", "geometry", "properties"}).')
    unknown = set(feature) - FEATURE_KEYS
    if unknown:
        raise _BedError(_keys_message("it", unknown, FEATURE_KEYS))
    bed_id = feature.get("id")
    if not isinstance(bed_id, str) or not 0 < len(bed_id) <= MAX_ID_LENGTH:
        raise _BedError(f"its id must be a string of 1 to {MAX_ID_LENGTH} characters.")
    properties = feature.get("properties")
    if not isinstance(properties, Mapping):
        raise _BedError('its properties must be an object with "name" and "plants".')
    unknown = set(properties) - PROPERTY_KEYS
    if unknown:
        raise _BedError(_keys_message("its properties", unknown, PROPERTY_KEYS))
    name = _name(properties)
    plants = _plants(properties)
    polygon = _polygon(feature.get("geometry"))
    stored = {
        "type": "Feature",
        "id": bed_id,
        "geometry": {"type": "Polygon", "coordinates": feature["geometry"]["coordinates"]},
        "properties": {"name": name, "plants": plants},
    }
    return Bed(bed_id, name, tuple(plants), polygon, stored)


def beds_parse(value: Any) -> list[Bed]:
    """The beds of a stored collection (checked when it was stored), with their outlines:
    every ring of every bed made in two vectorised shapely calls."""
    features = value.get("features", []) if isinstance(value, Mapping) else []
    if not features:
        return []
    points: list[list[float]] = []
    ring_of_point: list[int] = []
    bed_of_ring: list[int] = []
    for index, feature in enumerate(features):
        for ring in feature["geometry"]["coordinates"]:
            ring_of_point += [len(bed_of_ring)] * len(ring)
            points += ring
            bed_of_ring.append(index)
    # Arrays of geometries (np.asarray: the stubs also allow a lone geometry back).
    rings = np.asarray(
        shapely.linearrings(np.array(points, dtype=np.float64), indices=np.array(ring_of_point))
    )
    polygons = np.asarray(shapely.polygons(rings, indices=np.array(bed_of_ring)))
    return [
        Bed(
            feature["id"],
            feature["properties"]["name"],
            tuple(feature["properties"].get("plants", ())),
            polygon,
            feature,
        )
        for feature, polygon in zip(features, polygons, strict=True)
    ]


def beds_clean(
    value: Any,
    *,
    latitude: float | None,
    longitude: float | None,
    known_plants: Iterable[int] = (),
    plants_exist: Callable[[set[int]], Iterable[int]] | None = None,
) -> dict[str, Any]:
    """``value`` checked and normalised, or ``ValidationError`` with one message per bad bed.

    ``latitude``/``longitude``: the plan's point (None when it is not valid
    itself: the beds are then checked without their square);
    ``plants_exist(ids) -> set``: which of the plant ids are in the catalogue
    (None: not checked), asked once for every id not in ``known_plants``
    (those already on the stored plan, kept even if the catalogue dropped
    them since).
    """
    if not isinstance(value, Mapping) or value.get("type") != "FeatureCollection":
        raise ValidationError(
            'Must be a GeoJSON FeatureCollection: {"type": "FeatureCollection", "features": [...]}.',
            code="invalid",
        )
    unknown = set(value) - COLLECTION_KEYS
    if unknown:
        raise ValidationError(_keys_message("The collection", unknown, COLLECTION_KEYS), code="invalid")
    features = value.get("features")
    if not isinstance(features, list):
        raise ValidationError("features: must be a list of beds.", code="invalid")
    if len(features) > MAX_BEDS:
        raise ValidationError(f"Has {len(features)} beds; at most {MAX_BEDS}.", code="too_many")

    errors: list[str] = []
    beds: list[tuple[int, Bed]] = []
    for index, feature in enumerate(features):
        try:
            beds.append((index, _bed(feature, index)))
        except _BedError as exc:
            errors.append(f"{bed_label(index, feature)}: {exc}")

    first_index: dict[str, int] = {}
    for index, bed in beds:
        if bed.id in first_index:
            errors.append(
                f"{bed_label(index, features[index])}: its id is also the id of bed number "
                f"{first_index[bed.id] + 1}; each bed needs its own."
            )
        else:
            first_index[bed.id] = index

    if latitude is not None and longitude is not None and beds:
        try:
            square = sun_square(latitude=latitude, longitude=longitude)
        except ApplicationError:
            errors.append(
                f"this plan lies beyond {MAX_ABS_LATITUDE:g}° north or south, where sun and "
                "shade are not computed: it cannot hold beds."
            )
        else:
            area = square.polygon()
            for index, bed in beds:
                if not area.covers(bed.polygon):
                    errors.append(
                        f"{bed_label(index, features[index])}: lies outside the plan's sun square "
                        f"({square.describe()}); draw it inside, or move the plan."
                    )

    if plants_exist is not None:
        known = set(known_plants)
        wanted = {plant for _, bed in beds for plant in bed.plants if plant not in known}
        found = set(plants_exist(wanted)) if wanted else set()
        for index, bed in beds:
            missing = [plant for plant in bed.plants if plant in wanted and plant not in found]
            if missing:
                listed = ", ".join(str(plant) for plant in missing)
                noun = "plant" if len(missing) == 1 else "plants"
                verb = "is" if len(missing) == 1 else "are"
                errors.append(
                    f"{bed_label(index, features[index])}: {noun} {listed} {verb} not in the catalogue."
                )

    if errors:
        raise ValidationError(errors, code="invalid")
    return {"type": "FeatureCollection", "features": [bed.feature for _, bed in beds]}


def beds_plant_ids(value: Any) -> set[int]:
    """Every plant id named in a stored collection (for the checks of a change)."""
    ids: set[int] = set()
    features = value.get("features", []) if isinstance(value, Mapping) else []
    for feature in features if isinstance(features, list) else []:
        properties = feature.get("properties") if isinstance(feature, Mapping) else None
        plants = properties.get("plants") if isinstance(properties, Mapping) else None
        if isinstance(plants, list):
            ids.update(plant for plant in plants if isinstance(plant, int) and not isinstance(plant, bool))
    return ids


def bed_area_m2(polygon: Polygon) -> float:
    """The bed's area in square metres, in local metres around its centroid: the area in
    square degrees scaled by the metres per degree of latitude and of longitude there."""
    per_lat, per_lng = sun.metres_per_degree(polygon.centroid.y)
    return float(polygon.area * per_lat * per_lng)
