"""A plan's planting windows as an iCalendar feed a calendar app can subscribe to.

One all-day event per window (``DTEND`` is the day after the window's last
day, as RFC 5545 wants for dates). Each event's UID is made of the plan, the
plant, the window kind and the season's year, never of the dates: when the
frost dates or the plant's timing change, a calendar that fetches the feed
again moves its events instead of adding new ones.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from icalendar import Calendar, Event, vDuration

from .calendar import (
    DIRECT_SOW,
    FALL_HARVEST,
    FALL_SOWING,
    HARVEST,
    START_INDOORS,
    TRANSPLANT,
    PlantingCalendar,
    Window,
)

PRODID = "-//Solar Sim//Planting calendar//EN"
UID_DOMAIN = "solar-sim"
# How often a subscribed calendar should fetch the feed again.
REFRESH = timedelta(days=1)

# An event's title: the plant's name, then this.
WHAT = {
    START_INDOORS: "start indoors",
    TRANSPLANT: "plant out",
    DIRECT_SOW: "sow outdoors",
    HARVEST: "harvest",
    FALL_SOWING: "sow for a fall crop",
    FALL_HARVEST: "harvest the fall sowing",
}


class FeedPlant(Protocol):
    pk: int
    common_name: str
    botanical_name: str


def event_uid(*, plan_id: uuid.UUID | str, plant_id: int, kind: str, year: int) -> str:
    """The stable UID of one window of one plant in one plan's season."""
    return f"plan-{plan_id}.plant-{plant_id}.{kind}.{year}@{UID_DOMAIN}"


def planting_feed(
    *,
    plan_id: uuid.UUID | str,
    plan_name: str,
    calendars: Iterable[tuple[FeedPlant, PlantingCalendar]],
    generated_at: datetime,
) -> bytes:
    """The feed of every window of ``calendars`` (a plant and its calendar each), as bytes.

    ``generated_at`` (timezone-aware) is every event's DTSTAMP: the moment
    this copy of the feed was made.
    """
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", f"{plan_name}: planting calendar")
    feed.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no type icalendar knows: give it the duration's text (P1D).
    feed.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())
    for plant, calendar in calendars:
        for window in calendar.windows:
            feed.add_component(_event(plan_id, plant, calendar, window, generated_at))
    return feed.to_ical()


def _event(
    plan_id: uuid.UUID | str,
    plant: FeedPlant,
    calendar: PlantingCalendar,
    window: Window,
    generated_at: datetime,
) -> Event:
    event = Event()
    event.add("uid", event_uid(plan_id=plan_id, plant_id=plant.pk, kind=window.kind, year=calendar.year))
    event.add("dtstamp", generated_at)
    event.add("dtstart", window.start)
    event.add("dtend", window.end + timedelta(days=1))
    event.add("summary", f"{plant.common_name}: {WHAT[window.kind]}")
    lines = [
        f"{plant.common_name} ({plant.botanical_name}): from {window.start:%d %B} to {window.end:%d %B %Y}.",
        *calendar.notes,
    ]
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")  # a planting window does not make anyone busy
    return event
