"""The ``report`` kind: a plan's report as a derived kind of the data proxy (decision 0019).

A unit ``report:<plan id>:<version>`` is the PDF of one version of a plan:
``version`` is a digest of everything the report reads that is not cached
data (the plan's last change, its owner's units, the plant catalogue, the
calendar's year, the report's own version). Its inputs are the cached data
(the climate point, whose summary it reads, the sun site and the buildings
cells around it), so that

- a job fills the data first, then builds the report (``tasks.fill_unit``),
  with the job resource, progress, retries and single flight of every kind;
- the entry is fresh as long as its inputs and marked stale when one is
  rewritten with another ETag: the next request builds it again;
- an edit of the plan names another unit: the old one is never asked for
  again and expires, at most REPORT_KEEP_SECONDS after it was built.

The data proxy knows nothing of plans, so the kind is declared here and
added to its registry when the plans app is ready (``kinds.register``).
"""

import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from redis import RedisError

from backend_django.core.valkey import get_valkey
from backend_django.plants.selectors import plant_catalogue_etag, plant_list
from backend_django.upstream.cache import store
from backend_django.upstream.cache.store import Entry, NewEntry
from backend_django.upstream.clients.http import UpstreamError
from backend_django.upstream.kinds import InputsMissing, Kind, buildings, climate, read_inputs
from backend_django.upstream.kinds import sun as sun_module

from .. import planting
from ..beds import beds_parse
from ..models import Plan

logger = logging.getLogger(__name__)

UNIT_PREFIX = "report:"
# A set per plan: the report units built for it, so that deleting the plan deletes them.
BUILT_PREFIX = "ss:reports:"
# Bump when the report's content or layout changes: every plan gets a new one.
REPORT_VERSION = "report/1"
CONTENT_TYPE = "application/pdf"


def _year(plan_timezone: str, now: datetime) -> int:
    """The calendar's year (the plan's time zone, else UTC)."""
    try:
        zone = ZoneInfo(plan_timezone) if plan_timezone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).year


def report_unit(*, plan: Plan, units: str, catalogue_etag: str, now: datetime) -> str:
    """The unit of this version of the plan's report."""
    parts = [
        REPORT_VERSION,
        str(plan.pk),
        plan.updated_at.isoformat(),
        units,
        catalogue_etag,
        str(_year(plan.timezone, now)),
    ]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()
    return f"{UNIT_PREFIX}{plan.pk}:{digest}"


def plan_of_unit(unit: str) -> str:
    return unit.removeprefix(UNIT_PREFIX).split(":")[0]


def data_units(plan: Plan) -> tuple[str, sun_module.Site, list[str]]:
    """The climate point, the sun site and the buildings cells the report reads."""
    site = sun_module.site_snap(lat=plan.latitude, lng=plan.longitude)
    cells = sun_module.site_input_units(site=site).buildings
    return climate.unit_for(plan.latitude, plan.longitude), site, cells


def input_units(unit: str) -> list[str]:
    plan = Plan.objects.filter(pk=plan_of_unit(unit)).only("latitude", "longitude").first()
    if plan is None:
        return []
    climate_unit, site, cells = data_units(plan)
    return [climate_unit, site.unit, *cells]


def square(site: sun_module.Site) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the site's square: what the sun raster covers."""
    return sun_module.site_grid(
        site=site, parameters=sun_module.parameters_from_settings(), margin_m=0
    ).bounds(with_margin=False)


def footprints(site: sun_module.Site, cells: dict[str, Entry]) -> dict:
    """The buildings on the site's square, as GeoJSON (clipped to it)."""
    west, south, east, north = square(site)
    return buildings.feature_collection(
        [entry.json() for entry in cells.values()], (south, west, north, east)
    )


def _gone(message: str) -> UpstreamError:
    # A definite refusal: the job fails with this message, and this unit is not asked again.
    return UpstreamError(code="plan_changed", message=message, transient=False)


def fetch_entries(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """Build the report from the cached data (filled already by the job) and the plan."""
    # ReportLab is loaded by the worker that builds reports, not by every web process.
    from .basemap import cached_basemap
    from .content import ReportPlan, report_content
    from .pdf import report_pdf

    plan = Plan.objects.select_related("owner").filter(pk=plan_of_unit(unit)).first()
    if plan is None:
        raise _gone("The plan was deleted.")
    now = planting.clock()
    units = plan.owner.units
    if report_unit(plan=plan, units=units, catalogue_etag=plant_catalogue_etag(), now=now) != unit:
        raise _gone("The plan changed while its report was being made; ask for the report again.")
    climate_unit, site, cells = data_units(plan)
    inputs = read_inputs(unit, [climate_unit, site.unit, *cells])
    summary_entry = store.read(climate.summary_unit(climate_unit))
    if summary_entry is None or summary_entry.state() == "missing":
        raise InputsMissing(unit, [climate_unit])
    content = report_content(
        plan=ReportPlan(
            id=str(plan.pk),
            name=plan.name,
            address=plan.address,
            latitude=plan.latitude,
            longitude=plan.longitude,
            timezone=plan.timezone,
            updated_at=plan.updated_at,
            beds=beds_parse(plan.beds),
        ),
        units=units,
        site=site,
        tiff=inputs[site.unit].raw(),
        climate_summary=summary_entry.json(),
        climate_url=climate.summary_url(plan.latitude, plan.longitude),
        catalogue=list(plant_list()),
        footprints=footprints(site, {cell: inputs[cell] for cell in cells}),
        now=now,
        # Map tiles only where cached and fresh: not inputs (a report never fetches one).
        basemap=cached_basemap(square(site)),
    )
    entry = kept(KIND.derived_entry(unit, report_pdf(content), inputs))
    built = f"{BUILT_PREFIX}{plan.pk}"
    pipe = get_valkey().pipeline(transaction=False)
    pipe.sadd(built, unit)
    pipe.expire(built, int(settings.REPORT_KEEP_SECONDS))
    pipe.execute()
    return [entry]


def reports_forget(plan_id: str) -> None:
    """Delete the reports built for a plan (it was deleted: nothing of it stays in the cache).
    Valkey away: they expire within REPORT_KEEP_SECONDS anyway."""
    try:
        client = get_valkey()
        built = f"{BUILT_PREFIX}{plan_id}"
        units = [unit.decode() if isinstance(unit, bytes) else unit for unit in client.smembers(built)]
        client.delete(built, *(store.entry_key(unit) for unit in units))
    except RedisError:
        logger.warning("could not delete the reports of plan %s; they expire", plan_id, exc_info=True)


def kept(entry: NewEntry) -> NewEntry:
    """At most REPORT_KEEP_SECONDS in all: old reports expire even while their data lasts."""
    keep = float(settings.REPORT_KEEP_SECONDS)
    fresh = min(entry.fresh_seconds, keep)
    return replace(entry, fresh_seconds=fresh, stale_seconds=min(entry.stale_seconds, keep - fresh))


KIND = Kind(
    name="report",
    unit_prefix=UNIT_PREFIX,
    upstream=None,
    label="Plan reports (derived, PDF)",
    # Unused by its entries, which live as long as their inputs (Kind.derived_entry), capped.
    fresh_setting="REPORT_KEEP_SECONDS",
    stale_setting="REPORT_KEEP_SECONDS",
    content_type=CONTENT_TYPE,
    compress=False,  # a PDF's streams are deflated already
    fetch=fetch_entries,
    inputs=input_units,
    endpoints=("report",),
)
