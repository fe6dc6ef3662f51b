"""The fault matrix: each upstream failing in each way, end to end.

A real Celery worker, real Valkey and the upstream simulator, with the test
settings' short breaker cool-offs, timeouts and a person's wait of a few
seconds (config/settings/test.py). For every upstream and fault the job must
say what is happening within one attempt (``last_error``, ``retry_at``, a
``Retry-After`` that matches), show no upstream text to a person, be
charged at most the fixed charge per failed Open-Meteo call, resume by
itself once the fault clears, and leave other places unblocked.
"""

import math
import re
import time
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from backend_django.core.valkey import get_valkey
from backend_django.testing.clock import age_job, run_out_persons_wait
from backend_django.testing.waiting import wait_until
from backend_django.upstream import guards, upstreams
from backend_django.upstream.guards import breaker as health
from backend_django.upstream.jobs import records
from backend_django.upstream.jobs.warming import WARM_QUEUE

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@dataclass(frozen=True)
class Target:
    upstream: str  # as the simulator names it
    breaker: str  # as health.py names it
    path: str
    params: dict  # a place, and another place that must not be blocked afterwards
    other: dict


TARGETS = {
    "open_meteo": Target(
        "open_meteo",
        "open_meteo",
        "/api/v1/climate/",
        {"lat": 45.52, "lng": -122.68},
        {"lat": 40.0, "lng": -3.7},
    ),
    "overpass": Target(
        "overpass",
        "overpass",
        "/api/v1/buildings/",
        {"bbox": "47.3701,8.5401,47.3709,8.5409"},
        {"bbox": "52.5201,13.4001,52.5209,13.4009"},
    ),
    "canopy": Target(
        "canopy",
        "canopy",
        "/api/v1/canopy/",
        {"lat": 45.5231, "lng": -122.6765},
        {"lat": 47.61, "lng": -122.33},
    ),
    "geocoder": Target("geocoder", "geocoder", "/api/v1/places/", {"q": "Lisbon"}, {"q": "Berlin"}),
}
# The unusable body each upstream gets: a captive portal's HTML page, or junk bytes (the canopy tiles).
UNUSABLE = {"open_meteo": "html", "overpass": "html", "canopy": "garbage", "geocoder": "html"}
FAULTS = ["500", "429", "hang", "unusable"]

# What a person must never be shown.
LEAKS = re.compile(r"<|>|https?:|127\.0\.0\.1|localhost|host=|port=|HTTPConnectionPool|curl|CURL|HTTP \d")


@pytest.fixture
def client():
    return APIClient()


def open_meteo_used() -> float:
    return guards.limiter("open_meteo").used(86400)


def poll(client, location: str) -> tuple[dict, int | None]:
    response = client.get(location)
    assert response.status_code == 200, response.content
    retry_after = response.get("Retry-After")
    return response.json(), int(retry_after) if retry_after else None


def wait_until_job(client, location: str, check, timeout: float, what: str) -> tuple[dict, int | None, float]:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job, retry_after = poll(client, location)
        if check(job):
            return job, retry_after, time.time()
        assert job["status"] != "failed", f"the job failed while waiting for {what}: {job}"
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout} s: {job}")


def finished(job: dict) -> bool:
    return job["status"] in ("succeeded", "failed")


def assert_for_people(message: str) -> None:
    assert message and len(message) < 200, message
    assert not LEAKS.search(message), f"upstream or library text shown to a person: {message!r}"


def attempt_seconds(upstream: str) -> float:
    """The longest one attempt may take: its read timeout plus some slack."""
    read = {
        "open_meteo": settings.OPEN_METEO_READ_TIMEOUT,
        "overpass": settings.OVERPASS_READ_TIMEOUT,
        "canopy": settings.CANOPY_READ_TIMEOUT * 2,  # GDAL may ask twice (header, then rows)
        "geocoder": settings.GEOCODER_READ_TIMEOUT,
    }[upstream]
    return read + settings.UPSTREAM_CONNECT_TIMEOUT + 3


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", list(TARGETS))
def test_a_failing_upstream_is_shown_charged_little_resumed_and_blocks_nobody(
    client, simulator, celery_worker_process, name, fault
):
    target = TARGETS[name]
    mode = UNUSABLE[name] if fault == "unusable" else fault
    simulator.fail(target.upstream, mode, retry_after=1 if fault == "429" else None)
    response = client.get(target.path, target.params)
    assert response.status_code == 202, response.content
    location = response["Location"]

    # Within one attempt the job says what went wrong and when it tries again.
    job, retry_after, seen_at = wait_until_job(
        client,
        location,
        lambda job: job["last_error"] is not None and job["retry_at"] is not None,
        attempt_seconds(name),
        "last_error and retry_at",
    )
    assert job["status"] in ("queued", "running") and job["error"] is None
    assert job["attempts"] >= 1
    assert job["last_error"]["code"].startswith("upstream_"), job
    assert_for_people(job["last_error"]["message"])
    if job["waiting_for"] is not None:
        assert job["waiting_for"] in ("upstream_down", "budget", "worker")
    retry_in = datetime.fromisoformat(job["retry_at"]).timestamp() - seen_at
    assert retry_after is not None and abs(retry_after - max(1, math.ceil(retry_in))) <= 1, (retry_after, job)

    # The fault clears: the same job resumes by itself and succeeds.
    log_before = simulator.stats()[target.upstream]["requests_log"]
    simulator.reset()
    job, _, _ = wait_until_job(client, location, finished, 15, "the job to finish")
    assert job["status"] == "succeeded", job
    assert job["attempts"] >= 2 and job["last_error"] is None and job["retry_at"] is None
    assert health.state_of(target.breaker)["state"] == "up"

    # Charged at most the fixed charge per failed call, and the weight of the one that worked.
    if name == "open_meteo":
        log = log_before + simulator.stats()["open_meteo"]["requests_log"]
        # The simulator notes the weight of the calls it answered with data.
        failed_calls = sum(1 for entry in log if "weighted_calls" not in entry)
        succeeded_weight = sum(entry.get("weighted_calls", 0) for entry in log)
        assert failed_calls >= 1 and succeeded_weight > 100
        charged = open_meteo_used()
        assert charged <= failed_calls * settings.OPEN_METEO_FAILED_CALL_CHARGE + succeeded_weight + 0.02, log

    # Another place is fetched at once: nothing is left blocked.
    started = time.monotonic()
    other = client.get(target.path, target.other)
    assert other.status_code == 202, other.content
    job, _, _ = wait_until_job(client, other["Location"], finished, 10, "the other place")
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1 and time.monotonic() - started < 8


def test_a_down_upstream_holds_no_worker_sends_one_probe_and_closes_on_the_first_success(
    client, simulator, celery_worker_process
):
    simulator.fail("open_meteo", "500")
    places = [{"lat": 45.52, "lng": -122.68}, {"lat": 40.0, "lng": -3.7}, {"lat": 51.5, "lng": -0.1}]
    locations = [client.get("/api/v1/climate/", place)["Location"] for place in places]
    # Two failures in a row take it down; the jobs then wait in the queue, not in a worker.
    job, retry_after, _ = wait_until_job(
        client, locations[0], lambda job: job["waiting_for"] == "upstream_down", 10, "upstream_down"
    )
    assert job["status"] == "queued" and retry_after >= 1
    assert health.state_of("open_meteo")["state"] in ("down", "probing")
    assert job["last_error"]["code"] == "upstream_unavailable"
    assert_for_people(job["last_error"]["message"])
    # health/ names it, and stays 200: the outage is the upstream's, not ours.
    answer = client.get("/api/v1/health/")
    assert answer.status_code == 200 and answer.json()["upstreams"]["open_meteo"] in ("down", "probing")
    assert answer.json()["upstreams"]["overpass"] == "up"
    # While down, at most one request at a time: over two cool-offs, a few probes in all.
    before = simulator.stats()["open_meteo"]["requests"]
    time.sleep(settings.UPSTREAM_BREAKER_COOL_OFF * 2)
    assert simulator.stats()["open_meteo"]["requests"] - before <= 2
    assert (
        open_meteo_used()
        <= simulator.stats()["open_meteo"]["requests"] * settings.OPEN_METEO_FAILED_CALL_CHARGE
    )
    simulator.reset()
    for location in locations:
        job, _, _ = wait_until_job(client, location, finished, 10, "the job to finish")
        assert job["status"] == "succeeded", job
    assert health.state_of("open_meteo")["state"] == "up"


def test_a_person_is_told_clearly_when_the_upstream_stays_down(client, simulator, celery_worker_process):
    simulator.fail("overpass", "500")
    response = client.get("/api/v1/buildings/", {"bbox": "47.3701,8.5401,47.3709,8.5409"})
    started = time.monotonic()
    location = response["Location"]
    # The person's wait is all but over (the clock moved, not slept): 3 s of it are left.
    aged = run_out_persons_wait(location, left=3.0)
    job, _, _ = wait_until_job(client, location, finished, 30, "the job to give up")
    took = time.monotonic() - started + aged
    assert job["status"] == "failed" and job["error"]["code"] == "upstream_unavailable"
    assert took <= settings.UPSTREAM_PERSON_MAX_WAIT + attempt_seconds("overpass"), took
    message = job["error"]["message"]
    assert_for_people(message)
    assert message.startswith("OpenStreetMap's Overpass service is not answering; please try again after ")
    assert job["last_error"] is None and job["waiting_for"] is None and job["retry_at"] is None


def test_a_warm_job_waits_quietly_for_a_down_upstream_and_a_spent_budget(
    client, simulator, celery_worker_process
):
    simulator.fail("open_meteo", "500")
    unit = "climate:45.5:-122.7"
    started = records.job_start(
        kind="climate", units=[unit], result_url="/api/v1/climate/?lat=45.5&lng=-122.7", queue=WARM_QUEUE
    )
    location = f"/api/v1/jobs/{started.job.id}/"
    job, _, _ = wait_until_job(
        client, location, lambda job: job["waiting_for"] == "upstream_down", 15, "a wait"
    )
    # Past a person's bound (the job's clock moved on, not slept) it is still
    # waiting, not failed: run again twice since, it went back to waiting each time.
    age_job(location, settings.UPSTREAM_PERSON_MAX_WAIT + 1)
    waits = set()

    def waited_twice_more() -> bool:
        job = poll(client, location)[0]
        assert job["status"] in ("queued", "running"), job
        if job["waiting_for"] == "upstream_down":
            waits.add(job["retry_at"])
        return len(waits) >= 3

    wait_until(waited_twice_more, "two more waits for the upstream", timeout=30, step=0.05)
    simulator.reset()
    job, _, _ = wait_until_job(client, location, finished, 15, "the warm job to finish")
    assert job["status"] == "succeeded", job


def test_health_shows_each_upstream(client):
    answer = client.get("/api/v1/health/")
    assert answer.status_code == 200
    assert answer.json()["upstreams"] == dict.fromkeys(upstreams.NAMES, "up")
    assert {"open_meteo", "overpass", "canopy", "geocoder", "basemap", "terrain"} <= set(upstreams.NAMES)
    get_valkey().hset(
        health.health_key("canopy"), mapping={"state": "open", "until": time.time() * 1000 + 60_000}
    )
    assert client.get("/api/v1/health/").json()["upstreams"]["canopy"] == "down"


def test_a_slow_trickle_is_cut_at_the_deadline_not_each_read(simulator, settings):
    from backend_django.upstream.clients import open_meteo
    from backend_django.upstream.clients.http import UpstreamError

    settings.UPSTREAM_CONNECT_TIMEOUT = 0.5
    settings.OPEN_METEO_READ_TIMEOUT = 1.0  # each read gets a chunk every 0.5 s: never times out alone
    simulator.fail("open_meteo", "trickle", times=1)
    started = time.monotonic()
    with pytest.raises(UpstreamError) as caught:
        open_meteo.fetch_daily(45.5, -122.7, date(2000, 1, 1), date(2000, 12, 31))
    assert time.monotonic() - started < 1.5 + 1.0
    assert caught.value.code == "upstream_timeout" and caught.value.transient
    assert caught.value.message == "Open-Meteo did not answer in time."
    # The next request is answered normally.
    assert (
        len(open_meteo.fetch_daily(45.5, -122.7, date(2000, 1, 1), date(2000, 12, 31))["daily"]["time"])
        == 366
    )


@pytest.mark.parametrize(
    "upstream, mode, code",
    [
        ("open_meteo", "504", "upstream_unavailable"),
        ("open_meteo", "400", "upstream_rejected"),
        ("overpass", "429", "upstream_rate_limited"),
        ("overpass", "remark", "upstream_runtime_error"),
        ("geocoder", "403", "upstream_rejected"),
        ("geocoder", "400", "upstream_rejected"),
    ],
)
def test_error_messages_are_for_people_and_the_detail_for_operators(simulator, upstream, mode, code):
    from backend_django.upstream.clients import geocoder, open_meteo, overpass
    from backend_django.upstream.clients.http import UpstreamError

    calls = {
        "open_meteo": lambda: open_meteo.fetch_daily(45.5, -122.7, date(2000, 1, 1), date(2000, 1, 31)),
        "overpass": lambda: overpass.fetch_buildings(47.3701, 8.5401, 47.3709, 8.5409),
        "geocoder": lambda: geocoder.search("Lisbon"),
    }
    simulator.fail(upstream, mode, times=1)
    with pytest.raises(UpstreamError) as caught:
        calls[upstream]()
    error = caught.value
    assert error.code == code
    assert_for_people(error.message)
    assert error.message.endswith(".") and not error.message.endswith(": .")
    assert len(error.detail) <= 200 and "127.0.0.1" not in error.detail and "<" not in error.detail
