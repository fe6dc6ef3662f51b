from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from redis import RedisError

from .models import CacheOverview
from .overview import cache_overview


@admin.register(CacheOverview)
class CacheOverviewAdmin(admin.ModelAdmin):
    """Per upstream: entries, hits/misses/stale served, memory; jobs in flight; Flower."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CacheOverview | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CacheOverview | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        try:
            overview, error = cache_overview(), None
        except RedisError as exc:
            overview, error = None, f"Valkey did not answer: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "title": "Cache overview",
            "opts": self.model._meta,
            "overview": overview,
            "error": error,
        }
        return TemplateResponse(request, "admin/upstream/cache_overview.html", context)
