"""A plan's data as a zip: what the plan is, in open formats, with what each file is.

The same files make the account's zip, one folder per plan. Entries carry the
plan's last change as their date, so the same plan and data give the same zip.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from .content import SOURCES

README = """\
{title}

Exported from Solar Sim. What each file is:

{files}

Licences of the data (keep these notices when you share the files):

{sources}

Plan and beds: yours (you drew them). The sun hours are computed by Solar Sim from
the buildings (OpenStreetMap, ODbL), the tree canopy (Meta and WRI, CC BY 4.0) and
the terrain; a sun GeoTIFF therefore carries the ODbL's share-alike terms for
the building data in it.
"""

FILES = {
    "plan.json": "the plan as the API gives it (GET /api/v1/plans/{id}/): name, place, notes, beds.",
    "beds.geojson": "the beds as GeoJSON (RFC 7946), longitude/latitude (WGS84); "
    "each bed's name and plant ids in its properties.",
    "sun.tif": "hours of direct sun a day over the site's 100 m square: a GeoTIFF of 12 bands, "
    "one per month (January first), in tenths of an hour, 255 for no data, EPSG:4326.",
    "calendar.ics": "the planting calendar of the beds' plants (iCalendar, RFC 5545): "
    "one all-day event per window, at a 50 % risk of frost.",
    "report.pdf": "the printable report, as last built for this version of the plan.",
}


@dataclass(frozen=True)
class PlanFiles:
    name: str
    updated_at: datetime
    plan_json: dict
    beds: dict
    sun_tiff: bytes | None
    calendar_ics: bytes | None
    report_pdf: bytes | None


def safe_name(name: str, fallback: str = "plan") -> str:
    """A file name from a person's text: letters, digits, spaces, dots, dashes (no path)."""
    cleaned = re.sub(r"[^\w .-]+", "", name, flags=re.UNICODE)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .-")[:80]
    return cleaned or fallback


def _readme(title: str, present: list[str]) -> bytes:
    files = "\n".join(f"- {name}: {FILES[name]}" for name in present if name in FILES)
    sources = "\n".join(f"- {what}: {source}; {licence}." for what, source, licence in SOURCES)
    return README.format(title=title, files=files, sources=sources).encode()


def _add(archive: zipfile.ZipFile, path: str, data: bytes, when: datetime) -> None:
    stamp = when.astimezone(UTC)
    info = zipfile.ZipInfo(path, date_time=(max(1980, stamp.year), *stamp.timetuple()[1:6]))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _plan_files(archive: zipfile.ZipFile, plan: PlanFiles, folder: str = "") -> list[str]:
    present = ["plan.json", "beds.geojson"]
    files: list[tuple[str, bytes]] = [
        ("plan.json", json.dumps(plan.plan_json, indent=2, ensure_ascii=False, default=str).encode()),
        ("beds.geojson", json.dumps(plan.beds, indent=2, ensure_ascii=False).encode()),
    ]
    for name, data in (
        ("sun.tif", plan.sun_tiff),
        ("calendar.ics", plan.calendar_ics),
        ("report.pdf", plan.report_pdf),
    ):
        if data is not None:
            files.append((name, data))
            present.append(name)
    for name, data in files:
        _add(archive, folder + name, data, plan.updated_at)
    return present


def plan_zip(plan: PlanFiles) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        present = _plan_files(archive, plan)
        _add(archive, "README.txt", _readme(f"Garden plan: {plan.name}", present), plan.updated_at)
    return buffer.getvalue()


def plans_zip(plans: list[PlanFiles], *, account: dict, exported_at: datetime) -> bytes:
    """Every plan in a folder of its own (its name and id), and the account as JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "account.json", json.dumps(account, indent=2, default=str).encode(), exported_at)
        present: set[str] = set()
        folders = []
        for plan in plans:
            folder = f"{safe_name(plan.name)} ({plan.plan_json['id']})/"
            present.update(_plan_files(archive, plan, folder))
            folders.append(f"- {folder}: {plan.name}")
        title = "Your Solar Sim data: account.json (your account) and a folder per plan.\n\n" + "\n".join(
            folders
        )
        ordered = [name for name in FILES if name in present]
        _add(archive, "README.txt", _readme(title, ordered), exported_at)
    return buffer.getvalue()
