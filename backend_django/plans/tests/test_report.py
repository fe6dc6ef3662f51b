"""POST/GET plans/{id}/report/ and GET plans/{id}/export/: the report PDF through a job, cached
and repeatable, its text as typed, nothing fetched, owner only; the export zip."""

import io
import json
import socket
import threading
import zipfile

import pytest
import shapely
from pypdf import PdfReader

from backend_django.core.valkey import get_valkey
from backend_django.plans.report.kind import UNIT_PREFIX
from backend_django.plans.tests.factories import PlanFactory
from backend_django.plans.tests.garden_data import LAT, LNG, cell_box, gradient_tenths, site_grid, store_sun
from backend_django.plans.tests.geo import bed, collection
from backend_django.plans.tests.report_data import store_report_inputs
from backend_django.plants.models import Plant
from backend_django.upstream.cache import store
from backend_django.upstream.jobs import records, tasks
from backend_django.upstream.jobs.retry import Attempt
from backend_django.upstream.kinds import climate, sun
from backend_django.users.tests.factories import UserFactory


def report_url(plan) -> str:
    return f"/api/v1/plans/{plan.pk}/report/"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squashed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def grid():
    return site_grid()[1]


@pytest.fixture
def plants(db):
    return list(Plant.objects.order_by("id")[:3])


@pytest.fixture
def plan(user, grid, plants):
    beds = collection(
        bed("a", "Tomatoes", cell_box(grid, 20, 24, 10, 19), plants=[plants[0].pk, plants[1].pk]),
        bed("b", "Herbs by the wall", cell_box(grid, 60, 70, 60, 75), plants=[plants[2].pk]),
    )
    return PlanFactory(
        owner=user, name="Allotment 7", address="Park Row, Bristol", latitude=LAT, longitude=LNG, beds=beds
    )


def build(response) -> str:
    """Carry out a 202's job in this process (a worker's fill_unit of each of its units)."""
    assert response.status_code == 202, response.content
    job = records.job_get(response.json()["id"])
    for unit in job.units:
        tasks.fill_unit(unit, attempt=Attempt(pool="interactive"))
    return next(unit for unit in job.units if unit.startswith(UNIT_PREFIX))


@pytest.mark.django_db
def test_202_with_a_job_then_the_pdf_with_the_plan_in_it(user_client, plan, plants):
    store_report_inputs()
    response = user_client.post(report_url(plan), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert int(response["Retry-After"]) >= 1
    assert job["kind"] == "report" and job["result_url"] == report_url(plan)
    site = sun.site_snap(lat=LAT, lng=LNG)
    units = records.job_get(job["id"]).units
    assert units[:2] == [climate.unit_for(LAT, LNG), site.unit] and units[2].startswith(f"report:{plan.pk}:")
    assert records.job_get(job["id"]).queue == "interactive"
    # Asking again joins the job.
    assert user_client.post(report_url(plan)).json()["id"] == job["id"]
    build(response)

    answer = user_client.get(report_url(plan), HTTP_ACCEPT="application/pdf")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "private, no-cache"
    assert answer["Content-Disposition"] == 'attachment; filename="Allotment 7 - garden report.pdf"'
    text = squashed(pdf_text(answer.content))
    for expected in ("Allotment 7", "Park Row, Bristol", "Tomatoes", "Herbs by the wall", "Cfb", "8b"):
        assert expected in text, expected
    for plant in plants:
        assert plant.common_name in text
    # The licences of the data.
    for licence in ("Open Database License", "CC BY 4.0", "OpenStreetMap", "Open-Meteo", "Canopy Height"):
        assert licence in text, licence
    # Frost dates at 10/50/90 % from the summary's chance dates (days 112/105/98 in spring).
    assert "22 April 15 April 8 April" in text
    # Metric units: A4 (595 x 842 points).
    box = PdfReader(io.BytesIO(answer.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


@pytest.mark.django_db
def test_the_second_request_answers_at_once_with_the_same_bytes_and_etag(user_client, plan):
    store_report_inputs()
    unit = build(user_client.post(report_url(plan)))
    first = user_client.post(report_url(plan))
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    second = user_client.get(report_url(plan))
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert user_client.get(report_url(plan), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    # Built again from the same plan and data: the same bytes (no clock, no random id in it).
    get_valkey().delete(store.entry_key(unit))
    assert build(user_client.post(report_url(plan))) == unit
    assert user_client.get(report_url(plan)).content == first.content
    # The document's dates are the plan's last change.
    info = PdfReader(io.BytesIO(first.content)).metadata
    assert info.creation_date.date() == plan.updated_at.date()


@pytest.mark.django_db
def test_a_change_of_the_plan_or_its_data_builds_a_new_one(user_client, plan):
    store_report_inputs()
    first_unit = build(user_client.post(report_url(plan)))
    first = user_client.get(report_url(plan))

    renamed = user_client.patch(f"/api/v1/plans/{plan.pk}/", {"name": "Allotment 8"}, format="json")
    assert renamed.status_code == 200
    response = user_client.post(report_url(plan))
    second_unit = build(response)
    assert second_unit != first_unit
    second = user_client.get(report_url(plan))
    assert "Allotment 8" in pdf_text(second.content) and second["ETag"] != first["ETag"]

    # New sun data (another ETag): the report is stale and the next request builds it again.
    store_sun(gradient_tenths() // 2)
    assert store.read(second_unit).state() == "stale"
    again = user_client.post(report_url(plan))
    assert build(again) == second_unit
    third = user_client.get(report_url(plan))
    assert third.status_code == 200 and third.content != second.content


@pytest.mark.django_db
def test_old_reports_expire(user_client, plan, settings):
    settings.REPORT_KEEP_SECONDS = 600
    store_report_inputs()  # its data fresh for an hour, kept two
    unit = build(user_client.post(report_url(plan)))
    assert 0 < get_valkey().ttl(store.entry_key(unit)) <= 600


@pytest.mark.django_db
def test_imperial_units_give_us_letter_and_square_feet(user, user_client, plan):
    user.units = "imperial"
    user.save()
    store_report_inputs()
    build(user_client.post(report_url(plan)))
    answer = user_client.get(report_url(plan))
    box = PdfReader(io.BytesIO(answer.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert "ft²" in pdf_text(answer.content)


@pytest.mark.django_db
def test_someone_elses_plan_is_a_404_for_the_report_and_the_export(api_client, plan):
    store_report_inputs()
    other = UserFactory()
    api_client.force_authenticate(user=other)
    for response in (
        api_client.post(report_url(plan)),
        api_client.get(report_url(plan)),
        api_client.get(f"/api/v1/plans/{plan.pk}/export/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    api_client.force_authenticate(user=None)
    assert api_client.post(report_url(plan)).status_code in (401, 403)


class SilentServer:
    """A socket listening on a free port; records any connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.sock.close()


@pytest.mark.django_db
def test_names_with_markup_are_printed_as_text_and_fetch_nothing(user, user_client, grid, tmp_path):
    server = SilentServer()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    try:
        url = f"http://127.0.0.1:{server.port}/x.png"
        name = f'<img src="{url}" width="10" height="10"/> <b>Bold</b> & co'
        names = [
            f"<img src={url}/>",
            f'<a href="{url}">link</a> **strong** [md]({url})',
            "file:///etc/passwd",
            f'<img src="{secret}"/>',
            f'<img src="file://{secret}"/>',
        ]
        beds = collection(
            *(
                bed(f"b{index}", text, cell_box(grid, 10 * index, 10 * index + 4, 5, 9))
                for index, text in enumerate(names)
            )
        )
        plan = PlanFactory(
            owner=user, name=name, address=f"![map]({url})", latitude=LAT, longitude=LNG, beds=beds
        )
        store_report_inputs()
        build(user_client.post(report_url(plan)))
        answer = user_client.get(report_url(plan))
        assert answer.status_code == 200
        text = squashed(pdf_text(answer.content))
        assert squashed(name) in text
        assert f"![map]({url})" in text
        # A bed's name is a table cell: a long word (a path) may be broken across its lines,
        # so the names are compared with no whitespace at all, character for character.
        unbroken = "".join(text.split())
        for typed in names:
            assert "".join(typed.split()) in unbroken, typed
        exported = user_client.get(f"/api/v1/plans/{plan.pk}/export/")
        assert exported.status_code == 200
    finally:
        server.close()
    assert server.connections == 0


@pytest.mark.django_db
def test_the_export_zip_holds_the_plan_its_beds_sun_calendar_and_report(user_client, plan):
    from rasterio.io import MemoryFile

    store_report_inputs()
    answer = user_client.get(f"/api/v1/plans/{plan.pk}/export/")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"] == 'attachment; filename="Allotment 7 - export.zip"'
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == [
        "README.txt",
        "beds.geojson",
        "calendar.ics",
        "plan.json",
        "sun.tif",
    ]
    assert archive.testzip() is None
    plan_json = json.loads(archive.read("plan.json"))
    assert plan_json["id"] == str(plan.pk) and plan_json["name"] == "Allotment 7"
    assert plan_json == user_client.get(f"/api/v1/plans/{plan.pk}/").json() | {
        "data_status": plan_json["data_status"]
    }
    beds = json.loads(archive.read("beds.geojson"))
    shapes = [shapely.geometry.shape(feature["geometry"]) for feature in beds["features"]]
    assert [feature["properties"]["name"] for feature in beds["features"]] == [
        "Tomatoes",
        "Herbs by the wall",
    ]
    assert all(shape.is_valid and shape.area > 0 for shape in shapes)
    with MemoryFile(archive.read("sun.tif")) as memfile, memfile.open() as dataset:
        assert dataset.count == 12 and dataset.crs.to_epsg() == 4326
        assert (dataset.read() == gradient_tenths()).all()
    assert archive.read("calendar.ics").startswith(b"BEGIN:VCALENDAR")
    readme = archive.read("README.txt").decode()
    for expected in ("plan.json", "beds.geojson", "sun.tif", "calendar.ics", "ODbL", "CC BY 4.0"):
        assert expected in readme

    # Once the report is built, the export carries it.
    build(user_client.post(report_url(plan)))
    archive = zipfile.ZipFile(io.BytesIO(user_client.get(f"/api/v1/plans/{plan.pk}/export/").content))
    assert archive.read("report.pdf") == user_client.get(report_url(plan)).content
    assert "report.pdf" in archive.read("README.txt").decode()


@pytest.mark.django_db
def test_the_export_is_a_job_while_the_data_is_missing(user_client, plan):
    response = user_client.get(f"/api/v1/plans/{plan.pk}/export/")
    assert response.status_code == 202
    assert response.json()["result_url"] == f"/api/v1/plans/{plan.pk}/export/"


@pytest.mark.django_db
def test_the_accounts_zip_holds_every_plan_once_their_data_is_cached(user, user_client, plan):
    PlanFactory(owner=user, name="Balcony", latitude=LAT, longitude=LNG)
    PlanFactory(owner=UserFactory(), name="Not mine", latitude=LAT, longitude=LNG)
    waiting = user_client.get("/api/v1/users/me/export.zip")
    assert waiting.status_code == 202, waiting.content
    assert waiting.json()["result_url"] == "/api/v1/users/me/export.zip"
    site = sun.site_snap(lat=LAT, lng=LNG)
    # One job for what is missing, each unit once however many plans share it.
    assert records.job_get(waiting.json()["id"]).units == [climate.unit_for(LAT, LNG), site.unit]

    store_report_inputs()
    answer = user_client.get("/api/v1/users/me/export.zip")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = archive.namelist()
    assert json.loads(archive.read("account.json"))["email"] == user.email
    folders = sorted({name.split("/")[0] for name in names if "/" in name})
    assert len(folders) == 2 and not any("Not mine" in folder for folder in folders)
    for folder in folders:
        assert {f"{folder}/plan.json", f"{folder}/beds.geojson", f"{folder}/sun.tif"} <= set(names)
    assert "Balcony" in archive.read("README.txt").decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_fetches_the_data_then_builds_the_report(
    user_client, simulator, celery_worker_process, grid
):
    from backend_django.testing.waiting import wait_until

    beds = collection(bed("b1", "Beans <b>&</b> peas", cell_box(grid, 40, 44, 50, 59)))
    created = user_client.post(
        "/api/v1/plans/",
        {"name": "Bristol yard", "latitude": LAT, "longitude": LNG, "beds": beds},
        format="json",
    )
    assert created.status_code == 201, created.content
    plan_id = created.json()["id"]
    first = user_client.post(f"/api/v1/plans/{plan_id}/report/")
    assert first.status_code == 202, first.content
    job_url = first["Location"]
    seen = []

    def finished():
        job = user_client.get(job_url).json()
        seen.append(job["progress"]["done"])
        return job if job["status"] in ("succeeded", "failed") else None

    # Climate from the simulated Open-Meteo, the sun from its buildings and canopy, then the report.
    job = wait_until(finished, "the report job", timeout=180, step=0.2)
    assert job["status"] == "succeeded", json.dumps(job)
    assert job["progress"] == {"done": 3, "total": 3} and seen == sorted(seen)
    answer = user_client.get(job["result_url"])
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = squashed(pdf_text(answer.content))
    assert "Bristol yard" in text and "Beans <b>&</b> peas" in text


def store_tiles(zoom: int, greys) -> dict:
    """Every tile over the site's square at ``zoom``, each one grey (``greys(x, y)``), cached fresh."""
    from PIL import Image

    from backend_django.plans.report import basemap
    from backend_django.plans.report.kind import square

    site = sun.site_snap(lat=LAT, lng=LNG)
    columns, rows = basemap._tiles(square(site), zoom)
    entries = []
    for x in columns:
        for y in rows:
            buffer = io.BytesIO()
            Image.new("RGB", (256, 256), (greys(x, y),) * 3).save(buffer, format="PNG")
            entries.append(
                store.NewEntry(
                    f"tile:{zoom}/{x}/{y}", buffer.getvalue(), "image/png", 3600, 0, compress=False
                )
            )
    store.write(entries)
    return {"columns": columns, "rows": rows, "bounds": square(site)}


@pytest.mark.django_db
def test_the_basemap_is_cut_from_cached_tiles_to_the_square(db):
    from rasterio.warp import transform

    from backend_django.plans.report import basemap
    from backend_django.plans.report.basemap import IMAGE_PIXELS, cached_basemap
    from backend_django.plans.report.kind import square

    columns, rows = basemap._tiles(square(sun.site_snap(lat=LAT, lng=LNG)), 19)
    tiles_x0, tiles_y0 = columns.start, rows.start
    assert len(columns) * len(rows) > 1  # the square spans tiles: the cut is what is tested
    tiles = store_tiles(19, lambda x, y: 40 + 20 * (x - tiles_x0) + 60 * (y - tiles_y0))
    west, south, east, north = tiles["bounds"]
    # Which tile holds each corner, by PROJ's Web Mercator (not the code's own formula).
    half = 20037508.342789244
    xs, ys = transform("EPSG:4326", "EPSG:3857", [west, east], [north, south])
    scale = 256 * 2**19 / (2 * half)
    corner_tiles = [
        (int((x + half) * scale // 256), int((half - y) * scale // 256)) for x, y in zip(xs, ys, strict=True)
    ]
    found = cached_basemap(tiles["bounds"])
    assert found is not None and found.zoom == 19 and found.attribution == "© OpenStreetMap contributors"
    image = found.image
    assert image.size == (IMAGE_PIXELS, IMAGE_PIXELS)
    (nw_x, nw_y), (se_x, se_y) = corner_tiles
    assert image.getpixel((1, 1)) == 40 + 20 * (nw_x - tiles_x0) + 60 * (nw_y - tiles_y0)
    assert image.getpixel((IMAGE_PIXELS - 2, IMAGE_PIXELS - 2)) == 40 + 20 * (se_x - tiles_x0) + 60 * (
        se_y - tiles_y0
    )


@pytest.mark.django_db
def test_the_report_has_the_basemap_and_its_attribution_only_where_tiles_are_cached(user_client, plan):
    store_report_inputs()
    build(user_client.post(report_url(plan)))
    without = user_client.get(report_url(plan))
    assert "Basemap" not in pdf_text(without.content)

    store_tiles(19, lambda x, y: 200)
    plan.name = "Allotment 7 with a basemap"
    plan.save()
    build(user_client.post(report_url(plan)))
    with_tiles = pdf_text(user_client.get(report_url(plan)).content)
    assert "Basemap: © OpenStreetMap contributors" in squashed(with_tiles)


@pytest.mark.django_db
def test_deleting_the_plan_or_the_account_deletes_its_reports(user, user_client, plan, grid):
    store_report_inputs()
    unit = build(user_client.post(report_url(plan)))
    assert store.read(unit) is not None
    assert user_client.delete(f"/api/v1/plans/{plan.pk}/").status_code == 204
    assert store.read(unit) is None
    assert not get_valkey().exists(f"ss:reports:{plan.pk}")

    other = PlanFactory(owner=user, name="Second", latitude=LAT, longitude=LNG)
    second = build(user_client.post(report_url(other)))
    from backend_django.users.services import user_delete

    user_delete(user=user)
    assert store.read(second) is None


@pytest.mark.django_db
def test_a_client_asking_for_a_zip_gets_it_and_its_job_as_json(user_client, plan):
    waiting = user_client.get(f"/api/v1/plans/{plan.pk}/export/", HTTP_ACCEPT="application/zip")
    assert waiting.status_code == 202 and waiting.json()["kind"] == "sun"
    store_report_inputs()
    answer = user_client.get(f"/api/v1/plans/{plan.pk}/export/", HTTP_ACCEPT="application/zip")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
