"""Cache hits served from the process's tracked copies, through the API."""

import json

import pytest
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store

UNIT = "climate:45.5:-122.7"
PARAMS = {"lat": 45.5, "lng": -122.7}


def store_climate(body: dict) -> None:
    pipe = get_valkey().pipeline()
    store.queue_write(pipe, store.NewEntry(UNIT, json.dumps(body).encode(), "application/json", 3600, 3600))
    pipe.execute()
    # The next read is tracked once the write's announcement has been read.
    wait_until(store.tracker().serving, "the write's announcement is read")


@pytest.fixture
def client(tracking):
    return APIClient()


def test_a_repeated_hit_sends_no_valkey_command_and_a_new_body_shows_at_once(client, valkey_commands):
    store_climate({"version": 1})
    assert client.get("/api/v1/climate/", PARAMS).json() == {"version": 1}
    sent_before = len(valkey_commands)
    for _ in range(5):
        response = client.get("/api/v1/climate/", PARAMS, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200 and response["X-Cache"] == "HIT"
        assert response["Content-Encoding"] == "gzip"
    assert valkey_commands[sent_before:] == []
    store_climate({"version": 2})  # what a worker's refresh does
    assert client.get("/api/v1/climate/", PARAMS).json() == {"version": 2}
    get_valkey().delete(store.entry_key(UNIT))
    assert client.get("/api/v1/climate/", PARAMS).status_code == 202


def test_hits_from_copies_count_against_the_read_limit(client, settings, throttle_clock):
    settings.PROXY_READ_RATE = "5/min"
    store_climate({"version": 1})
    statuses = [client.get("/api/v1/climate/", PARAMS).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    refused = client.get("/api/v1/climate/", PARAMS)
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
