from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend_django.core.health import health_status, version_info

from .serializers import HealthSerializer, VersionInfoSerializer


class HealthView(APIView):
    """Database, cache and broker reachability, for load balancers and humans."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request: Request) -> Response:
        ok, checks = health_status()
        return Response(
            {"status": "ok" if ok else "error", "checks": checks},
            status=200 if ok else 503,
            headers={"Cache-Control": "no-store"},
        )


class VersionInfoView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=VersionInfoSerializer)
    def get(self, request: Request) -> Response:
        return Response(version_info())
