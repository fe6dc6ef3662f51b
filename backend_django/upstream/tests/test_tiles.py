"""Basemap tiles through the cache (kinds/basemap.py, http/views.py TileView)."""

import pytest
from rest_framework.test import APIClient

from backend_django.upstream import kinds
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
