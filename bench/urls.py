"""The API plus two comparison views that exist only for benchmarks.

- /bench/floor/: the same bytes as a climate hit, from process memory: what
  any view must cost at least.
- /bench/naive/: what a plain implementation would do: a Django cache get of
  the decoded dict and a DRF Response that encodes it again.
"""

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from backend_django.upstream import store

_FLOOR: dict[str, object] = {}


def floor(request):
    if "body" not in _FLOOR:
        entry = store.read(request.GET["unit"])
        _FLOOR.update(body=entry.body, content_type=entry.content_type)
    response = HttpResponse(_FLOOR["body"], content_type=_FLOOR["content_type"])
    response["Content-Encoding"] = "gzip"
    return response


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def naive(request):
    data = cache.get("bench:naive")
    if data is None:
        data = store.read(request.GET["unit"]).json()
        cache.set("bench:naive", data, 3600)
    return Response(data)


urlpatterns = [
    path("bench/floor/", floor),
    path("bench/naive/", naive),
    path("", include("backend_django.config.urls")),
]
