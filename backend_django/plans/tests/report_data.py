"""Every input of a plan's report cached by hand: the climate point and its summary, the
site's sun raster and the buildings cells around it (one building on the site)."""

import json

from backend_django.plans.tests.garden_data import LAT, LNG, climate_summary, gradient_tenths, store_sun
from backend_django.upstream.cache import store
from backend_django.upstream.kinds import climate, sun
from backend_django.upstream.kinds.sun import kind as sun_kind
from backend_django.upstream.tests.sun_helpers import box_payload

HOUR = 3600


def summary_with_facts() -> dict:
    summary = climate_summary(spring=105, fall=288)
    summary.update(
        first_year=1996,
        last_year=2025,
        koppen={"code": "Cfb", "name": "Temperate oceanic"},
        hardiness_zone={"zone": "8b", "number": 8, "years": 30},
    )
    return summary


def store_report_inputs(*, lat: float = LAT, lng: float = LNG, summary: dict | None = None) -> dict[str, str]:
    """Cache everything the report reads; returns the units by name."""
    site = sun.site_snap(lat=lat, lng=lng)
    climate_unit = climate.unit_for(lat, lng)
    store.write(
        [
            store.NewEntry(climate_unit, b'{"daily": {}}', "application/json", HOUR, HOUR),
            store.NewEntry(
                climate.summary_unit(climate_unit),
                json.dumps(summary or summary_with_facts()).encode(),
                "application/json",
                HOUR,
                HOUR,
            ),
        ]
    )
    cells = sun.site_input_units(site=site).buildings
    # One 12 m x 8 m building 20 m north-west of the site's centre, in the first cell.
    payloads = {cell: {"osm_base": None, "ways": [], "nodes": {}} for cell in cells}
    payloads[cells[0]] = box_payload(site, [(-32.0, 12.0, -20.0, 20.0, 9.0)])
    store.write(
        [
            store.NewEntry(cell, json.dumps(payload).encode(), "application/json", HOUR, HOUR)
            for cell, payload in payloads.items()
        ]
    )
    store_sun(gradient_tenths(), lat=lat, lng=lng)
    # The sun's companion, its summary (a fill counts the site fresh only with it).
    summary_body = {"site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit}, "months": []}
    store.write(
        [
            store.NewEntry(
                sun_kind.summary_unit(site.unit),
                json.dumps(summary_body).encode(),
                "application/json",
                HOUR,
                HOUR,
            )
        ]
    )
    return {"climate": climate_unit, "site": site.unit, "cells": ",".join(cells)}
