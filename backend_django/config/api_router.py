"""Every /api/v1/ endpoint, in one readable place."""

from django.urls import include, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from backend_django.core.api.views import HealthView, VersionInfoView
from backend_django.plans.api.views import PlanViewSet
from backend_django.plants.api.views import PlantViewSet


class OptionalSlashRouter(DefaultRouter):
    """Routes that match with or without a trailing slash.

    DRF's ``trailing_slash`` argument only takes true/false (any true value
    means "/"), so the optional slash is set after construction.
    """

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


# Trailing slashes are optional on the API's own endpoints.
router = OptionalSlashRouter()
router.register("plans", PlanViewSet, basename="plans")
router.register("plants", PlantViewSet, basename="plants")

app_name = "api"
# The data endpoints come first: they are the hot path, and URL resolution
# tries patterns in order.
urlpatterns = [
    re_path(r"^", include("backend_django.upstream.http.urls")),
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^version-info/?$", VersionInfoView.as_view(), name="version-info"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its setup script as a file: the policy allows no inline script.
    re_path(
        r"^docs/?$",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="core/swagger_ui.html"),
        name="docs",
    ),
    re_path(r"^", include("backend_django.users.api.urls")),
    re_path(r"^", include("backend_django.sync.api.urls")),
    # Before the router: its format-suffix routes would take plans/{id}/calendar.ics.
    re_path(r"^", include("backend_django.plans.api.urls")),
    re_path(r"^", include(router.urls)),
]
