"""The geocoder: place search and reverse lookup on Nominatim or Photon.

``GEOCODER_URL`` names the service (the public Nominatim by default; a
self-hosted Nominatim, or a Photon instance with ``GEOCODER_API=photon``,
can stand in), so the deployment can switch at the operator's request
without a release. Both answer in their own formats; this module turns them
into one shape, a *place*:

    {"name", "display_name", "lat", "lng", "country", "country_code",
     "bbox": [south, west, north, east] | None, "category", "type", "osm_id"}

Every request names the deployment in its User-Agent with the operator's
contact (``UPSTREAM_CONTACT``, clients/http.py), as Nominatim's usage policy asks. The pace
(one request at a time, one a second) is kept by the caller (guards/pacing.py).
"""

import math
from typing import Any

import requests
from django.conf import settings

from . import http

NOMINATIM, PHOTON = "nominatim", "photon"
UPSTREAM = "geocoder"


def _get(path: str, params: dict[str, Any]) -> Any:
    response = http.request(
        "GET",
        settings.GEOCODER_URL.rstrip("/") + path,
        upstream=UPSTREAM,
        read_timeout=settings.GEOCODER_READ_TIMEOUT,
        params=params,
        headers={"Accept": "application/json"},
    )
    return json_value(response)


def json_value(response: requests.Response) -> Any:
    """The JSON of an answer (an array or an object); an HTML page or anything else is an error."""
    return http.json_value(response, UPSTREAM)


def search(query: str) -> list[dict]:
    """Places matching ``query``, best first (at most GEOCODER_RESULTS; [] for none)."""
    if settings.GEOCODER_API == PHOTON:
        body = _get(
            "/api",
            {"q": query, "limit": settings.GEOCODER_RESULTS, "lang": settings.GEOCODER_LANGUAGE},
        )
        return _unique([place for place in map(_photon_place, _photon_features(body)) if place])
    body = _get(
        "/search",
        {
            "q": query,
            "format": "jsonv2",
            "limit": settings.GEOCODER_RESULTS,
            "addressdetails": 1,
            "accept-language": settings.GEOCODER_LANGUAGE,
        },
    )
    if isinstance(body, dict) and "error" in body:
        raise _refusal(body)
    if not isinstance(body, list):
        raise http.invalid_response(UPSTREAM, "the answer is not a list")
    return _unique([place for place in map(_nominatim_place, body) if place])


def reverse(lat: float, lng: float) -> dict | None:
    """The place at a point (an address where there is one), or None (open sea)."""
    if settings.GEOCODER_API == PHOTON:
        body = _get(
            "/reverse", {"lat": f"{lat:.5f}", "lon": f"{lng:.5f}", "lang": settings.GEOCODER_LANGUAGE}
        )
        places = [place for place in map(_photon_place, _photon_features(body)) if place]
        return places[0] if places else None
    body = _get(
        "/reverse",
        {
            "lat": f"{lat:.5f}",
            "lon": f"{lng:.5f}",
            "format": "jsonv2",
            "zoom": 18,
            "addressdetails": 1,
            "accept-language": settings.GEOCODER_LANGUAGE,
        },
    )
    if not isinstance(body, dict):
        raise http.invalid_response(UPSTREAM, "the answer is not an object")
    if "error" in body:
        if body["error"] == "Unable to geocode":  # nothing there (open sea): an answer, not a failure
            return None
        raise _refusal(body)
    place = _nominatim_place(body)
    if place is None:
        raise http.invalid_response(UPSTREAM, "the place has no position")
    return place


def _refusal(body: dict) -> http.UpstreamError:
    error = body["error"]
    message = error.get("message") if isinstance(error, dict) else error
    return http.UpstreamError(
        "upstream_rejected", "The place search service refused this search.", False,
        detail=http.sanitise(str(message)),
    )  # fmt: skip


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _position(lat: Any, lng: Any) -> tuple[float, float] | None:
    lat, lng = _number(lat), _number(lng)
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return round(lat, 7), round(lng, 7)


def _box(south: Any, west: Any, north: Any, east: Any) -> list[float] | None:
    values = [_number(value) for value in (south, west, north, east)]
    if any(value is None for value in values):
        return None
    south, west, north, east = values
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        return None
    return [round(value, 7) for value in (south, west, north, east)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _nominatim_place(item: Any) -> dict | None:
    """A Nominatim place (jsonv2, or json with ``class``) in the common shape; None if unusable."""
    if not isinstance(item, dict):
        return None
    position = _position(item.get("lat"), item.get("lon"))
    display_name = _text(item.get("display_name"))
    if position is None or not display_name:
        return None
    address = item.get("address")
    if not isinstance(address, dict):
        address = {}
    bbox = None
    box = item.get("boundingbox")
    if isinstance(box, list) and len(box) == 4:
        south, north, west, east = box  # Nominatim's order
        bbox = _box(south, west, north, east)
    osm_type, osm_id = _text(item.get("osm_type")), item.get("osm_id")
    street = " ".join(
        part for part in (_text(address.get("house_number")), _text(address.get("road"))) if part
    )
    return {
        "name": _text(item.get("name")) or street or display_name.split(",")[0].strip(),
        "display_name": display_name,
        "lat": position[0],
        "lng": position[1],
        "country": _text(address.get("country")),
        "country_code": _text(address.get("country_code")).lower(),
        "bbox": bbox,
        "category": _text(item.get("category") or item.get("class")),
        "type": _text(item.get("type")),
        "osm_id": f"{osm_type}/{osm_id}" if osm_type and isinstance(osm_id, int | str) else "",
    }


_PHOTON_OSM_TYPES = {"N": "node", "W": "way", "R": "relation"}
# The parts of a Photon place's address, most specific first.
_PHOTON_PARTS = ("name", "street", "district", "city", "county", "state", "country")


def _photon_features(body: Any) -> list:
    if not isinstance(body, dict) or not isinstance(body.get("features"), list):
        if isinstance(body, dict) and "message" in body:
            raise http.UpstreamError(
                "upstream_rejected", "The place search service refused this search.", False,
                detail=http.sanitise(str(body["message"])),
            )  # fmt: skip
        raise http.invalid_response(UPSTREAM, "the answer has no features")
    return body["features"]


def _photon_place(feature: Any) -> dict | None:
    """A Photon GeoJSON feature in the common shape; None if unusable."""
    if not isinstance(feature, dict):
        return None
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        geometry = {}
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) != 2:
        return None
    position = _position(coordinates[1], coordinates[0])
    if position is None:
        return None
    street = " ".join(
        part for part in (_text(properties.get("housenumber")), _text(properties.get("street"))) if part
    )
    parts: list[str] = []
    for key in _PHOTON_PARTS:
        value = street if key == "street" else _text(properties.get(key))
        if value and value not in parts:
            parts.append(value)
    if not parts:
        return None
    bbox = None
    extent = properties.get("extent")
    if isinstance(extent, list) and len(extent) == 4:
        west, north, east, south = extent  # Photon's order
        bbox = _box(south, west, north, east)
    osm_type = _PHOTON_OSM_TYPES.get(_text(properties.get("osm_type")), "")
    osm_id = properties.get("osm_id")
    return {
        "name": parts[0],
        "display_name": ", ".join(parts),
        "lat": position[0],
        "lng": position[1],
        "country": _text(properties.get("country")),
        "country_code": _text(properties.get("countrycode")).lower(),
        "bbox": bbox,
        "category": _text(properties.get("osm_key")),
        "type": _text(properties.get("osm_value")),
        "osm_id": f"{osm_type}/{osm_id}" if osm_type and isinstance(osm_id, int | str) else "",
    }


def _unique(places: list[dict]) -> list[dict]:
    """Places with the same name at the same spot once (a town as node and as boundary)."""
    seen: set[tuple] = set()
    kept = []
    for place in places:
        key = (place["display_name"], round(place["lat"], 3), round(place["lng"], 3))
        if key not in seen:
            seen.add(key)
            kept.append(place)
    return kept
