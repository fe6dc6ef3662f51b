"""The report's map of the site, drawn on the server.

The sun raster's growing-season hours (each cell's months weighted by their
days in the season, as bed_sun.py averages them) as a grey ramp, darker
where the sun is short, so it prints the same in black and white; building
footprints from the cached buildings cells, hatched; the beds outlined in
black and numbered like the beds table. North is up; a scale bar in metres
or feet. The image is made in memory (Pillow) and handed to ReportLab as
pixels, never by name or URL.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from backend_django.upstream.kinds import sun

from ..beds import Bed
from ..season import GrowingSeason
from .basemap import Basemap, under

NODATA = 255
# Grey of 0 h and of RAMP_TOP_HOURS or more of sun (0 black, 255 white).
DARKEST, LIGHTEST = 70, 250
RAMP_TOP_HOURS = 12.0
FEET_PER_METRE = 3.28084


@dataclass(frozen=True)
class SeasonRaster:
    hours: np.ndarray  # float (rows, cols): mean hours a day over the season; NaN without data
    bounds: tuple[float, float, float, float]  # west, south, east, north


def season_raster(*, tiff: bytes, season: GrowingSeason) -> SeasonRaster:
    raster = sun.raster_decode(tiff)
    tenths = raster.tenths.astype(np.float64)
    known = (raster.tenths != NODATA).all(axis=0)
    weights = season.span.weights.astype(np.float64)
    if weights.sum() == 0:
        weights = np.ones(12)
    hours = np.tensordot(weights, tenths, axes=1) / weights.sum() / 10
    hours[~known] = np.nan
    a, _, c, _, e, f = raster.transform
    _, rows, cols = raster.tenths.shape
    return SeasonRaster(hours, (c, f + e * rows, c + a * cols, f))


def grey_image(hours: np.ndarray) -> Image.Image:
    """The hours as an 8-bit grey image; cells without data white."""
    share = np.clip(np.nan_to_num(hours, nan=RAMP_TOP_HOURS) / RAMP_TOP_HOURS, 0, 1)
    grey = (DARKEST + share * (LIGHTEST - DARKEST)).round().astype(np.uint8)
    grey[np.isnan(hours)] = 255
    return Image.fromarray(grey, mode="L")


def _scale_bar(width_m: float, imperial: bool) -> tuple[float, str]:
    """A round length about a quarter of the map's width: (metres, label)."""
    unit = FEET_PER_METRE if imperial else 1.0
    target = width_m * unit / 4
    exponent = 10 ** math.floor(math.log10(target))
    length = max(step * exponent for step in (1, 2, 5) if step * exponent <= target)
    return length / unit, f"{length:g} {'ft' if imperial else 'm'}"


class SiteMap(Flowable):
    """A square map of the site, ``size`` points wide."""

    def __init__(
        self,
        *,
        raster: SeasonRaster,
        beds: list[Bed],
        footprints: dict,
        size: float,
        imperial: bool,
        basemap: Basemap | None = None,
    ) -> None:
        super().__init__()
        self.raster = raster
        self.basemap = basemap
        self.beds = beds
        self.footprints = footprints
        self.size = size
        self.imperial = imperial

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size + 28

    def _point(self, lng: float, lat: float) -> tuple[float, float]:
        west, south, east, north = self.raster.bounds
        return (
            (lng - west) / (east - west) * self.size,
            28 + (lat - south) / (north - south) * self.size,
        )

    def _path(self, canvas: Canvas, ring: list) -> object:
        path = canvas.beginPath()
        for index, (lng, lat) in enumerate(ring):
            x, y = self._point(lng, lat)
            if index == 0:
                path.moveTo(x, y)
            else:
                path.lineTo(x, y)
        path.close()
        return path

    def draw(self) -> None:
        canvas: Canvas = self.canv
        size = self.size
        canvas.saveState()
        image = grey_image(self.raster.hours)
        if self.basemap is not None:
            image = under(np.asarray(image), ~np.isnan(self.raster.hours), self.basemap.image)
        canvas.drawImage(ImageReader(image), 0, 28, size, size)
        # Buildings: hatched, with a dark outline.
        for feature in self.footprints.get("features", []):
            ring = feature["geometry"]["coordinates"][0]
            path = self._path(canvas, ring)
            canvas.saveState()
            canvas.setFillColorRGB(1, 1, 1)
            canvas.setStrokeColorRGB(0.15, 0.15, 0.15)
            canvas.setLineWidth(0.8)
            canvas.drawPath(path, stroke=1, fill=1)
            canvas.clipPath(self._path(canvas, ring), stroke=0, fill=0)
            canvas.setLineWidth(0.4)
            xs, ys = zip(*(self._point(lng, lat) for lng, lat in ring), strict=True)
            low, high = min(xs) - max(ys), max(xs) - min(ys)
            step = 4.0
            offset = math.floor(low / step) * step
            while offset <= high:
                canvas.line(offset + min(ys), min(ys), offset + max(ys), max(ys))
                offset += step
            canvas.restoreState()
        # Beds: a thick black outline over a white one, and their number.
        for number, bed in enumerate(self.beds, start=1):
            rings = [list(bed.polygon.exterior.coords)] + [
                list(hole.coords) for hole in bed.polygon.interiors
            ]
            for width, grey in ((3.2, 1.0), (1.6, 0.0)):
                canvas.setStrokeColorRGB(grey, grey, grey)
                canvas.setLineWidth(width)
                for ring in rings:
                    canvas.drawPath(self._path(canvas, ring), stroke=1, fill=0)
            point = shapely.Point(bed.polygon.representative_point())
            x, y = self._point(point.x, point.y)
            label = str(number)
            canvas.setFont("Helvetica-Bold", 8)
            width = canvas.stringWidth(label, "Helvetica-Bold", 8) + 4
            canvas.setFillColorRGB(1, 1, 1)
            canvas.setStrokeColorRGB(0, 0, 0)
            canvas.setLineWidth(0.6)
            canvas.rect(x - width / 2, y - 5, width, 10, stroke=1, fill=1)
            canvas.setFillColorRGB(0, 0, 0)
            canvas.drawCentredString(x, y - 2.8, label)
        canvas.setStrokeColorRGB(0, 0, 0)
        canvas.setLineWidth(0.8)
        canvas.rect(0, 28, size, size, stroke=1, fill=0)
        # North arrow.
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(size - 12, 28 + size - 14, "N")
        canvas.line(size - 12, 28 + size - 30, size - 12, 28 + size - 17)
        # Scale bar.
        west, south, east, north = self.raster.bounds
        _, per_lng = sun.metres_per_degree((south + north) / 2)
        width_m = (east - west) * per_lng
        metres, label = _scale_bar(width_m, self.imperial)
        bar = metres / width_m * size
        canvas.setLineWidth(2)
        canvas.line(0, 12, bar, 12)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(bar + 4, 9, label)
        # The grey ramp's legend.
        left = size - 185
        for step in range(50):
            share = step / 49
            grey = (DARKEST + share * (LIGHTEST - DARKEST)) / 255
            canvas.setFillColorRGB(grey, grey, grey)
            canvas.rect(left + step * 2, 6, 2, 10, stroke=0, fill=1)
        canvas.setStrokeColorRGB(0, 0, 0)
        canvas.setLineWidth(0.4)
        canvas.rect(left, 6, 100, 10, stroke=1, fill=0)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont("Helvetica", 7)
        canvas.drawString(left - 16, 8, "0 h")
        canvas.drawString(left + 103, 8, f"{RAMP_TOP_HOURS:g}+ h of sun a day")
        canvas.restoreState()
