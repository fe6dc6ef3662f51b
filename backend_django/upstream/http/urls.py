from django.urls import re_path

from .views import (
    BuildingsView,
    CanopyTileView,
    CanopyView,
    ClimateSummaryView,
    ClimateView,
    JobView,
    OverpassView,
    PlaceReverseView,
    PlacesView,
    SunPointView,
    SunShadowView,
    SunSummaryView,
    SunView,
    TileJSONView,
    TileView,
)

urlpatterns = [
    re_path(r"^climate/?$", ClimateView.as_view(), name="climate"),
    re_path(r"^climate/summary/?$", ClimateSummaryView.as_view(), name="climate-summary"),
    re_path(r"^buildings/?$", BuildingsView.as_view(), name="buildings"),
    re_path(r"^overpass/?$", OverpassView.as_view(), name="overpass"),
    re_path(r"^canopy/?$", CanopyView.as_view(), name="canopy"),
    # Anything after canopy/ reaches the view, which refuses all but 9 digits 0-3 with 400.
    re_path(r"^canopy/(?P<quadkey>[\s\S]+?)/?$", CanopyTileView.as_view(), name="canopy-tile"),
    re_path(r"^places/?$", PlacesView.as_view(), name="places"),
    re_path(r"^places/reverse/?$", PlaceReverseView.as_view(), name="places-reverse"),
    re_path(r"^sun/?$", SunView.as_view(), name="sun"),
    re_path(r"^sun/summary/?$", SunSummaryView.as_view(), name="sun-summary"),
    re_path(r"^sun/point/?$", SunPointView.as_view(), name="sun-point"),
    re_path(r"^sun/shadow/?$", SunShadowView.as_view(), name="sun-shadow"),
    re_path(r"^tiles/?$", TileJSONView.as_view(), name="tiles"),
    # Anything after tiles/ reaches the view, which refuses all but z/x/y.png inside the grid with 400.
    re_path(r"^tiles/(?P<z>-?\d+)/(?P<x>-?\d+)/(?P<y>-?\d+)\.png$", TileView.as_view(), name="tile"),
    re_path(r"^jobs/(?P<job_id>[A-Za-z0-9_-]{1,64})/?$", JobView.as_view(), name="job"),
]
