"""Basemap tiles through the cache (kinds/basemap.py, http/views.py TileView)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.testing.waiting import wait_until
from backend_django.upstream import kinds
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import basemap


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tiles/20/0/0.png",  # deeper than BASEMAP_MAX_ZOOM
        "/api/v1/tiles/3/8/0.png",  # x past the grid (0..7 at zoom 3)
        "/api/v1/tiles/3/0/8.png",  # y past it
        "/api/v1/tiles/-1/0/0.png",
        "/api/v1/tiles/2/-1/0.png",
    ],
)
def test_a_tile_outside_the_grid_is_a_400_and_never_asked(path, simulator):
    answer = APIClient().get(path)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid"
    assert simulator.stats().get("basemap", {}).get("requests", 0) == 0


def test_tiles_never_belong_to_a_place_so_warming_never_fetches_them():
    units = kinds.all_units(45.52, -122.68)
    assert units and not any(unit.startswith(basemap.UNIT_PREFIX) for unit in units)
    assert basemap.KIND.units_for_place is None


def test_the_tilejson_names_the_template_zooms_and_attribution(settings):
    settings.BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors"
    answer = APIClient().get("/api/v1/tiles/", HTTP_HOST="garden.example")
    assert answer.status_code == 200
    body = answer.json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"] == ["http://garden.example/api/v1/tiles/{z}/{x}/{y}.png"]
    assert body["minzoom"] == 0 and body["maxzoom"] == settings.BASEMAP_MAX_ZOOM == 19
    assert body["attribution"] == "© OpenStreetMap contributors"
    assert "public" in answer["Cache-Control"]


# --- against the simulator's tile server -------------------------------------------


def tile(client: APIClient, z: int, x: int, y: int):
    return client.get(f"/api/v1/tiles/{z}/{x}/{y}.png")


def test_a_miss_is_answered_with_the_tile_itself_and_the_next_is_a_hit(simulator, settings):
    client = APIClient()
    first = tile(client, 16, 10513, 23451)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert first.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert first["X-Cache"] == "MISS" and "public" in first["Cache-Control"]
    second = tile(client, 16, 10513, 23451)
    assert second.status_code == 200 and second["X-Cache"] == "HIT"
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert (
        tile(
            client,
            16,
            10513,
            23451,
        ).status_code
        == 200
    )
    stats = simulator.stats()["basemap"]
    assert stats["requests"] == 1, "the tile server is asked once"
    # The tile server's policy: who we are and how to reach us.
    agent = stats["requests_log"][0]["user_agent"]
    assert agent.startswith(settings.UPSTREAM_USER_AGENT) and f"contact: {settings.UPSTREAM_CONTACT}" in agent
    assert client.get("/api/v1/tiles/16/10513/23451.png", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_concurrent_misses_of_one_tile_ask_once_and_at_most_two_tiles_are_asked_at_once(simulator):
    simulator.set_latency(0.3, "basemap")
    same = [(15, 5256, 11725)] * 6
    others = [(15, 5257 + k, 11725) for k in range(6)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda address: tile(APIClient(), *address), same + others))
    assert [answer.status_code for answer in answers] == [200] * 12
    assert len({answer.content for answer in answers[:6]}) == 1
    stats = simulator.stats()["basemap"]
    assert stats["requests"] == 7, "one request for the six askers of one tile, one per other tile"
    assert stats["max_in_flight"] <= 2, "BASEMAP_MAX_CONCURRENT for the whole deployment"


def test_a_failing_tile_server_gets_a_503_with_retry_after_and_nothing_is_cached(simulator):
    simulator.fail("basemap", "500")
    client = APIClient()
    answer = tile(client, 14, 2628, 5862)
    assert answer.status_code == 503
    assert int(answer["Retry-After"]) >= 1 and answer["Cache-Control"] == "no-store"
    body = answer.json()["error"]
    assert body["message"] and "500" not in body["message"] and "<" not in body["message"]

    assert store.read(basemap.unit_for(14, 2628, 5862)) is None
    simulator.reset()
    # The breaker (two failures in the tests) may hold it down for its cool-off: at most seconds.

    wait_until(
        lambda: tile(client, 14, 2628, 5862).status_code == 200,
        "the tile once the server is back",
        timeout=10,
    )


def test_a_tile_the_server_does_not_have_is_refused_and_remembered(simulator):
    client = APIClient()
    simulator.fail("basemap", "403", times=1)  # blocked: a definite refusal
    first = tile(client, 13, 1314, 2931)
    assert first.status_code == 502 and first.json()["error"]["code"] == "upstream_rejected"
    again = tile(client, 13, 1314, 2931)
    assert again.status_code == 502, "a definite refusal is remembered, not asked again at once"
    assert simulator.stats()["basemap"]["requests"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_stale_tile_is_served_and_revalidated_with_the_servers_etag(simulator, celery_worker_process):
    client = APIClient()
    first = tile(client, 17, 21027, 46902)
    assert first.status_code == 200
    unit = basemap.unit_for(17, 21027, 46902)
    stored = store.read(unit)
    assert stored.validator, "the tile server's ETag is kept"
    # Time passes: the tile is past its freshness (moved, not waited for).
    get_valkey().hset(store.entry_key(unit), "fu", f"{time.time() - 1:.3f}")
    stale = tile(client, 17, 21027, 46902)
    assert stale.status_code == 200 and stale["X-Cache"] == "STALE" and stale.content == first.content

    def renewed():
        entry = store.read(unit)
        return entry is not None and entry.fresh_until > time.time() + 60 and entry

    entry = wait_until(renewed, "the tile revalidated by a job", timeout=30, step=0.1)
    assert entry.etag == stored.etag, "not modified: the same bytes, renewed"
    log = simulator.stats()["basemap"]["requests_log"]
    assert [item["if_none_match"] for item in log] == [None, stored.validator]
    assert simulator.stats()["basemap"]["not_modified"] == 1
