"""The feed, read back with the icalendar parser."""

import uuid
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from backend_django.plants.calendar import planting_calendar
from backend_django.plants.ics import PRODID, planting_feed

from .factories import PlantFactory

PLAN_ID = uuid.UUID("6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01")
GENERATED_AT = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def tomato():
    return PlantFactory.build(
        pk=7,
        common_name="Tomato",
        botanical_name="Solanum lycopersicum",
        days_to_maturity_min=60,
        days_to_maturity_max=85,
        maturity_from="transplant",
        weeks_start_indoors_before_last_frost=6,
        weeks_transplant_after_last_frost=1,
        weeks_direct_sow_after_last_frost=None,
    )


def bean():
    return PlantFactory.build(
        pk=12,
        common_name="Bush bean",
        botanical_name="Phaseolus vulgaris",
        days_to_maturity_min=50,
        days_to_maturity_max=60,
        weeks_direct_sow_after_last_frost=1,
        fall_sowing=True,
        weeks_fall_sowing_before_first_frost=10,
    )


def feed(last_spring_frost: date, first_fall_frost: date, *, generated_at=GENERATED_AT) -> Calendar:
    plants = [tomato(), bean()]
    calendars = [
        (
            plant,
            planting_calendar(
                plant, last_spring_frost=last_spring_frost, first_fall_frost=first_fall_frost, year=2026
            ),
        )
        for plant in plants
    ]
    body = planting_feed(
        plan_id=PLAN_ID, plan_name="Allotment", calendars=calendars, generated_at=generated_at
    )
    assert isinstance(body, bytes)
    return Calendar.from_ical(body)


def events(calendar: Calendar) -> dict[str, dict]:
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "stamp": event.decoded("DTSTAMP"),
        }
        for event in calendar.walk("VEVENT")
    }


def test_one_all_day_event_per_window_with_stable_uids():
    calendar = feed(date(2026, 4, 15), date(2026, 10, 15))
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Allotment: planting calendar"
    # Fetch again daily: RFC 7986's REFRESH-INTERVAL and the older X-PUBLISHED-TTL, both durations.
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(days=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "P1D"
    uid = "plan-6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01.plant-{}.{}.2026@solar-sim"
    # DTEND is the day after each window's last day (RFC 5545: the end is not included).
    assert events(calendar) == {
        uid.format(7, "start_indoors"): {
            "summary": "Tomato: start indoors",
            "start": date(2026, 2, 25),  # 15 Apr - 6 weeks = 4 Mar, +/- 7 days
            "end": date(2026, 3, 12),
            "stamp": GENERATED_AT,
        },
        uid.format(7, "transplant"): {
            "summary": "Tomato: plant out",
            "start": date(2026, 4, 15),
            "end": date(2026, 4, 30),
            "stamp": GENERATED_AT,
        },
        uid.format(7, "harvest"): {
            "summary": "Tomato: harvest",
            "start": date(2026, 6, 14),
            "end": date(2026, 7, 24),
            "stamp": GENERATED_AT,
        },
        # Sow 15 Apr + 7 = 22 Apr: window 15 .. 29 Apr; harvest 15 Apr + 50 = 4 Jun, 29 Apr + 60 = 28 Jun.
        uid.format(12, "direct_sow"): {
            "summary": "Bush bean: sow outdoors",
            "start": date(2026, 4, 15),
            "end": date(2026, 4, 30),
            "stamp": GENERATED_AT,
        },
        uid.format(12, "harvest"): {
            "summary": "Bush bean: harvest",
            "start": date(2026, 6, 4),
            "end": date(2026, 6, 29),
            "stamp": GENERATED_AT,
        },
        # 15 Oct - 70 days = 6 Aug (15 + 30 + 25): window 30 Jul .. 13 Aug; harvest 30 Jul + 50 =
        # 18 Sep, 13 Aug + 60 = 12 Oct.
        uid.format(12, "fall_sowing"): {
            "summary": "Bush bean: sow for a fall crop",
            "start": date(2026, 7, 30),
            "end": date(2026, 8, 14),
            "stamp": GENERATED_AT,
        },
        uid.format(12, "fall_harvest"): {
            "summary": "Bush bean: harvest the fall sowing",
            "start": date(2026, 9, 18),
            "end": date(2026, 10, 13),
            "stamp": GENERATED_AT,
        },
    }
    for event in calendar.walk("VEVENT"):
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert event["DTEND"].params["VALUE"] == "DATE"
        assert str(event["TRANSP"]) == "TRANSPARENT"


def test_a_new_fetch_moves_the_same_events():
    before = events(feed(date(2026, 4, 15), date(2026, 10, 15)))
    after = events(feed(date(2026, 4, 29), date(2026, 10, 1), generated_at=datetime(2026, 2, 1, tzinfo=UTC)))
    assert after.keys() == before.keys()
    transplant = "plan-6f1c1a52-3c1e-4c7e-9d59-0b7f1c5e8a01.plant-7.transplant.2026@solar-sim"
    # Two weeks later: 29 Apr + 7 = 6 May, window 29 Apr .. 13 May.
    assert (after[transplant]["start"], after[transplant]["end"]) == (date(2026, 4, 29), date(2026, 5, 14))


def test_the_description_names_the_plant_its_dates_and_the_notes():
    plant = tomato()
    calendar = planting_calendar(plant, last_spring_frost=None, first_fall_frost=None, year=2026)
    parsed = Calendar.from_ical(
        planting_feed(
            plan_id=PLAN_ID, plan_name="Patio", calendars=[(plant, calendar)], generated_at=GENERATED_AT
        )
    )
    transplant = next(event for event in parsed.walk("VEVENT") if "transplant" in str(event["UID"]))
    assert str(transplant["DESCRIPTION"]) == (
        "Tomato (Solanum lycopersicum): from 15 February to 01 March 2026.\n" + calendar.notes[0]
    )


def test_uids_differ_between_plans_and_years():
    plant = tomato()
    spring, fall = date(2026, 4, 15), date(2026, 10, 15)
    uids = set()
    for plan_id in (PLAN_ID, uuid.UUID(int=1)):
        for year in (2026, 2027):
            calendar = planting_calendar(plant, last_spring_frost=spring, first_fall_frost=fall, year=year)
            body = planting_feed(
                plan_id=plan_id, plan_name="x", calendars=[(plant, calendar)], generated_at=GENERATED_AT
            )
            uids |= {str(event["UID"]) for event in Calendar.from_ical(body).walk("VEVENT")}
    assert len(uids) == 2 * 2 * 3
