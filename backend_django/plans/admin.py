from django.contrib import admin, messages

from .models import Plan
from .services import _schedule_location_changed, plan_prefetch


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "latitude",
        "longitude",
        "timezone",
        "archived",
        "updated_at",
        "created_at",
    ]
    list_filter = ["archived", "created_at"]
    search_fields = ["name", "address", "owner__email"]
    readonly_fields = ["id", "created_at", "updated_at"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"
    ordering = ["-updated_at"]
    actions = ["prefetch_data"]
    fields = [
        "id",
        "owner",
        "name",
        ("latitude", "longitude"),
        "address",
        "timezone",
        "data",
        "archived",
        ("created_at", "updated_at"),
    ]

    def save_model(self, request, obj: Plan, form, change: bool) -> None:
        # The admin edits the model directly (with the same field validators);
        # a new or moved plan still gets the after-commit location hook.
        super().save_model(request, obj, form, change)
        if not change or {"latitude", "longitude"} & set(form.changed_data):
            _schedule_location_changed(obj)

    @admin.action(description="Prefetch data (climate, buildings, canopy) into the cache")
    def prefetch_data(self, request, queryset) -> None:
        job_ids = {plan_prefetch(plan=plan, by_operator=True).job.id for plan in queryset}
        self.message_user(
            request,
            f"Queued {len(job_ids)} prefetch job(s) on the warm queue for {queryset.count()} plan(s).",
            messages.SUCCESS,
        )
