"""The simulator's geocoder data: a small gazetteer of real places, and deterministic stand-ins.

Pure functions of their arguments (no clock, no randomness), so tests can
compute what the simulated Nominatim and Photon will answer.

Search (``search(query, limit)``)
    A place matches when every word of the query (accents and case folded)
    starts one of the words of its names, as a real geocoder roughly does:
    "portland, or" finds Portland, Oregon and not Portland, Maine; "munchen"
    finds Munich through its local name. Matches come best first (by
    ``importance``). A query that matches nothing in ``PLACES`` and has at
    least three letters gets one made-up place named after it, in the country
    "Simulatia" (code ``zz``) at a point derived from a hash of the folded
    query; a query containing "nowhere" (or with fewer letters) finds nothing.

Reverse (``reverse(lat, lng)``)
    Within ``NEAR_DEGREES`` of a town of ``PLACES``: a house on a made-up
    road of that town (number and road from a hash of the point rounded to 4
    decimals). In the open sea (``is_sea``: the polar seas beyond 75°, and
    boxes of the Pacific, South Atlantic and Indian oceans): nothing. Anywhere
    else: a house in a made-up village of Simulatia.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"
NEAR_DEGREES = 0.5


@dataclass(frozen=True)
class Place:
    osm_type: str  # node, way, relation
    osm_id: int
    name: str
    display_name: str
    lat: float
    lon: float
    bbox: tuple[float, float, float, float]  # south, north, west, east (Nominatim's order)
    category: str
    type: str
    importance: float
    address: dict[str, str]
    other_names: tuple[str, ...] = field(default=())

    @property
    def country(self) -> str:
        return self.address.get("country", "")

    @property
    def country_code(self) -> str:
        return self.address.get("country_code", "")


def _town(osm_id, name, display, lat, lon, box, importance, address, *, kind="city", other=()):
    return Place("relation", osm_id, name, display, lat, lon, box, "boundary", "administrative",
                 importance, {kind: name, **address}, tuple(other))  # fmt: skip


USA = {"country": "United States", "country_code": "us"}
PLACES: tuple[Place, ...] = (
    _town(186579, "Portland", "Portland, Multnomah County, Oregon, United States", 45.5202471, -122.674194,
          (45.432536, 45.6528812, -122.8367489, -122.4720252), 0.78,
          {"county": "Multnomah County", "state": "Oregon", **USA}),
    _town(132502, "Portland", "Portland, Cumberland County, Maine, United States", 43.6573605, -70.2586618,
          (43.5445, 43.7236, -70.3466, -70.1225), 0.62,
          {"county": "Cumberland County", "state": "Maine", **USA}),
    _town(2952471, "Portland", "Portland, Shire of Glenelg, Victoria, 3305, Australia", -38.3437, 141.6042,
          (-38.38, -38.30, 141.55, 141.65), 0.41,
          {"municipality": "Shire of Glenelg", "state": "Victoria", "postcode": "3305",
           "country": "Australia", "country_code": "au"}, kind="town"),
    _town(62422, "Berlin", "Berlin, Germany", 52.5173885, 13.3951309,
          (52.3382448, 52.6755087, 13.088345, 13.7611609), 0.85,
          {"country": "Germany", "country_code": "de"}),
    _town(62428, "Munich", "Munich, Bavaria, Germany", 48.1371079, 11.5753822,
          (48.0616244, 48.2481162, 11.360777, 11.7229083), 0.8,
          {"state": "Bavaria", "country": "Germany", "country_code": "de"}, other=("München", "Muenchen")),
    _town(536780, "Singapore", "Singapore", 1.2899175, 103.8519072,
          (1.1304753, 1.4504753, 103.6920359, 104.0120359), 0.82,
          {"country": "Singapore", "country_code": "sg"}),
    _town(5750005, "Sydney", "Sydney, Council of the City of Sydney, New South Wales, 2000, Australia",
          -33.8698439, 151.2082848, (-34.1732416, -33.5781409, 150.5209286, 151.3430209), 0.8,
          {"municipality": "Council of the City of Sydney", "state": "New South Wales", "postcode": "2000",
           "country": "Australia", "country_code": "au"}),
    _town(2580605, "Reykjavík", "Reykjavík, Capital Region, Iceland", 64.145981, -21.9422367,
          (64.0412, 64.1868, -21.988, -21.6523), 0.7,
          {"state": "Capital Region", "country": "Iceland", "country_code": "is"}, other=("Reykjavik",)),
    _town(1682248, "Zürich", "Zürich, District Zürich, Zürich, Switzerland", 47.3744489, 8.5410422,
          (47.3202187, 47.4346662, 8.4480061, 8.6254413), 0.72,
          {"county": "District Zürich", "state": "Zürich", "country": "Switzerland", "country_code": "ch"},
          other=("Zurich",)),
    _town(79604, "Cape Town", "Cape Town, City of Cape Town, Western Cape, 8001, South Africa",
          -33.928992, 18.417396, (-34.3598, -33.4712, 18.3074, 18.9266), 0.7,
          {"municipality": "City of Cape Town", "state": "Western Cape", "postcode": "8001",
           "country": "South Africa", "country_code": "za"}),
    _town(7444, "Paris", "Paris, Ile-de-France, Metropolitan France, France", 48.8534951, 2.3483915,
          (48.8155755, 48.902156, 2.224122, 2.4697602), 0.88,
          {"state": "Ile-de-France", "region": "Metropolitan France", "country": "France",
           "country_code": "fr"}),
    _town(115357, "Paris", "Paris, Lamar County, Texas, United States", 33.6617962, -95.555513,
          (33.6118, 33.7207, -95.6279, -95.4466), 0.5,
          {"county": "Lamar County", "state": "Texas", "country": "United States", "country_code": "us"}),
    _town(123963, "Springfield", "Springfield, Sangamon County, Illinois, United States", 39.7990175,
          -89.6439575, (39.6533, 39.8735, -89.7708, -89.5634), 0.6,
          {"county": "Sangamon County", "state": "Illinois", **USA}),
    _town(1839150, "Springfield", "Springfield, Hampden County, Massachusetts, United States", 42.1018764,
          -72.5886727, (42.0622, 42.1622, -72.6216, -72.4713), 0.58,
          {"county": "Hampden County", "state": "Massachusetts", "country": "United States",
           "country_code": "us"}),
    _town(1543125, "Tokyo", "Tokyo, Japan", 35.6768601, 139.7638947,
          (35.5012, 35.8984, 139.5629, 139.9187), 0.82, {"country": "Japan", "country_code": "jp"}),
    _town(5400890, "Lisbon", "Lisbon, Portugal", 38.7077507, -9.1365919,
          (38.6913994, 38.7967584, -9.2298356, -9.0863328), 0.75,
          {"country": "Portugal", "country_code": "pt"}, other=("Lisboa",)),
    _town(4266321, "Wellington", "Wellington, Wellington City, Wellington, New Zealand", -41.2887953,
          174.7772114, (-41.3621, -41.1431, 174.6101, 174.8937), 0.7,
          {"municipality": "Wellington City", "state": "Wellington", "country": "New Zealand",
           "country_code": "nz"}),
    _town(1345779, "Tromsø", "Tromsø, Troms, Norway", 69.6516345, 18.9558585,
          (69.6148, 69.7212, 18.8446, 19.0581), 0.6,
          {"state": "Troms", "country": "Norway", "country_code": "no"}, other=("Tromso",)),
    _town(2436359, "Quito", "Quito, Pichincha, Ecuador", -0.2201641, -78.5123274,
          (-0.3739, -0.0349, -78.5875, -78.3561), 0.65,
          {"state": "Pichincha", "country": "Ecuador", "country_code": "ec"}),
    Place("way", 4611797, "Unter den Linden", "Unter den Linden, Mitte, Berlin, 10117, Germany",
          52.5170365, 13.3888599, (52.5162, 52.5178, 13.3777, 13.3986), "highway", "primary", 0.5,
          {"road": "Unter den Linden", "suburb": "Mitte", "city": "Berlin", "postcode": "10117",
           "country": "Germany", "country_code": "de"}),
)  # fmt: skip

ROADS = ("Garden Lane", "Orchard Road", "Mill Street", "Meadow Way", "Church Street", "Station Road",
         "Willow Avenue", "High Street")  # fmt: skip
SYLLABLES = ("bram", "wick", "oster", "vale", "lin", "dor", "mere", "ford", "ash", "ton", "bel", "holm")
SIMULATIA = {"country": "Simulatia", "country_code": "zz"}
# Open sea, as (south, north, west, east) boxes: nothing to reverse-geocode there.
SEAS = ((-50.0, 20.0, -170.0, -120.0), (-55.0, -5.0, -35.0, 5.0), (-45.0, -5.0, 55.0, 95.0))

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case and accents folded: "Zürich" → "zurich"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _hash(*parts: object) -> int:
    text = "|".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _matches(query_words: list[str], place: Place) -> bool:
    names = [place.display_name, *place.other_names]
    place_words = [word for name in names for word in words(name)]
    return all(any(word.startswith(asked) for word in place_words) for asked in query_words)


def made_up_name(seed: int) -> str:
    first = SYLLABLES[seed % len(SYLLABLES)]
    second = SYLLABLES[(seed // len(SYLLABLES)) % len(SYLLABLES)]
    return (first + second).capitalize()


def made_up_place(query: str) -> Place:
    """The one place a query that matches nothing real finds."""
    seed = _hash("search", " ".join(words(query)))
    lat = round(-55 + (seed % 125_000_000) / 1_000_000, 7)  # -55 .. 70
    lon = round(-180 + ((seed // 125_000_000) % 360_000_000) / 1_000_000, 7)
    name = " ".join(part.capitalize() for part in query.split(",")[0].split()) or "Place"
    county = f"{made_up_name(seed // 7)} County"
    return Place(
        "node", 9_000_000_000 + seed % 1_000_000_000, name, f"{name}, {county}, Simulatia",
        lat, lon, (lat - 0.05, lat + 0.05, lon - 0.05, lon + 0.05), "place", "village", 0.3,
        {"village": name, "county": county, **SIMULATIA},
    )  # fmt: skip


def search(query: str, limit: int = 10) -> list[Place]:
    """What the simulated geocoder finds for ``query``, best first."""
    asked = words(query)
    if not asked:
        return []
    found = sorted((place for place in PLACES if _matches(asked, place)), key=lambda p: -p.importance)
    if found:
        return found[:limit]
    letters = sum(char.isalpha() for char in query)
    if "nowhere" in asked or letters < 3:
        return []
    return [made_up_place(query)][:limit]


def _distance(lat: float, lon: float, place: Place) -> float:
    return math.hypot(lat - place.lat, (lon - place.lon) * math.cos(math.radians(lat)))


def is_sea(lat: float, lon: float) -> bool:
    if abs(lat) > 75:
        return True
    return any(s <= lat <= n and w <= lon <= e for s, n, w, e in SEAS)


def reverse(lat: float, lon: float) -> Place | None:
    """The house the simulated geocoder gives for a point, or None at sea."""
    seed = _hash("reverse", f"{lat:.4f}", f"{lon:.4f}")
    towns = [place for place in PLACES if place.category == "boundary"]
    nearest = min(towns, key=lambda place: _distance(lat, lon, place))
    house, road = str(1 + seed % 199), ROADS[(seed // 199) % len(ROADS)]
    if _distance(lat, lon, nearest) <= NEAR_DEGREES:
        around, address = nearest.display_name, dict(nearest.address)
    elif is_sea(lat, lon):
        return None
    else:
        village = made_up_name(_hash("village", round(lat, 1), round(lon, 1)))
        around, address = f"{village}, Simulatia", {"village": village, **SIMULATIA}
    return Place(
        "way", 8_000_000_000 + seed % 1_000_000_000, "", f"{house}, {road}, {around}",
        round(lat + 0.00001, 7), round(lon - 0.00001, 7),
        (lat - 0.0001, lat + 0.0001, lon - 0.0001, lon + 0.0001), "building", "house", 0.0,
        {"house_number": house, "road": road, **address},
    )  # fmt: skip


def nominatim_json(place: Place, place_id: int) -> dict:
    """A place as Nominatim's jsonv2 (with addressdetails) writes it."""
    return {
        "place_id": place_id,
        "licence": LICENCE,
        "osm_type": place.osm_type,
        "osm_id": place.osm_id,
        "lat": f"{place.lat:.7f}",
        "lon": f"{place.lon:.7f}",
        "category": place.category,
        "type": place.type,
        "place_rank": 16 if place.category == "boundary" else 30,
        "importance": place.importance,
        "addresstype": place.type,
        "name": place.name,
        "display_name": place.display_name,
        "address": dict(place.address),
        "boundingbox": [f"{value:.7f}" for value in place.bbox],
    }


def _photon_value(place: Place) -> str:
    if place.category == "boundary":
        return next((key for key in ("city", "town", "village") if key in place.address), "city")
    return place.type


def photon_feature(place: Place) -> dict:
    """A place as Photon's GeoJSON writes it."""
    south, north, west, east = place.bbox
    address = place.address
    properties = {
        "osm_type": place.osm_type[0].upper(),
        "osm_id": place.osm_id,
        "osm_key": "place" if place.category == "boundary" else place.category,
        "osm_value": _photon_value(place),
        "type": place.type,
        "countrycode": place.country_code.upper(),
        "country": place.country,
        "extent": [west, north, east, south],
    }
    if place.name:
        properties["name"] = place.name
    for ours, theirs in (("road", "street"), ("house_number", "housenumber"), ("state", "state"),
                         ("county", "county"), ("postcode", "postcode")):  # fmt: skip
        if address.get(ours):
            properties[theirs] = address[ours]
    town = address.get("city") or address.get("town") or address.get("village")
    if town and town != place.name:
        properties["city"] = town
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
            "properties": properties}  # fmt: skip
