"""Every /api/v1/ endpoint, in one readable place."""

from django.urls import include, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from backend_django.core.api.views import HealthView, VersionInfoView

# Trailing slashes are optional on the API's own endpoints.
router = DefaultRouter(trailing_slash="/?")

app_name = "api"
urlpatterns = [
    re_path(r"^health/?$", HealthView.as_view(), name="health"),
    re_path(r"^version-info/?$", VersionInfoView.as_view(), name="version-info"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", include("backend_django.users.api.urls")),
    re_path(r"^", include(router.urls)),
]
