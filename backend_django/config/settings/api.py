"""The HTTP API: Django REST framework, the OpenAPI schema (drf-spectacular), the JSON body guard.
Nothing here comes from the environment."""

from typing import Any

from .security import TRUSTED_PROXY_COUNT

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an unauthenticated request gets 401 (with
        # WWW-Authenticate: Token) rather than 403.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "backend_django.core.exceptions.exception_handler",
    # Bodies are JSON (a cross-site HTML form cannot send it), read through one
    # guard (size and depth → 413 / 400). overpass/ also takes form posts.
    "DEFAULT_PARSER_CLASSES": ["backend_django.core.parsers.BoundedJSONParser"],
    # DRF's own throttles identify clients like the rest (core/client_ip.py).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Solar Sim API",
    "DESCRIPTION": (
        "Garden plans, and climate, building and canopy data from slow public "
        "upstreams served through a Valkey cache filled by Celery workers."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UpstreamStateEnum": "backend_django.core.api.serializers.UPSTREAM_STATES",
        "LightCategoryEnum": "backend_django.upstream.http.serializers.LIGHT_CATEGORIES",
        "GeoJSONFeatureCollectionTypeEnum": "backend_django.plans.beds.GEOJSON_COLLECTION",
        "GeoJSONFeatureTypeEnum": "backend_django.plans.beds.GEOJSON_FEATURE",
        "GeoJSONPolygonTypeEnum": "backend_django.plans.beds.GEOJSON_POLYGON",
    },
    # Swagger UI from this server's static files (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them as links inside each operation's
    # button (a control inside a control, too small to tap).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    # Every operation lists the error answers it can give (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend_django.core.api.schema.add_error_responses",
    ],
}

# --- Request bodies ----------------------------------------------------------
# Every JSON endpoint but the plans ones (plans.py): largest body (bytes,
# bigger → 413) and deepest nesting of objects and arrays (deeper → 400). Plan
# bodies nest their `data` (PLAN_DATA_MAX_DEPTH) a few levels down, so this
# stays above it.
JSON_REQUEST_MAX_BYTES = 64 * 1024
JSON_REQUEST_MAX_DEPTH = 64
