"""A plan's planting calendar (JSON and iCalendar) and its subscription link.

The dates are worked out by hand for two plants and two sets of frost dates:

- a tender tomato, started indoors 6 weeks before the last frost, planted
  out a week after it, harvested 60-80 days after planting out;
- a hardy lettuce, sown outdoors 4 weeks before the last frost, harvested
  45-55 days after sowing, and sown again 8 weeks before the first frost;

with the last frost on 15 April (day 105) and the first on 15 October (day
288), and with no frost at all. A window is 7 days either side of its day.
"""

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from backend_django.core.valkey import get_valkey
from backend_django.plans import planting
from backend_django.plans.models import CalendarLink
from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.tests.garden_data import (
    LAT,
    LNG,
    cell_box,
    climate_summary,
    site_grid,
    store_climate,
)
from backend_django.plans.tests.geo import bed, collection
from backend_django.plants.tests.factories import PlantFactory
from backend_django.upstream.jobs import records
from backend_django.upstream.kinds import climate

SPRING, FALL = 105, 288  # 15 April, 15 October


@pytest.fixture
def tomato(db):
    return PlantFactory(
        common_name="Test tomato",
        frost_tolerance="tender",
        weeks_start_indoors_before_last_frost=6,
        weeks_transplant_after_last_frost=1,
        weeks_direct_sow_after_last_frost=None,
        days_to_maturity_min=60,
        days_to_maturity_max=80,
        maturity_from="transplant",
    )


@pytest.fixture
def lettuce(db):
    return PlantFactory(
        common_name="Test lettuce",
        frost_tolerance="hardy",
        light="part_sun",
        sun_hours_min=4,
        sun_hours_ideal=6,
        weeks_direct_sow_after_last_frost=-4,
        days_to_maturity_min=45,
        days_to_maturity_max=55,
        fall_sowing=True,
        weeks_fall_sowing_before_first_frost=8,
    )


@pytest.fixture
def plan(user, tomato, lettuce):
    grid = site_grid()[1]
    beds = collection(
        bed("b1", "Tomatoes", cell_box(grid, 20, 24, 10, 19), plants=[tomato.pk, lettuce.pk]),
        bed("b2", "Salad", cell_box(grid, 30, 34, 10, 19), plants=[lettuce.pk]),
    )
    return PlanFactory(
        owner=user, name="Allotment", latitude=LAT, longitude=LNG, timezone="Europe/London", beds=beds
    )


@pytest.fixture
def early_march(monkeypatch):
    monkeypatch.setattr(planting, "clock", lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


def windows(season: dict) -> dict[str, tuple[str, str]]:
    return {window["kind"]: (window["start"], window["end"]) for window in season["windows"]}


def url(plan, path: str = "calendar/", query: str = "") -> str:
    return f"/api/v1/plans/{plan.pk}/{path}{query}"


@pytest.mark.django_db
def test_the_windows_of_two_plants_with_frost(user_client, plan, tomato, lettuce, early_march):
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    response = user_client.get(url(plan))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-cache"
    body = response.json()
    assert (body["timezone"], body["today"], body["risk"]) == ("Europe/London", "2026-03-01", 50)
    assert body["frost"] == {
        "last_spring_frost": "04-15",
        "first_fall_frost": "10-15",
        "hemisphere": "north",
        "basis": "chance_dates",
        "years": 30,
        "note": "A 50 % chance of frost after 15 April in spring over 30 years. "
        "A 50 % chance of frost before 15 October in fall.",
        "source": climate.summary_url(LAT, LNG),
    }
    lettuce_entry, tomato_entry = body["plants"]  # by name
    assert (tomato_entry["id"], tomato_entry["beds"]) == (tomato.pk, [{"id": "b1", "name": "Tomatoes"}])
    assert lettuce_entry["beds"] == [{"id": "b1", "name": "Tomatoes"}, {"id": "b2", "name": "Salad"}]
    this_year, next_year = tomato_entry["seasons"]
    assert (this_year["year"], next_year["year"]) == (2026, 2027)
    # Indoors: 15 April - 42 days = 4 March, ± 7. Out: 22 April ± 7, but not before the frost: from
    # 15 April. Harvest from planting out: 15 April + 60 = 14 June to 29 April + 80 = 18 July.
    assert windows(this_year) == {
        "start_indoors": ("2026-02-25", "2026-03-11"),
        "transplant": ("2026-04-15", "2026-04-29"),
        "harvest": ("2026-06-14", "2026-07-18"),
    }
    assert [window["what"] for window in this_year["windows"]] == ["start indoors", "plant out", "harvest"]
    assert (this_year["last_spring_frost"], this_year["first_fall_frost"]) == ("2026-04-15", "2026-10-15")
    assert this_year["notes"] == []
    assert windows(next_year)["harvest"] == ("2027-06-14", "2027-07-18")
    # Sown 15 April - 28 days = 18 March ± 7; harvest 11 March + 45 = 25 April to 25 March + 55 = 19 May.
    # Again 15 October - 56 days = 20 August ± 7; harvest 13 August + 45 = 27 September to
    # 27 August + 55 = 21 October (hardy: the frost does not end it).
    assert windows(lettuce_entry["seasons"][0]) == {
        "direct_sow": ("2026-03-11", "2026-03-25"),
        "harvest": ("2026-04-25", "2026-05-19"),
        "fall_sowing": ("2026-08-13", "2026-08-27"),
        "fall_harvest": ("2026-09-27", "2026-10-21"),
    }


@pytest.mark.django_db
def test_the_windows_of_two_plants_without_frost(user_client, plan, early_march):
    store_climate(climate_summary(spring=None, fall=None))
    body = user_client.get(url(plan)).json()
    assert (body["frost"]["last_spring_frost"], body["frost"]["first_fall_frost"]) == (None, None)
    assert body["frost"]["note"] == (
        "No spring frost to wait for at a 50 % risk over 30 years. No fall frost at that risk."
    )
    lettuce_entry, tomato_entry = body["plants"]
    season = tomato_entry["seasons"][0]
    assert (season["no_spring_frost"], season["no_fall_frost"]) == (True, True)
    # Spring counts from 15 February: indoors 15 Feb - 42 = 4 January ± 7 (from the year before);
    # out 22 February ± 7 (nothing to wait for); harvest 15 Feb + 60 = 16 April to 1 March + 80 = 20 May.
    assert windows(season) == {
        "start_indoors": ("2025-12-28", "2026-01-11"),
        "transplant": ("2026-02-15", "2026-03-01"),
        "harvest": ("2026-04-16", "2026-05-20"),
    }
    assert season["notes"] == [
        "No spring frost here in most years: the spring windows count from mid-February, the end of "
        "the cool season, instead of a last frost."
    ]
    # Lettuce: sown 15 Feb - 28 = 18 January ± 7; harvest 11 Jan + 45 = 25 February to 25 Jan + 55 =
    # 21 March. Fall sowing back from 15 December: - 56 = 20 October ± 7; harvest 13 Oct + 45 =
    # 27 November to 27 Oct + 55 = 21 December.
    season = lettuce_entry["seasons"][0]
    assert windows(season) == {
        "direct_sow": ("2026-01-11", "2026-01-25"),
        "harvest": ("2026-02-25", "2026-03-21"),
        "fall_sowing": ("2026-10-13", "2026-10-27"),
        "fall_harvest": ("2026-11-27", "2026-12-21"),
    }
    assert season["notes"][1] == (
        "No fall frost here in most years: fall sowing counts back from mid-December, the start of the "
        "cool season."
    )


@pytest.mark.django_db
def test_the_risk_picks_the_chance_dates(user_client, plan, early_march):
    # At 10 %: the last frost a week later (22 April), the first a week earlier (8 October).
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    body = user_client.get(url(plan, query="?risk=10")).json()
    assert (body["risk"], body["frost"]["last_spring_frost"], body["frost"]["first_fall_frost"]) == (
        10,
        "04-22",
        "10-08",
    )
    tomato_season = body["plants"][1]["seasons"][0]
    assert windows(tomato_season)["transplant"] == ("2026-04-22", "2026-05-06")  # 29 April ± 7
    # A chance date the summary gives as none: no frost to wait for at that risk.
    store_climate(climate_summary(spring=SPRING, fall=FALL, chances={90: (None, FALL + 7)}))
    bold = user_client.get(url(plan, query="?risk=90")).json()
    assert bold["frost"]["last_spring_frost"] is None
    assert bold["plants"][1]["seasons"][0]["no_spring_frost"] is True
    for bad in ("25", "ten", ""):
        response = user_client.get(url(plan, query=f"?risk={bad}"))
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {
            "risk": ["The chance of frost to plan with, in percent: 10, 50 or 90."]
        }


@pytest.mark.django_db
def test_this_year_is_the_plans(user_client, plan, monkeypatch):
    # 23:30 UTC on New Year's Eve is already 2027 in Auckland.
    monkeypatch.setattr(planting, "clock", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    assert [s["year"] for s in user_client.get(url(plan)).json()["plants"][0]["seasons"]] == [2026, 2027]
    plan.timezone = "Pacific/Auckland"
    plan.save()
    body = user_client.get(url(plan)).json()
    assert (body["timezone"], body["today"]) == ("Pacific/Auckland", "2027-01-01")
    assert [s["year"] for s in body["plants"][0]["seasons"]] == [2027, 2028]
    # Without a time zone of its own, the climate's.
    plan.timezone = ""
    plan.save()
    assert user_client.get(url(plan)).json()["timezone"] == "Europe/London"


@pytest.mark.django_db
def test_a_job_while_the_climate_is_missing_then_etags(user_client, plan, early_march):
    response = user_client.get(url(plan, query="?risk=90"))
    assert response.status_code == 202
    job = response.json()
    assert job["result_url"] == url(plan, query="?risk=90")
    assert records.job_get(job["id"]).units == [climate.unit_for(LAT, LNG)]
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    first = user_client.get(url(plan))
    assert first.status_code == 200
    assert user_client.get(url(plan), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    store_climate(climate_summary(spring=SPRING + 1, fall=FALL))
    assert user_client.get(url(plan), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_only_the_owner_reads_the_calendar(user_client, plan, api_client):
    store_climate(climate_summary())
    theirs = PlanFactory(latitude=LAT, longitude=LNG)
    for path in ("calendar/", "calendar.ics", "calendar/link/"):
        assert user_client.get(url(theirs, path)).status_code == 404
        assert api_client.get(url(plan, path)).status_code == 401
    assert user_client.post(url(theirs, "calendar/link/")).status_code == 404
    assert not CalendarLink.objects.exists()


def events(content: bytes) -> dict[str, dict]:
    feed = Calendar.from_ical(content)
    found = {}
    for event in feed.walk("VEVENT"):
        found[str(event["UID"])] = {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
        }
    return found


@pytest.mark.django_db
def test_the_ics_feed_has_the_same_windows_with_stable_uids(user_client, plan, tomato, lettuce, early_march):
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    response = user_client.get(url(plan, "calendar.ics"), HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache"
    feed = Calendar.from_ical(response.content)
    assert str(feed["X-WR-CALNAME"]) == "Allotment: planting calendar"
    found = events(response.content)
    # Tomato: 3 windows, lettuce: 4, each this year and next.
    assert len(found) == (3 + 4) * 2
    uid = f"plan-{plan.pk}.plant-{tomato.pk}.transplant.2026@solar-sim"
    assert found[uid] == {
        "summary": "Test tomato: plant out",
        "start": date(2026, 4, 15),
        "end": date(2026, 4, 30),  # the day after the window's last
    }
    assert found[f"plan-{plan.pk}.plant-{lettuce.pk}.fall_sowing.2027@solar-sim"]["start"] == date(
        2027, 8, 13
    )
    # Fetched again, and after the frost dates moved: the same events, moved.
    assert set(events(user_client.get(url(plan, "calendar.ics")).content)) == set(found)
    store_climate(climate_summary(spring=SPRING + 7, fall=FALL))
    moved = events(user_client.get(url(plan, "calendar.ics")).content)
    assert set(moved) == set(found)
    assert moved[uid]["start"] == date(2026, 4, 22)


@pytest.mark.django_db
def test_a_subscription_link_reads_the_feed_without_signing_in(user_client, plan, api_client, early_march):
    store_climate(climate_summary(spring=SPRING, fall=FALL))
    none = user_client.get(url(plan, "calendar/link/"))
    assert none.status_code == 404
    assert none.json()["error"]["message"] == "This plan's calendar has no subscription link."
    made = user_client.post(url(plan, "calendar/link/"))
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    link = made.json()
    assert link["url"] == f"http://testserver{link['path']}"
    assert link["path"].startswith("/api/v1/calendar/") and link["path"].endswith(".ics")
    token = link["path"].removeprefix("/api/v1/calendar/").removesuffix(".ics")
    assert len(token) >= 40
    assert user_client.get(url(plan, "calendar/link/")).json() == {"created_at": link["created_at"]}
    # Only its hash is kept.
    assert token not in CalendarLink.objects.get().token_digest

    feed = api_client.get(link["path"], HTTP_ACCEPT="text/calendar")
    assert feed.status_code == 200, feed.content
    owners = user_client.get(url(plan, "calendar.ics"))
    assert set(events(feed.content)) == set(events(owners.content))
    # A session or a bad token header changes nothing: the link is what counts.
    assert api_client.get(link["path"], HTTP_AUTHORIZATION="Token nonsense").status_code == 200

    # A new link: the old one stops working.
    newer = user_client.post(url(plan, "calendar/link/")).json()
    assert newer["path"] != link["path"]
    gone = api_client.get(link["path"])
    assert gone.status_code == 404
    assert gone.json() == {
        "error": {"code": "not_found", "message": "No calendar at this link (it was revoked, or never made)."}
    }
    assert api_client.get(newer["path"]).status_code == 200
    # Revoked.
    assert user_client.delete(url(plan, "calendar/link/")).status_code == 204
    assert api_client.get(newer["path"]).status_code == 404
    assert user_client.get(url(plan, "calendar/link/")).status_code == 404
    assert user_client.delete(url(plan, "calendar/link/")).status_code == 204
    # Unknown tokens look the same as revoked ones.
    assert api_client.get("/api/v1/calendar/" + "A" * 43 + ".ics").json() == gone.json()


@pytest.mark.django_db
def test_a_link_to_a_calendar_not_ready_asks_to_come_back(user_client, plan, api_client):
    path = user_client.post(url(plan, "calendar/link/")).json()["path"]
    response = api_client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "not_ready"
    # The climate is on its way, in a job whose record does not hold the token.
    valkey = get_valkey()
    jobs = [
        records.job_get(key.decode().removeprefix(records.JOB_PREFIX))
        for key in valkey.scan_iter(match=records.job_key("*"))
    ]
    (job,) = [job for job in jobs if job is not None]
    assert job.units == [climate.unit_for(LAT, LNG)]
    assert job.result_url == climate.summary_url(LAT, LNG)


@pytest.mark.django_db
def test_deleting_the_plan_revokes_its_link(user_client, plan, api_client):
    store_climate(climate_summary())
    path = user_client.post(url(plan, "calendar/link/")).json()["path"]
    assert user_client.delete(f"/api/v1/plans/{plan.pk}/").status_code == 204
    assert api_client.get(path).status_code == 404
