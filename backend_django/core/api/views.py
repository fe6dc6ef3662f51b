from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend_django.core.exceptions import error_body
from backend_django.core.health import health_status, reports, version_info

from .serializers import HealthSerializer, VersionInfoSerializer


class HealthView(APIView):
    """Database, cache and broker reachability, for load balancers and humans; and each
    upstream's health, which names an outage without failing the check."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request: Request) -> Response:
        ok, checks = health_status()
        return Response(
            {"status": "ok" if ok else "error", "checks": checks, **reports()},
            status=200 if ok else 503,
            headers={"Cache-Control": "no-store"},
        )


class VersionInfoView(APIView):
    """The running version and commit; staff also see the versions of the stack."""

    permission_classes = [AllowAny]

    @extend_schema(responses=VersionInfoSerializer)
    def get(self, request: Request) -> Response:
        return Response(
            version_info(detailed=request.user.is_staff),
            headers={"Cache-Control": "private, no-store"},
        )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body("not_found", f"Nothing at {request.path[:200]}."), status=404)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return not_found(request)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; try again shortly."), status=500
        )
    return defaults.server_error(request)
