"""What the data endpoints answer without a worker: bounded inputs, Valkey outages, refresh rules."""

import json
import time

import pytest
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.upstream.cache import store

pytestmark = pytest.mark.django_db


def test_overpass_bodies_are_bounded(simulator):
    client = APIClient()
    big = client.post(
        "/api/v1/overpass/", data=json.dumps({"query": "x" * 20000}), content_type="application/json"
    )
    assert big.status_code == 413
    deep = client.post("/api/v1/overpass/", data="[" * 4000 + "]" * 4000, content_type="application/json")
    assert deep.status_code == 400  # never a 500, however it nests
    upload = client.post("/api/v1/overpass/", {"file": ("q.txt", b"x")}, format="multipart")
    assert upload.status_code == 415
    assert simulator.stats()["overpass"]["requests"] == 0


def test_data_endpoints_answer_503_json_while_valkey_is_down(settings):
    settings.VALKEY_URL = "redis://127.0.0.1:1/0"
    get_valkey.cache_clear()
    try:
        client = APIClient()
        for path, params in [
            ("/api/v1/climate/", {"lat": 1, "lng": 2}),
            ("/api/v1/climate/summary/", {"lat": 1, "lng": 2}),
            ("/api/v1/buildings/", {"bbox": "47.37,8.54,47.371,8.541"}),
            ("/api/v1/jobs/abc/", {}),
        ]:
            response = client.get(path, params)
            assert response.status_code == 503, (path, response.content[:200])
            assert response.json()["error"]["code"] == "cache_unavailable"
    finally:
        get_valkey.cache_clear()


def test_a_stale_entry_with_a_recent_failure_is_not_refreshed_again(simulator):
    unit = "climate:1.0:2.0"
    pipe = get_valkey().pipeline()
    store.queue_write(pipe, store.NewEntry(unit, b'{"daily": {}}', "application/json", 60, 600))
    pipe.execute()
    get_valkey().hset(store.entry_key(unit), "fu", time.time() - 1)
    store.note_failure(unit)
    response = APIClient().get("/api/v1/climate/", {"lat": 1, "lng": 2})
    assert response["X-Cache"] == "STALE"
    assert list(get_valkey().scan_iter(match="ss:job:*")) == []
    get_valkey().delete(f"{store.FAILED_PREFIX}{unit}")
    assert APIClient().get("/api/v1/climate/", {"lat": 1, "lng": 2})["X-Cache"] == "STALE"
    assert len(list(get_valkey().scan_iter(match="ss:job:*"))) == 1
