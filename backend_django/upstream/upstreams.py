"""The upstreams: every public service the data comes from, declared once.

An ``Upstream`` says what the rest of the app needs to know of a service:
its ``name`` (what kinds, jobs, the breaker, the budgets and the logs call
it), how people read it in messages, the setting holding its URL and its
read timeout, how its requests are held back (``limit``: guards/ builds the
limiter from it, and the client's fair share of its budget) and the route
of the project's simulator that stands in for it (devtools/simulator).

The breaker table, the labels, the fair shares, the admin's overview and
the simulator's environment (``simulator_env``, ``manage.py
upstream_simulator --print-env``) are derived from ``UPSTREAMS``; a test
checks that every kind's upstream is here and that the simulator answers
each route. This module imports nothing of the app: everything else may
import it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class WeightedBudget:
    """Weighted calls per minute, hour and day, all workers together (Open-Meteo).

    Each field names the setting that holds the limit. A call that fails is
    charged ``failed_call_charge`` instead of its weight (decision 0016)."""

    per_minute: str
    per_hour: str
    per_day: str
    failed_call_charge: str


@dataclass(frozen=True)
class Slots:
    """At most ``concurrent`` requests at once (leases that expire, so a worker
    that died frees its slot), and optionally at most ``per_day`` a day. With
    ``cool_down_on_429`` a 429 stops everyone asking for its Retry-After."""

    concurrent: str
    per_day: str | None = None
    cool_down_on_429: bool = False


@dataclass(frozen=True)
class Turn:
    """One request at a time for the whole deployment, the next one at least
    ``interval`` seconds (a setting) after the previous answer (Nominatim's policy)."""

    interval: str


Limit = WeightedBudget | Slots | Turn


@dataclass(frozen=True)
class Upstream:
    name: str
    label: str  # how people read it: "Open-Meteo did not answer in time."
    url_setting: str  # the setting holding its URL (a URL template for tiles)
    read_timeout_setting: str  # seconds one read may take
    limit: Limit
    simulator_path: str  # the simulator's route standing in for it, from its base URL


UPSTREAMS: tuple[Upstream, ...] = (
    Upstream(
        name="open_meteo",
        label="Open-Meteo",
        url_setting="OPEN_METEO_URL",
        read_timeout_setting="OPEN_METEO_READ_TIMEOUT",
        limit=WeightedBudget(
            per_minute="OPEN_METEO_CALLS_PER_MINUTE",
            per_hour="OPEN_METEO_CALLS_PER_HOUR",
            per_day="OPEN_METEO_CALLS_PER_DAY",
            failed_call_charge="OPEN_METEO_FAILED_CALL_CHARGE",
        ),
        simulator_path="/v1/archive",
    ),
    Upstream(
        name="overpass",
        label="OpenStreetMap's Overpass service",
        url_setting="OVERPASS_URL",
        read_timeout_setting="OVERPASS_READ_TIMEOUT",
        limit=Slots(
            concurrent="OVERPASS_MAX_CONCURRENT", per_day="OVERPASS_REQUESTS_PER_DAY", cool_down_on_429=True
        ),
        simulator_path="/api/interpreter",
    ),
    Upstream(
        name="canopy",
        label="The canopy height map",
        url_setting="CANOPY_URL",
        read_timeout_setting="CANOPY_READ_TIMEOUT",
        limit=Slots(concurrent="CANOPY_MAX_CONCURRENT"),
        simulator_path="/chm",
    ),
    Upstream(
        name="basemap",
        label="The map tile server",
        url_setting="BASEMAP_URL",
        read_timeout_setting="BASEMAP_READ_TIMEOUT",
        limit=Slots(concurrent="BASEMAP_MAX_CONCURRENT"),
        simulator_path="/basemap/{z}/{x}/{y}.png",
    ),
    Upstream(
        name="terrain",
        label="The elevation tiles",
        url_setting="TERRAIN_URL",
        read_timeout_setting="TERRAIN_READ_TIMEOUT",
        limit=Slots(concurrent="TERRAIN_MAX_CONCURRENT"),
        simulator_path="/terrarium/{z}/{x}/{y}.png",
    ),
    Upstream(
        name="geocoder",
        label="The place search service",
        url_setting="GEOCODER_URL",
        read_timeout_setting="GEOCODER_READ_TIMEOUT",
        limit=Turn(interval="GEOCODER_MIN_INTERVAL_SECONDS"),
        simulator_path="/nominatim",
    ),
)

_BY_NAME = {upstream.name: upstream for upstream in UPSTREAMS}
NAMES = tuple(_BY_NAME)


def get(name: str) -> Upstream:
    """The upstream called ``name``; KeyError for none."""
    return _BY_NAME[name]


def label(name: str | None) -> str:
    """How people read an upstream's name ("The data source" for an unknown one)."""
    found = _BY_NAME.get(name or "")
    return found.label if found is not None else "The data source"


def simulator_env(base_url: str) -> dict[str, str]:
    """The URL settings that point every upstream at a simulator serving at ``base_url``."""
    base = base_url.rstrip("/")
    return {upstream.url_setting: f"{base}{upstream.simulator_path}" for upstream in UPSTREAMS}
