import itertools
import math

import pytest

from backend_django.core.exceptions import ApplicationError
from backend_django.upstream.kinds import buildings


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "required"),
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "four numbers"),
        ("nan,1,2,3", "finite"),
        ("1,inf,2,3", "finite"),
        ("47.01,8.0,47.0,8.01", "south must be less than north"),
        ("47.0,8.01,47.01,8.0", "west must be less than east"),
        ("91,8,92,8.01", "between -90 and 90"),
        ("47,180.5,47.01,181", "between -180 and 180"),
        ("47.0,8.0,47.1,8.1", "square degrees"),
        ("0.001,-180,0.001002,180", "grid cells"),
        ("-90,0.001,90,0.0010055", "grid cells"),
    ],
)
def test_bad_boxes_are_refused_with_a_reason(text, message):
    with pytest.raises(ApplicationError) as info:
        buildings.parse_bbox(text)
    assert message in info.value.message


def test_cells_cover_the_box_exactly():
    assert buildings.cells_for_bbox(47.001, 8.001, 47.009, 8.009) == [(4700, 800)]
    cells = buildings.cells_for_bbox(47.005, 8.005, 47.015, 8.025)
    assert cells == [(4700, 800), (4700, 801), (4700, 802), (4701, 800), (4701, 801), (4701, 802)]
    # A box ending on a cell line does not spill into the next cell.
    assert buildings.cells_for_bbox(47.0, 8.0, 47.01, 8.01) == [(4700, 800)]
    assert buildings.cells_for_bbox(-33.875, 151.205, -33.865, 151.215) == [
        (-3388, 15120), (-3388, 15121), (-3387, 15120), (-3387, 15121)
    ]  # fmt: skip
    assert buildings.cell_bbox(4700, 800) == (47.0, 8.0, 47.01, 8.01)


def test_overpass_query_parsing_is_strict():
    query = '[out:json][timeout:25];(way["building"](47.0,8.0,47.01,8.01););out body;>;out skel qt;'
    assert buildings.parse_overpass_query(query) == (47.0, 8.0, 47.01, 8.01)
    spaced = (
        '[out:json][timeout:25];\n( way["building"]( 47.0, 8.0, 47.01, 8.01 ); );\n'
        "out body;\n>;\nout skel qt;"
    )
    assert buildings.parse_overpass_query(spaced) == (47.0, 8.0, 47.01, 8.01)
    for other in [
        '[out:json];(node["amenity"](47.0,8.0,47.01,8.01););out body;',
        '[out:json];(way["building"](47.0,8.0,47.01,8.01););out body;>;out skel qt;way(1);out;',
        '[out:xml];(way["building"](47.0,8.0,47.01,8.01););out body;>;out skel qt;',
        '[out:json];(way["building"](around:100,47.0,8.0););out body;>;out skel qt;',
        "",
        42,
        None,
    ]:
        with pytest.raises(ApplicationError) as info:
            buildings.parse_overpass_query(other)
        assert "building-in-a-box" in info.value.message


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"building": "yes", "height": "12"}, (12.0, None, "tag")),
        ({"building": "yes", "height": "12 m", "building:levels": "3"}, (12.0, 3.0, "tag")),
        ({"building": "yes", "height": "30 ft"}, (9.14, None, "tag")),
        ({"building": "yes", "building:levels": "4"}, (12.0, 4.0, "levels")),
        ({"building": "yes", "height": "tall", "building:levels": "2"}, (6.0, 2.0, "levels")),
        ({"building": "yes"}, (6.0, None, "default")),
    ],
)
def test_height_resolution(tags, expected):
    assert buildings.resolve_height(tags) == expected


def overpass_body():
    # Two squares: one inside the box, one straddling its east edge.
    return {
        "osm3s": {"timestamp_osm_base": "2026-11-20T00:00:00Z"},
        "elements": [
            {"type": "way", "id": 1, "nodes": [1, 2, 3, 4, 1], "tags": {"building": "yes", "height": "9"}},
            {"type": "way", "id": 2, "nodes": [5, 6, 7, 8, 5], "tags": {"building": "house"}},
            {"type": "way", "id": 3, "nodes": [1, 2, 3], "tags": {"building": "yes"}},
            {"type": "node", "id": 1, "lat": 47.001, "lon": 8.001},
            {"type": "node", "id": 2, "lat": 47.001, "lon": 8.002},
            {"type": "node", "id": 3, "lat": 47.002, "lon": 8.002},
            {"type": "node", "id": 4, "lat": 47.002, "lon": 8.001},
            {"type": "node", "id": 5, "lat": 47.001, "lon": 8.004},
            {"type": "node", "id": 6, "lat": 47.001, "lon": 8.006},
            {"type": "node", "id": 7, "lat": 47.002, "lon": 8.006},
            {"type": "node", "id": 8, "lat": 47.002, "lon": 8.004},
        ],
    }


def test_feature_collection_clips_and_deduplicates():
    payload = buildings.cell_payload(overpass_body())
    assert [way["id"] for way in payload["ways"]] == [1, 2]  # the open ring is dropped
    bbox = (47.0, 8.0, 47.003, 8.005)
    collection = buildings.feature_collection([payload, payload], bbox)
    features = collection["features"]
    assert [f["properties"]["osm_id"] for f in features] == [1, 2]
    inside, straddling = features
    assert inside["properties"] == {
        "osm_id": 1, "height_m": 9.0, "levels": None, "height_source": "tag", "clipped": False, "name": None,
    }  # fmt: skip
    assert straddling["properties"]["clipped"] is True
    assert straddling["properties"]["height_source"] == "default"
    ring = straddling["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert max(x for x, _ in ring) == pytest.approx(8.005)
    assert all(bbox[1] <= x <= bbox[3] and bbox[0] <= y <= bbox[2] for x, y in ring)
    area = 0.5 * abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)))
    assert math.isclose(area, 0.001 * 0.001, rel_tol=1e-6)


def test_overpass_body_has_ways_then_their_nodes():
    payload = buildings.cell_payload(overpass_body())
    body = buildings.overpass_body([payload], (47.0, 8.0, 47.003, 8.003), "2026-11-20T00:00:00Z")
    types = [element["type"] for element in body["elements"]]
    assert types == ["way", "node", "node", "node", "node"]
    assert body["elements"][0]["tags"]["height"] == "9"
    assert body["osm3s"]["timestamp_osm_base"] == "2026-11-20T00:00:00Z"
