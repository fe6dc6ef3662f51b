"""The plan report as a PDF (ReportLab, decision 0026).

Every text that comes from a person (the plan's name and address, beds'
names) or from data (plant names) is escaped before it reaches a Paragraph,
so ReportLab's paragraph markup (``<img src=...>``, ``<a href=...>``, fonts)
never sees a tag of theirs: it is printed as it was typed. ReportLab's URL
opener trusts no host (``trustedHosts`` is set to none when this module
loads), and the only image is the site map's pixels, handed over in memory.

The same content gives the same bytes: ReportLab's invariant mode (no
random document id, no clock), and the document's dates are the plan's last
change (its ``updated_at``), not the time it was built.
"""

import io
from datetime import UTC, date
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from .content import LIGHT_LABELS, SOURCES, ReportContent
from .sitemap import FEET_PER_METRE, SiteMap, season_raster

# No host is trusted: ReportLab refuses to open any URL (it would for an <img> tag).
rl_config.trustedHosts = None
rl_config.trustedSchemes = []

# Bitstream Vera, shipped inside ReportLab: embedded (subset) so that accents print and
# text extracts; ReportLab's own copy, found on its font path, never a system font.
FONT, BOLD = "SolarSimVera", "SolarSimVera-Bold"
pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))

DASH = "\u2013"  # an en dash, between the ends of a range
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WINDOWS = {
    "start_indoors": "Start indoors",
    "transplant": "Plant out",
    "direct_sow": "Sow outdoors",
    "harvest": "Harvest",
    "fall_sowing": "Fall sowing",
    "fall_harvest": "Fall harvest",
}
SQUARE_FEET_PER_SQUARE_METRE = FEET_PER_METRE**2

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, alignment=TA_LEFT)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=18, leading=22, spaceAfter=4)
HEADING = ParagraphStyle("heading", parent=BODY, fontName=BOLD, fontSize=12, leading=15, spaceBefore=10)
SUBHEADING = ParagraphStyle("subheading", parent=BODY, fontName=BOLD, fontSize=9.5, spaceBefore=6)


def text(value: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: whatever ``value`` holds is printed as it is."""
    return Paragraph(escape(str(value)), style)


def _date_words(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _day_words(label: str | None) -> str:
    """``"04-15"`` → ``"15 April"``; None → ``"no frost"``."""
    if not label:
        return "none (rarer than this)"
    month, day = (int(part) for part in label.split("-"))
    return f"{day} {date(2001, month, day):%B}"


class LightSwatch(Flowable):
    """A light category by pattern as well as by its label: white (full sun), dots (part
    sun), hatching (part shade), cross-hatching (shade)."""

    SIZE = 9.0

    def __init__(self, light: str | None) -> None:
        super().__init__()
        self.light = light

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.SIZE, self.SIZE

    def draw(self) -> None:
        canvas: Canvas = self.canv
        size = self.SIZE
        canvas.saveState()
        canvas.setLineWidth(0.5)
        canvas.setStrokeColor(colors.black)
        canvas.setFillColor(colors.white)
        canvas.rect(0, 0, size, size, stroke=1, fill=1)
        path = canvas.beginPath()
        path.rect(0, 0, size, size)
        canvas.clipPath(path, stroke=0, fill=0)
        canvas.setFillColor(colors.black)
        if self.light == "part_sun":
            for x in (2.25, 6.75):
                for y in (2.25, 6.75):
                    canvas.circle(x, y, 0.8, stroke=0, fill=1)
        if self.light in ("part_shade", "shade"):
            for offset in range(-9, 10, 3):
                canvas.line(offset, 0, offset + size, size)
        if self.light == "shade":
            for offset in range(-9, 10, 3):
                canvas.line(offset, size, offset + size, 0)
        canvas.restoreState()


def _light_cell(light: str | None) -> Table:
    label = LIGHT_LABELS.get(light or "", "No data")
    cell = Table([[LightSwatch(light), text(label, SMALL)]], colWidths=[12, None])
    cell.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return cell


def _hours(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def _grid_style(header_rows: int = 1) -> TableStyle:
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 7.5),
            ("FONTNAME", (0, 0), (-1, header_rows - 1), BOLD),
            ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, colors.black),
            ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def _beds_table(content: ReportContent, width: float) -> Table:
    imperial = content.units == "imperial"
    header = [
        "#",
        "Bed",
        "Area (ft²)" if imperial else "Area (m²)",
        "Light (season)",
        "Season h/day",
        *MONTHS,
    ]
    rows: list[list] = [[text(cell, SMALL) for cell in header]]
    for bed in content.beds:
        area = bed.area_m2 * SQUARE_FEET_PER_SQUARE_METRE if imperial else bed.area_m2
        rows.append(
            [
                str(bed.number),
                text(bed.name, SMALL),
                f"{area:,.1f}",
                _light_cell(bed.light),
                _hours(bed.season_hours),
                *(_hours(value) for value in bed.months),
            ]
        )
    fixed = 16 + 38 + 66 + 34
    month = 21.0
    name = max(60.0, width - fixed - 12 * month)
    table = Table(rows, colWidths=[16, name, 38, 66, 34, *([month] * 12)], repeatRows=1)
    style = _grid_style()
    style.add("ALIGN", (2, 1), (-1, -1), "RIGHT")
    table.setStyle(style)
    return table


def _bed_plants(content: ReportContent) -> list[Flowable]:
    story: list[Flowable] = []
    for bed in content.beds:
        block: list[Flowable] = [text(f"{bed.number}. {bed.name}", SUBHEADING)]
        if not bed.plants:
            block.append(text("Nothing planted in this bed yet.", SMALL))
        for plant in bed.plants:
            mark = "" if plant["fits"] else " (does not fit)"
            block.append(text(f"{plant['name']} ({plant['botanical']}){mark}", BODY))
            for reason in plant["reasons"]:
                block.append(text(f"    • {reason}", SMALL))
        if bed.suggestions:
            names = "; ".join(f"{item['name']} ({item['botanical']})" for item in bed.suggestions)
            block.append(text(f"Also fits well: {names}", SMALL))
        story.append(KeepTogether(block))
    return story


def _calendar(content: ReportContent) -> list[Flowable]:
    calendar = content.calendar
    story: list[Flowable] = [text(calendar["frost"].get("note", ""), SMALL), Spacer(1, 4)]
    rows: list[list] = [[text(cell, SMALL) for cell in ("Plant", "Beds", "What", "From", "To")]]
    for plant in calendar["plants"]:
        seasons = plant["seasons"][:1]
        beds = ", ".join(bed["name"] for bed in plant["beds"])
        for season in seasons:
            for window in season["windows"]:
                rows.append(
                    [
                        text(plant["common_name"], SMALL),
                        text(beds, SMALL),
                        WINDOWS.get(window["kind"], window["kind"]),
                        _date_words(date.fromisoformat(window["start"])),
                        _date_words(date.fromisoformat(window["end"])),
                    ]
                )
            for note in season.get("notes", []):
                rows.append([text(plant["common_name"], SMALL), "", text(note, SMALL), "", ""])
    if len(rows) == 1:
        story.append(text("No plants in the beds yet: the calendar fills as you plant them.", SMALL))
        return story
    table = Table(rows, colWidths=[110, 130, 110, 80, 80], repeatRows=1)
    table.setStyle(_grid_style())
    story.append(table)
    return story


def _climate(content: ReportContent) -> list[Flowable]:
    facts = content.climate
    years = facts.get("years")
    span = (
        f" ({facts['first_year']}{DASH}{facts['last_year']}, {years} years)"
        if facts.get("first_year")
        else ""
    )
    rows: list[list] = [
        [text(cell, SMALL) for cell in ("Chance of a later / earlier frost", "10 %", "50 %", "90 %")],
        [
            text("Last spring frost", SMALL),
            *(_day_words(facts["last_spring_frost"].get(chance)) for chance in (10, 50, 90)),
        ],
        [
            text("First fall frost", SMALL),
            *(_day_words(facts["first_fall_frost"].get(chance)) for chance in (10, 50, 90)),
        ],
    ]
    table = Table(rows, colWidths=[150, 100, 100, 100])
    table.setStyle(_grid_style())
    koppen = facts.get("koppen")
    koppen_text = (
        f"{koppen['code']}: {koppen['name']}" if koppen else (facts.get("koppen_reason") or "not known")
    )
    return [
        text(f"Frost dates from the daily minimum temperatures of the place{span}.", SMALL),
        Spacer(1, 3),
        table,
        Spacer(1, 4),
        text(f"USDA hardiness zone: {facts.get('hardiness_zone') or 'not known'}", BODY),
        text(f"Köppen{DASH}Geiger climate: {koppen_text}", BODY),
    ]


def _sources() -> Table:
    rows: list[list] = [[text(cell, SMALL) for cell in ("Data", "Source", "Licence")]]
    rows += [[text(cell, SMALL) for cell in row] for row in SOURCES]
    table = Table(rows, colWidths=[140, 200, 150])
    table.setStyle(_grid_style())
    return table


def report_pdf(content: ReportContent) -> bytes:
    """The report's bytes (the same for the same content)."""
    plan = content.plan
    pagesize = LETTER if content.units == "imperial" else A4
    stamp = plan.updated_at.astimezone(UTC)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{plan.name}: garden report",
        author="Solar Sim",
        subject="Garden plan report",
        creator="Solar Sim",
        producer="Solar Sim (ReportLab)",
        invariant=1,
        lang="en",
    )
    width = doc.width
    season = content.season
    imperial = content.units == "imperial"
    place = plan.address or f"{plan.latitude:.5f}, {plan.longitude:.5f}"
    story: list[Flowable] = [
        text(plan.name, TITLE),
        text(place, BODY),
        text(
            f"{plan.latitude:.5f}, {plan.longitude:.5f} · plan as of {_date_words(stamp.date())} · "
            f"growing season {_day_words(season.get('start'))} to {_day_words(season.get('end'))} "
            f"({season.get('days')} days)",
            SMALL,
        ),
        Spacer(1, 6),
        text("The site", HEADING),
        text(
            "Hours of direct sun a day over the growing season (darker: less sun), buildings hatched, "
            "beds outlined and numbered as in the table below."
            + (" The basemap shows faintly through." if content.basemap is not None else ""),
            SMALL,
        ),
        Spacer(1, 4),
    ]
    raster = season_raster(tiff=content.tiff, season=content.growing)
    story.append(
        SiteMap(
            raster=raster,
            beds=list(plan.beds),
            footprints=content.footprints,
            size=min(width, 125 * mm),
            imperial=imperial,
            basemap=content.basemap,
        )
    )
    if content.basemap is not None:
        story.append(text(f"Basemap: {content.basemap.attribution}", SMALL))
    story += [
        text("Beds", HEADING),
        text(
            "Mean hours of direct sun a day over each bed: over the growing season, and month by month. "
            f"Light: full sun 6 h or more, part sun 4{DASH}6 h, part shade 2{DASH}4 h, shade under 2 h.",
            SMALL,
        ),
        Spacer(1, 4),
    ]
    if content.beds:
        story.append(_beds_table(content, width))
        story += [text("Plants in each bed", HEADING), *_bed_plants(content)]
    else:
        story.append(text("This plan has no beds yet: draw them on the plan's map.", BODY))
    story += [text("Planting calendar", HEADING), *_calendar(content)]
    story += [text("Climate", HEADING), *_climate(content)]
    story += [text("Data sources and licences", HEADING), _sources()]

    footer = f"{plan.name} · Solar Sim garden report"

    def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setDateFormatter(lambda *_: stamp.strftime("D:%Y%m%d%H%M%S+00'00'"))
        canvas.setFont(FONT, 7)
        # drawString sets text as it is: no markup is read.
        canvas.drawString(document.leftMargin, 8 * mm, footer[:120])
        canvas.drawRightString(pagesize[0] - document.rightMargin, 8 * mm, f"Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
