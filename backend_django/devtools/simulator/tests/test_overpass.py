import math
import re
import threading

import requests

from backend_django.devtools.simulator.data import buildings_in_bbox


def ql(s, w, n, e, timeout=25):
    return f'[out:json][timeout:{timeout}];(way["building"]({s},{w},{n},{e}););out body;>;out skel qt;'


def interpreter(sim, query, method="GET"):
    url = f"{sim.base_url}/api/interpreter"
    if method == "POST":
        return requests.post(url, data={"data": query}, timeout=10)
    return requests.get(url, params={"data": query}, timeout=10)


BOX = (37.77, -122.42, 37.78, -122.41)


def test_body_shape_ways_then_nodes(sim):
    response = interpreter(sim, ql(*BOX))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["version"] == 0.6
    assert body["generator"].startswith("Overpass API 0.7.")
    assert set(body["osm3s"]) == {"timestamp_osm_base", "copyright"}
    assert "remark" not in body
    elements = body["elements"]
    assert elements == buildings_in_bbox(*BOX)
    kinds = [element["type"] for element in elements]
    ways = [element for element in elements if element["type"] == "way"]
    nodes = {element["id"]: element for element in elements if element["type"] == "node"}
    assert len(ways) > 100
    assert kinds == ["way"] * len(ways) + ["node"] * len(nodes)  # out body, then out skel qt
    s, w, n, e = BOX
    for way in ways:
        assert way["nodes"][0] == way["nodes"][-1] and len(way["nodes"]) == 5
        assert way["tags"]["building"]
        assert all(node_id in nodes for node_id in way["nodes"])
        # Included because at least one node is inside the box.
        assert any(s <= nodes[i]["lat"] <= n and w <= nodes[i]["lon"] <= e for i in way["nodes"])
    for node in nodes.values():
        assert set(node) == {"type", "id", "lat", "lon"}
    # Tags: some heights (some with units), some levels only, some neither; non-building tags too.
    tags = [way["tags"] for way in ways]
    assert any("height" in t and t["height"].endswith(" m") for t in tags)
    assert any("height" in t and re.fullmatch(r"[\d.]+", t["height"]) for t in tags)
    assert any("building:levels" in t and "height" not in t for t in tags)
    assert any("building:levels" not in t and "height" not in t for t in tags)
    assert any("addr:housenumber" in t for t in tags)
    # Some nodes lie outside the box (ways crossing its edges), and some buildings cross 0.01° lines.
    assert any(not (s <= node["lat"] <= n and w <= node["lon"] <= e) for node in nodes.values())


def test_a_suburban_density_and_buildings_across_cell_lines():
    s, w, n, e = 37.70, -122.50, 37.75, -122.49
    elements = buildings_in_bbox(s, w, n, e)
    nodes = {el["id"]: el for el in elements if el["type"] == "way" or el["type"] == "node"}
    ways = [el for el in elements if el["type"] == "way"]
    # A town of houses on 13-22 m lots with some larger buildings and parks: several hundred
    # to about 1,500 buildings a km² (a real suburb has 500-1,500).
    km2 = (n - s) * 111.32 * (e - w) * 111.32 * math.cos(math.radians((s + n) / 2))
    assert 400 < len(ways) / km2 < 1600
    kinds = {way["tags"]["building"] for way in ways}
    assert {"house", "garage", "apartments"} <= kinds

    def crosses(way, key):
        values = [nodes[i][key] for i in way["nodes"]]
        return math.floor(min(values) * 100) != math.floor(max(values) * 100)

    assert any(crosses(way, "lat") for way in ways)
    assert any(crosses(way, "lon") for way in ways)


def test_same_building_ids_from_overlapping_boxes(sim):
    a = interpreter(sim, ql(37.77, -122.42, 37.775, -122.415)).json()["elements"]
    b = interpreter(sim, ql(37.773, -122.418, 37.778, -122.412)).json()["elements"]
    ways_a = {el["id"]: el for el in a if el["type"] == "way"}
    ways_b = {el["id"]: el for el in b if el["type"] == "way"}
    shared = set(ways_a) & set(ways_b)
    assert len(shared) > 10
    assert set(ways_a) != set(ways_b)
    for way_id in shared:
        assert ways_a[way_id] == ways_b[way_id]
    nodes_a = {el["id"]: el for el in a if el["type"] == "node"}
    nodes_b = {el["id"]: el for el in b if el["type"] == "node"}
    for node_id in set(nodes_a) & set(nodes_b):
        assert nodes_a[node_id] == nodes_b[node_id]


def test_post_form_and_whitespace_tolerance(sim):
    query = (
        ' [out:json] [timeout:25] ;\n( way["building"]( 37.77 , -122.42 , 37.771 , -122.419 ) ; ) ;\n'
        "out body ; > ; out skel qt ; "
    )
    response = interpreter(sim, query, method="POST")
    assert response.status_code == 200
    assert response.json()["elements"] == buildings_in_bbox(37.77, -122.42, 37.771, -122.419)
    assert sim.app.stats()["overpass"]["requests_log"][-1]["data"] == query


def test_other_queries_are_rejected(sim):
    for query in [
        "node(1);out;",
        '[out:json][timeout:25];(node["amenity"](37.77,-122.42,37.78,-122.41););out body;',
        '[out:xml][timeout:25];(way["building"](37.77,-122.42,37.78,-122.41););out body;>;out skel qt;',
        "",
    ]:
        response = interpreter(sim, query)
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/html")
        assert "OSM3S Response" in response.text
        assert "Error</strong>" in response.text


def test_huge_box_runs_out_of_memory_with_a_remark(sim):
    body = interpreter(sim, ql(37.0, -123.0, 38.0, -122.0)).json()
    assert body["elements"] == []
    assert body["remark"].startswith("runtime error: Query run out of memory")


def test_status(sim):
    response = requests.get(f"{sim.base_url}/api/status", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0].startswith("Connected as: ")
    assert re.fullmatch(r"Current time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[1])
    assert "Rate limit: 2" in lines
    assert "2 slots available now." in lines
    stats = sim.app.stats()["overpass"]
    assert (stats["status_requests"], stats["requests"]) == (1, 0)
    assert stats["requests_log"][0]["path"] == "/api/status"


def test_two_slots_third_concurrent_request_gets_429(sim):
    sim.app.set_latency(0.6, upstream="overpass")
    results = {}
    barrier = threading.Barrier(2)

    def call(name):
        barrier.wait()
        results[name] = interpreter(sim, ql(37.77, -122.42, 37.771, -122.419))

    threads = [threading.Thread(target=call, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    # Wait until both hold a slot, then check status and a third request.
    for _ in range(100):
        if sim.app.stats()["overpass"]["concurrent"] == 2:
            break
        threading.Event().wait(0.01)
    status = requests.get(f"{sim.base_url}/api/status", timeout=10).text
    third = interpreter(sim, ql(37.77, -122.42, 37.771, -122.419))
    for thread in threads:
        thread.join()
    assert third.status_code == 429
    assert "rate_limited" in third.text
    assert "slots available now" not in status
    assert len(re.findall(r"Slot available after: \S+Z, in \d+ seconds\.", status)) == 2
    assert [results[name].status_code for name in ("a", "b")] == [200, 200]
    stats = sim.app.stats()["overpass"]
    assert stats["max_concurrent"] == 2
    assert stats["max_attempted_concurrent"] == 3
    assert stats["rejected"] == 1
    assert [entry["status"] for entry in stats["requests_log"]].count(429) == 1
    # Slots are free again.
    assert interpreter(sim, ql(37.77, -122.42, 37.771, -122.419)).status_code == 200
