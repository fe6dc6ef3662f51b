"""Canonical data URLs of a place: one URL per piece of data, whoever asks.

The shared cache in front (docker/cache/nginx.conf) keys entries by URL, so
two people whose plans are a street apart hit the same entry only if their
pages ask for the same URL. The plan page used to build its URLs from the
plan's own point (6 decimals): every plan its own URLs, each a miss in the
front. ``data_urls`` gives, per data a plan page shows, the URL of the
answer the point maps to (decision 0021):

- climate and its summary: the point snapped to the 0.1° grid (the views'
  ``result_url``);
- canopy: the centre of the point's window block (the view's ``result_url``);
- sun and its summary: the point's sun site (the point snapped to
  SUN_SITE_GRID_DEGREES, the views' ``result_url``), except beyond the sun's
  latitude limit, where there is none;
- buildings: a box around the point snapped to a BOX_GRID_DEGREES grid,
  grown by half a grid step, so it always covers the plan's own box
  (PLAN_BUILDINGS_RADIUS_DEGREES around its point): every point of one grid
  square gets the same box.

Other URLs keep working; they are only shared less.
"""

import math
from urllib.parse import urlencode

from django.conf import settings

from backend_django.core.exceptions import ApplicationError

from . import boxes, climate, sun
from .canopy import grid

# The buildings box of a place is centred on this grid (about 110 m north-south).
BOX_GRID_DEGREES = 0.001


def _point_query(lat: float, lng: float, digits: int) -> str:
    return urlencode({"lat": f"{lat:.{digits}f}", "lng": f"{lng:.{digits}f}"})


def buildings_bbox(lat: float, lng: float) -> tuple[float, float, float, float]:
    """The canonical buildings box of a point (covers its plan box; shared by its grid square)."""
    step = BOX_GRID_DEGREES
    centre_lat = round(math.floor(lat / step + 0.5) * step, 6)
    centre_lng = round(math.floor(lng / step + 0.5) * step, 6)
    radius = settings.PLAN_BUILDINGS_RADIUS_DEGREES + step / 2
    return (
        round(max(-90.0, centre_lat - radius), 6),
        round(max(-180.0, centre_lng - radius), 6),
        round(min(90.0, centre_lat + radius), 6),
        round(min(180.0, centre_lng + radius), 6),
    )


def data_urls(lat: float, lng: float) -> dict[str, str]:
    """The canonical URL of each piece of data a plan page shows for the point."""
    snapped = climate.snap(lat, lng)
    block_lat, block_lng = grid.block_for(lat, lng).centre_lnglat()
    urls = {
        "climate": f"/api/v1/climate/?{_point_query(*snapped, 1)}",
        "climate_summary": f"/api/v1/climate/summary/?{_point_query(*snapped, 1)}",
        "buildings": f"/api/v1/buildings/?{urlencode({'bbox': boxes.bbox_text(buildings_bbox(lat, lng))})}",
        "canopy": f"/api/v1/canopy/?{_point_query(block_lat, block_lng, 6)}",
    }
    try:
        site = sun.site_snap(lat=lat, lng=lng)
    except ApplicationError:  # beyond the sun's latitude limit: no site
        return urls
    site_query = _point_query(site.lat, site.lng, site.digits)
    urls["sun"] = f"/api/v1/sun/?{site_query}"
    urls["sun_summary"] = f"/api/v1/sun/summary/?{site_query}"
    return urls
