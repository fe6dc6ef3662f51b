"""Overpass API: building footprints in a box, with a server-built query."""

from django.conf import settings

from . import http

# The only query this project sends (and accepts from clients, see
# upstream/kinds/buildings.py): ways tagged building in a south,west,north,east box,
# their nodes, in JSON.
UPSTREAM = "overpass"
QUERY_TEMPLATE = '[out:json][timeout:25];(way["building"]({s},{w},{n},{e}););out body;>;out skel qt;'


def building_query(south: float, west: float, north: float, east: float) -> str:
    return QUERY_TEMPLATE.format(s=_fmt(south), w=_fmt(west), n=_fmt(north), e=_fmt(east))


def _fmt(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def fetch_buildings(south: float, west: float, north: float, east: float) -> dict:
    response = http.request(
        "POST",
        settings.OVERPASS_URL,
        upstream=UPSTREAM,
        read_timeout=settings.OVERPASS_READ_TIMEOUT,
        data={"data": building_query(south, west, north, east)},
    )
    body = http.json_body(response, UPSTREAM)
    remark = body.get("remark")
    if remark:
        # Overpass reports timeouts and out-of-memory with HTTP 200 and a
        # remark; the elements are partial and must not be cached.
        raise http.UpstreamError(
            "upstream_runtime_error",
            "OpenStreetMap's Overpass service ran out of time or memory for this area.",
            True,
            detail=http.sanitise(str(remark)),
        )
    elements = body.get("elements")
    if not isinstance(elements, list):
        raise http.invalid_response(UPSTREAM, "no elements")
    return body
