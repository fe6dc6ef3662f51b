"""Places: search by name or address, and the address at a point, from the geocoder.

A search is cached under its *normalised* query, so "Portland, OR",
" portland ,or " and the same in full-width letters share one entry and one upstream
request; a reverse lookup under its point rounded to 4 decimals (about 11 m).
Both are kept PLACES_FRESH_SECONDS (30 days). Geocoder requests go one at a
time and at most one a second for the whole deployment (guards/pacing.py), as the
public Nominatim asks; people search on submit, never per keystroke.

Stored bodies (JSON):

    search   {"query", "places": [place, ...], "attribution", "attribution_url"}
    reverse  {"lat", "lng", "place": place | null, "attribution", "attribution_url"}

with *place* as clients/geocoder.py makes it.
"""

import json
import logging
import re
import unicodedata
from urllib.parse import quote, unquote

from django.conf import settings

from backend_django.core.exceptions import ApplicationError

from .. import guards
from ..cache.store import Entry, NewEntry
from ..clients import geocoder
from .base import Kind

logger = logging.getLogger(__name__)

UNIT_PREFIX = "place:"
SEARCH_PREFIX = "place:q:"
REVERSE_PREFIX = "place:rev:"
MAX_QUERY_LENGTH = 200
ATTRIBUTION_URL = "https://www.openstreetmap.org/copyright"

_SPACES = re.compile(r"\s+")
_COMMA = re.compile(r"\s*,\s*")


def _folded_char(char: str) -> str:
    category = unicodedata.category(char)[0]
    if category == "Z" or char in "\t\n\r\f\v":
        return " "
    return "" if category == "C" else char


def normalise_query(text: str) -> str:
    """The cache key's form of a query: Unicode-normalised (NFKC), case-folded,
    invisible characters dropped, runs of spaces as one, commas as ", "."""
    text = unicodedata.normalize("NFKC", text)
    # Folding can leave text that is not in NFKC any more ("ǅ" → "ǆ"): normalise again.
    text = unicodedata.normalize("NFKC", text.casefold())
    # Separators count as spaces; control and format characters (a zero-width
    # space pasted from a web page) as nothing.
    text = "".join(_folded_char(char) for char in text)
    text = _COMMA.sub(", ", _SPACES.sub(" ", text))
    return text.strip(" ,")


def parse_query(text: str | None) -> str:
    """A validated, normalised search query."""
    query = normalise_query(text or "")
    if not query:
        raise ApplicationError("q: type a place name or an address.", code="invalid")
    if len(query) > MAX_QUERY_LENGTH:
        raise ApplicationError(f"q: at most {MAX_QUERY_LENGTH} characters.", code="invalid")
    if not any(unicodedata.category(char)[0] in ("L", "N") for char in query):
        raise ApplicationError("q: type a place name or an address (letters or digits).", code="invalid")
    return query


def search_unit(query: str) -> str:
    """The unit of a normalised query (percent-encoded: unit names stay ASCII)."""
    return SEARCH_PREFIX + quote(query, safe="")


def reverse_point(lat: float, lng: float) -> tuple[float, float]:
    """The point a reverse lookup is cached for: 4 decimals, about 11 m."""
    return round(lat, 4) + 0.0, round(lng, 4) + 0.0


def reverse_unit(lat: float, lng: float) -> str:
    rlat, rlng = reverse_point(lat, lng)
    return f"{REVERSE_PREFIX}{rlat:.4f}:{rlng:.4f}"


def search_result_url(query: str) -> str:
    return f"/api/v1/places/?q={quote(query, safe='')}"


def reverse_result_url(lat: float, lng: float) -> str:
    rlat, rlng = reverse_point(lat, lng)
    return f"/api/v1/places/reverse/?lat={rlat:.4f}&lng={rlng:.4f}"


def _attribution() -> dict:
    return {"attribution": settings.GEOCODER_ATTRIBUTION, "attribution_url": ATTRIBUTION_URL}


def encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """One search or reverse lookup, asked in the deployment's geocoder turn."""
    if unit.startswith(SEARCH_PREFIX):
        query = unquote(unit[len(SEARCH_PREFIX) :])
        with guards.request(geocoder.UPSTREAM, pool=pool):
            places = geocoder.search(query)
        logger.info("places: %r found %d", query, len(places))
        return [KIND.entry(unit, encode({"query": query, "places": places, **_attribution()}))]
    lat, lng = (float(part) for part in unit[len(REVERSE_PREFIX) :].split(":"))
    with guards.request(geocoder.UPSTREAM, pool=pool):
        place = geocoder.reverse(lat, lng)
    logger.info("places: reverse %s, %s found %s", lat, lng, "a place" if place else "nothing")
    return [KIND.entry(unit, encode({"lat": lat, "lng": lng, "place": place, **_attribution()}))]


KIND = Kind(
    name="places",
    unit_prefix=UNIT_PREFIX,
    upstream="geocoder",
    label="Geocoder (place search)",
    fresh_setting="PLACES_FRESH_SECONDS",
    stale_setting="PLACES_STALE_SECONDS",
    content_type="application/json",
    fetch=fetch_entries,
    endpoints=("places", "places_reverse"),
    daily_miss_limit="PROXY_PLACE_SEARCHES_PER_DAY",
)
