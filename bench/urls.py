"""The API plus two comparison views that exist only for benchmarks.

- /api/v1/bench/floor/: the same bytes as a climate hit, from process memory:
  what any view at that place must cost at least.
- /api/v1/bench/naive/: what a plain implementation would do: a Django cache
  get of the decoded dict and a DRF Response that encodes it again.
- /api/v1/bench/buildings-assembled/: buildings in a box assembled per request
  from its cells (read every cell, decode, clip, encode): the "before" of the
  buildings hit.

Both sit right after the data endpoints in the URL list, so they pay the same
URL resolution as a climate request.
"""

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from backend_django.config import api_router
from backend_django.upstream.cache import store
from backend_django.upstream.http.views import CellsView
from backend_django.upstream.kinds import buildings

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


class AssembledBuildingsView(CellsView):
    def get(self, request, *args, **kwargs):
        bbox = buildings.parse_bbox(request.query_params.get("bbox"))
        result_url = f"/api/v1/bench/buildings-assembled/?bbox={request.query_params['bbox']}"
        return self.cells_response(
            request, bbox, result_url, lambda payloads: buildings.feature_collection(payloads, bbox)
        )


api_patterns = [
    api_router.urlpatterns[0],  # the data endpoints
    path("bench/floor/", floor),
    path("bench/naive/", naive),
    path("bench/buildings-assembled/", AssembledBuildingsView.as_view()),
    *api_router.urlpatterns[1:],
]
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include((api_patterns, api_router.app_name))),
]
