"""Place search end to end: the API, a real Celery worker, real Valkey and the simulated geocoder."""

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.devtools.simulator import gazetteer
from backend_django.testing.clock import run_out_persons_wait
from backend_django.testing.http_cache import assert_hit
from backend_django.upstream.cache import store

from .test_proxy_api import keys_without_ttl, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def client():
    return APIClient()


def geocoder_log(simulator) -> list[dict]:
    return simulator.stats()["geocoder"]["requests_log"]


def place_entries() -> list[bytes]:
    return list(get_valkey().scan_iter(match=f"{store.ENTRY_PREFIX}place:*"))


def search(client, q: str):
    return client.get("/api/v1/places/", {"q": q})


def test_a_search_is_a_job_then_a_cached_answer_for_every_spelling(client, simulator, celery_worker_process):
    simulator.set_latency(0.3, upstream="geocoder")
    first = search(client, "Portland, OR")
    assert first.status_code == 202, first.content
    job = first.json()
    assert job["kind"] == "places"
    assert job["result_url"] == "/api/v1/places/?q=portland%2C%20or"
    # The same search spelt otherwise joins the same job: one upstream request.
    for spelling in (" portland ,or ", "\uff30\uff2f\uff32\uff34\uff2c\uff21\uff2e\uff24, OR"):
        again = search(client, spelling)
        assert again.status_code == 202
        assert again.json()["id"] == job["id"]
    job = wait_for_job(client, first["Location"])
    assert job["status"] == "succeeded", job

    hit = client.get(job["result_url"])
    assert hit.status_code == 200 and hit["X-Cache"] == "HIT"
    assert_hit(hit, max_age=(29 * 86400, 30 * 86400), stale_window=settings.PLACES_STALE_SECONDS)
    body = json.loads(hit.content)
    oregon = next(p for p in gazetteer.PLACES if "Oregon" in p.display_name)
    assert body["query"] == "portland, or"
    assert body["attribution"] == "© OpenStreetMap contributors"
    assert body["places"] == [
        {
            "name": "Portland",
            "display_name": oregon.display_name,
            "lat": oregon.lat,
            "lng": oregon.lon,
            "country": "United States",
            "country_code": "us",
            "bbox": [oregon.bbox[0], oregon.bbox[2], oregon.bbox[1], oregon.bbox[3]],
            "category": "boundary",
            "type": "administrative",
            "osm_id": "relation/186579",
        }
    ]
    for spelling in ("PORTLAND,OR", "portland,\u00a0or"):
        assert search(client, spelling)["X-Cache"] == "HIT"
    log = geocoder_log(simulator)
    assert len(log) == 1
    assert "q=portland%2C+or" in log[0]["query"]
    assert keys_without_ttl() == []


def test_bad_queries_are_400_and_reach_nobody(client, simulator):
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "?!"}, {"q": "x" * 201}):
        response = client.get("/api/v1/places/", params)
        assert response.status_code == 400, params
        error = response.json()["error"]
        assert error["code"] == "invalid" and error["message"].startswith("q: ")
    assert geocoder_log(simulator) == []


def test_nothing_found_is_an_answer_and_is_cached(client, simulator, celery_worker_process):
    response = search(client, "Nowhere at all")
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded"
    answer = client.get(job["result_url"])
    assert answer.status_code == 200 and json.loads(answer.content)["places"] == []
    assert len(geocoder_log(simulator)) == 1


def test_a_passing_geocoder_failure_is_retried_a_second_later(client, simulator, celery_worker_process):
    simulator.fail("geocoder", "503", times=1)
    response = search(client, "Berlin")
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "succeeded", job
    log = geocoder_log(simulator)
    assert [entry["status"] for entry in log] == [503, 200]
    assert log[1]["time"] - log[0]["time"] >= 1.0, "the retry keeps the pace too"
    assert json.loads(client.get(job["result_url"]).content)["places"][0]["name"] == "Berlin"


def test_an_html_page_fails_the_job_and_poisons_nothing(client, simulator, celery_worker_process):
    simulator.fail("geocoder", "html")
    response = search(client, "Lisbon")
    run_out_persons_wait(response["Location"])  # the clock moves on, not slept
    job = wait_for_job(client, response["Location"], timeout=60)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "upstream_invalid_response"
    assert place_entries() == []
    simulator.reset()
    # Not remembered as a refusal: the next search asks again, and gets it.
    again = search(client, "Lisbon")
    assert again.status_code == 202
    assert wait_for_job(client, again["Location"])["status"] == "succeeded"


def test_a_refusal_is_remembered_and_answered_502(client, simulator, celery_worker_process):
    simulator.fail("geocoder", "400", times=1)
    response = search(client, "Tokyo")
    job = wait_for_job(client, response["Location"])
    assert job["status"] == "failed" and job["error"]["code"] == "upstream_rejected"
    refused = search(client, "tokyo")
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "upstream_rejected"
    assert len(geocoder_log(simulator)) == 1


def test_reverse_gives_the_address_at_a_point(client, simulator, celery_worker_process):
    response = client.get("/api/v1/places/reverse/", {"lat": 45.523061, "lng": -122.676482})
    assert response.status_code == 202, response.content
    job = wait_for_job(client, response["Location"])
    assert job["result_url"] == "/api/v1/places/reverse/?lat=45.5231&lng=-122.6765"
    body = json.loads(client.get(job["result_url"]).content)
    there = gazetteer.reverse(45.5231, -122.6765)
    assert (body["lat"], body["lng"]) == (45.5231, -122.6765)
    assert body["place"]["display_name"] == there.display_name
    assert body["place"]["display_name"].endswith("Portland, Multnomah County, Oregon, United States")
    assert body["place"]["name"] == f"{there.address['house_number']} {there.address['road']}"
    # A point a few metres away is the same entry.
    near = client.get("/api/v1/places/reverse/", {"lat": 45.52314, "lng": -122.67646})
    assert near.status_code == 200 and near["X-Cache"] == "HIT"

    sea = client.get("/api/v1/places/reverse/", {"lat": -20, "lng": -150})
    job = wait_for_job(client, sea["Location"])
    assert json.loads(client.get(job["result_url"]).content)["place"] is None
    for params in ({"lat": 91, "lng": 0}, {"lat": 1}, {"lat": "x", "lng": 2}):
        assert client.get("/api/v1/places/reverse/", params).status_code == 400


def test_twenty_concurrent_searches_reach_the_geocoder_at_most_once_a_second(
    client, simulator, celery_worker_process
):
    """The deployment-wide pace holds under concurrency (workers, processes, requests at once)."""
    queries = [f"Garden town {n}" for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda q: APIClient().get("/api/v1/places/", {"q": q}), queries))
    assert [answer.status_code for answer in answers] == [202] * 20
    assert len({answer.json()["id"] for answer in answers}) == 20
    deadline = time.monotonic() + 120
    for answer in answers:
        job = wait_for_job(client, answer["Location"], timeout=max(1, deadline - time.monotonic()))
        assert job["status"] == "succeeded", job
    log = geocoder_log(simulator)
    arrivals = sorted(entry["time"] for entry in log)
    assert len(arrivals) == 20
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    print(
        "geocoder request times (s after the first):",
        ", ".join(f"{t - arrivals[0]:.3f}" for t in arrivals),
        f"; shortest gap {min(gaps):.3f} s",
    )
    assert min(gaps) >= 1.0, gaps
    # In any window of one second there is at most one request.
    assert all(sum(start <= t < start + 1.0 for t in arrivals) == 1 for start in arrivals)
    assert simulator.stats()["geocoder"]["too_soon"] == 0
    for answer in answers:
        hit = client.get(answer.json()["result_url"])
        assert hit.status_code == 200 and hit["X-Cache"] == "HIT"
