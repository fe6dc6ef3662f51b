"""A plan's report (PDF, built by a worker) and its export (zip): ``plans/{id}/report/``
and ``plans/{id}/export/``, actions of the plans viewset (owner only; 404 otherwise).

The report is a derived kind of the data proxy (plans/report/kind.py): one unit
per version of the plan, filled by a job like any data. ``POST`` (and ``GET``)
answer the PDF at once when this version's report is built and its data has not
changed since; otherwise ``202`` with the job that fills the data and builds it.
"""

from datetime import datetime

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from redis import RedisError
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backend_django.core.api.schema import ErrorSerializer
from backend_django.core.client_ip import client_ip
from backend_django.plans import planting
from backend_django.plans.beds import beds_parse
from backend_django.plans.models import Plan
from backend_django.plans.report import export
from backend_django.plans.report.kind import data_units, report_unit
from backend_django.plans.selectors import plan_get
from backend_django.plans.services import PlanNotFound
from backend_django.plants.selectors import plant_catalogue_etag, plant_list
from backend_django.upstream.cache import store
from backend_django.upstream.http import answers, responses
from backend_django.upstream.http.answers import EntryTarget
from backend_django.upstream.http.serializers import JobSerializer
from backend_django.upstream.kinds import climate
from backend_django.users.api.auth import signed_in_user

from .garden_views import GARDEN_RESPONSES, IgnoreAcceptNegotiation
from .plan_data import PlanData, not_modified, plan_data, plan_etag, plan_site, private_headers
from .serializers import PlanSerializer

REPORT_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The report (built and current): A4, or US Letter for imperial units.",
    ),
    202: GARDEN_RESPONSES[202],
    304: GARDEN_RESPONSES[304],
    400: OpenApiResponse(ErrorSerializer, description="The plan lies beyond 85° N/S (`no_sun`)."),
    404: GARDEN_RESPONSES[404],
    502: GARDEN_RESPONSES[502],
    503: GARDEN_RESPONSES[503],
}
REPORT_DESCRIPTION = (
    "The plan's printable report: its name, place and date; a map of the site with the beds, the "
    "buildings and the growing-season hours of sun; the beds (area, hours per month, season, light "
    "category); each bed's plants with their reasons; the planting calendar; the climate (frost dates "
    "at 10/50/90 %, hardiness zone, Köppen class); the data sources and their licences. Built by a "
    "worker: 202 with the job (poll `Location`, then `GET` its `result_url`, this URL) unless this "
    "version of the plan's report is built and its data unchanged, then the PDF at once. Any change "
    "of the plan or of its data makes the next request build a new one; reports are kept at most "
    "REPORT_KEEP_SECONDS (7 days)."
)


def _own_plan(request: Request, pk: str | None, *, with_data: bool = False) -> Plan:
    plan = plan_get(owner=signed_in_user(request), plan_id=pk, defer=() if with_data else ("data",))
    if plan is None:
        raise PlanNotFound()
    return plan


def _unit(request: Request, plan: Plan) -> str:
    return report_unit(
        plan=plan,
        units=signed_in_user(request).units,
        catalogue_etag=plant_catalogue_etag(),
        now=planting.clock(),
    )


def _filename(plan: Plan, suffix: str) -> str:
    return f"{export.safe_name(plan.name)} - {suffix}"


class ReportActions:
    """Mixed into ``PlanViewSet``."""

    @extend_schema(
        methods=["POST"],
        operation_id="plans_report_create",
        summary="Make the plan's report (PDF)",
        description=REPORT_DESCRIPTION,
        request=None,
        responses=REPORT_RESPONSES,
    )
    @extend_schema(
        methods=["GET"],
        operation_id="plans_report",
        summary="The plan's report (PDF), or the job making it",
        description=REPORT_DESCRIPTION,
        responses=REPORT_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="report",
        pagination_class=None,
        filter_backends=[],
        # A client asking for application/pdf gets it, and errors and jobs as JSON.
        content_negotiation_class=IgnoreAcceptNegotiation,
    )
    def report(self, request: Request, pk: str | None = None) -> HttpResponse | Response:
        plan = _own_plan(request, pk)
        site = plan_site(plan)  # 400 no_sun beyond 85°
        unit = _unit(request, plan)
        result_url = f"/api/v1/plans/{plan.pk}/report/"
        client = client_ip(request.META)
        target = EntryTarget("report", unit, unit, result_url, job_kind="report")
        try:
            lookup = answers.entry_lookup(target, client=client)
            lookup.throttle.check(lookup.count)
            entry = lookup.entry
            if entry is not None and entry.state() == "fresh":
                etag = plan_etag("report", unit, entry.etag)
                if (unchanged := not_modified(request, etag)) is not None:
                    return unchanged
                return HttpResponse(
                    entry.raw(),
                    content_type="application/pdf",
                    headers={
                        **private_headers(etag),
                        "Content-Disposition": content_disposition_header(
                            True, _filename(plan, "garden report.pdf")
                        ),
                    },
                )
            # Not built, or its data changed since: one job fills the data, then builds it.
            climate_unit, _, _ = data_units(plan)
            answer = answers.start_fetch(
                endpoint="report",
                units=[climate_unit, site.unit, unit],
                result_url=result_url,
                missing=[unit],
                client=client,
                job_kind="report",
            )
        except RedisError as exc:
            raise responses.cache_unavailable() from exc
        if answer.state == "accepted" and answer.job is not None:
            return responses.job_accepted(answer.job)
        assert answer.refusal is not None  # start_fetch answers a job or a refusal
        return responses.refused_response(answer.refusal)

    @extend_schema(
        operation_id="plans_export",
        summary="Everything of the plan, as a zip",
        description=(
            "A zip of the plan as JSON (the API's shape), its beds as GeoJSON, the site's sun GeoTIFF, "
            "the planting calendar as iCalendar, the report if one is built for this version of the "
            "plan, and a README.txt saying what each file is and its licence. 202 with a job while "
            "the plan's climate or sun is not cached."
        ),
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip."),
            202: OpenApiResponse(JobSerializer, description="The plan's data is being fetched."),
            404: GARDEN_RESPONSES[404],
            502: GARDEN_RESPONSES[502],
            503: GARDEN_RESPONSES[503],
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export",
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=IgnoreAcceptNegotiation,
    )
    def export(self, request: Request, pk: str | None = None) -> HttpResponse | Response:
        plan = _own_plan(request, pk, with_data=True)
        files = plan_files(request, plan, result_url=f"/api/v1/plans/{plan.pk}/export/")
        if not isinstance(files, export.PlanFiles):
            return files
        return HttpResponse(
            export.plan_zip(files),
            content_type="application/zip",
            headers={
                "Cache-Control": "private, no-store",
                "Content-Disposition": content_disposition_header(True, _filename(plan, "export.zip")),
            },
        )


def plan_files(request: Request, plan: Plan, *, result_url: str) -> export.PlanFiles | Response:
    """The plan's files for a zip, or the answer while its data is being fetched (202)."""
    with_sun = abs(plan.latitude) <= 85
    data = plan_data(request, plan, result_url=result_url, with_sun=with_sun)
    if not isinstance(data, PlanData):
        return data
    summary = data.climate_summary.json()
    zone = planting.plan_zone(plan_timezone=plan.timezone, climate_summary=summary)
    calendar = planting.plan_calendar_feed(
        plan_id=str(plan.pk),
        plan_name=plan.name,
        beds=beds_parse(plan.beds),
        catalogue=plant_list(),
        climate_summary=summary,
        zone=zone,
        risk=planting.DEFAULT_RISK,
        now=planting.clock(),
    )
    report = None
    if with_sun:
        try:
            built = store.read(_unit(request, plan))
        except RedisError:
            built = None
        if built is not None and built.state() != "missing":
            report = built.raw()
    return export.PlanFiles(
        name=plan.name,
        updated_at=plan.updated_at,
        # to_representation: the serializer has a field named `data`, which hides `.data` from mypy.
        plan_json=dict(PlanSerializer(plan).to_representation(plan)),
        beds=plan.beds,
        sun_tiff=data.sun.raw() if data.sun is not None else None,
        calendar_ics=calendar,
        report_pdf=report,
    )


ACCOUNT_ZIP_URL = "/api/v1/users/me/export.zip"


def account_zip(request: Request, *, account: dict, exported_at: datetime) -> HttpResponse | Response:
    """Every plan of the signed-in person in one zip (each as ``plans/{id}/export/``), or
    ``202`` with one job that fetches whatever data of theirs is not cached yet."""
    plans = list(Plan.objects.filter(owner=signed_in_user(request)).order_by("created_at", "id"))
    needed: list[tuple[str, str]] = []  # (unit read, unit a job fills)
    for plan in plans:
        climate_unit = climate.unit_for(plan.latitude, plan.longitude)
        needed.append((climate.summary_unit(climate_unit), climate_unit))
        if abs(plan.latitude) <= 85:
            site = plan_site(plan)
            needed.append((site.unit, site.unit))
    try:
        states = store.states([read for read, _ in needed])
        missing = list(dict.fromkeys(fill for read, fill in needed if states[read] == "missing"))
        if missing:
            answer = answers.start_fetch(
                endpoint="export",
                units=missing,
                result_url=ACCOUNT_ZIP_URL,
                missing=missing,
                client=client_ip(request.META),
                job_kind="export",
            )
            if answer.state == "accepted" and answer.job is not None:
                return responses.job_accepted(answer.job)
            assert answer.refusal is not None
            return responses.refused_response(answer.refusal)
    except RedisError as exc:
        raise responses.cache_unavailable() from exc
    files = []
    for plan in plans:
        found = plan_files(request, plan, result_url=ACCOUNT_ZIP_URL)
        if not isinstance(found, export.PlanFiles):
            return found  # evicted since: the job that fetches it again
        files.append(found)
    return HttpResponse(
        export.plans_zip(files, account=account, exported_at=exported_at),
        content_type="application/zip",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": content_disposition_header(
                True, f"solar-sim-data-{exported_at.date().isoformat()}.zip"
            ),
        },
    )
