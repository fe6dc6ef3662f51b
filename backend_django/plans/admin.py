from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList

from backend_django.upstream import kinds

from .models import Plan
from .selectors import plan_glance_many
from .services import _schedule_location_changed, plan_prefetch

PREFETCHED = ", ".join(kind.name for kind in kinds.place_kinds())


class PlanChangeList(ChangeList):
    """The admin's plans list: each page's data status read in one Valkey command."""

    def get_results(self, request) -> None:
        super().get_results(request)
        self.glance = plan_glance_many(list(self.result_list))
        for plan in self.result_list:
            plan.glance_status = self.glance[plan.pk][0]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "latitude",
        "longitude",
        "timezone",
        "archived",
        "data_status",
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
        "beds",
        "archived",
        ("created_at", "updated_at"),
    ]

    def get_changelist(self, request, **kwargs):
        return PlanChangeList

    @admin.display(description="data status")
    def data_status(self, plan: Plan) -> str:
        """Each kind's state in the cache ("climate fresh, buildings fetching, ..."), as the API shows it."""
        status = getattr(plan, "glance_status", None) or plan_glance_many([plan])[plan.pk][0]
        return ", ".join(f"{name} {value['state']}" for name, value in status.items())

    def save_model(self, request, obj: Plan, form, change: bool) -> None:
        # The admin edits the model directly (with the same field validators);
        # a new or moved plan still gets the after-commit location hook.
        super().save_model(request, obj, form, change)
        if not change or {"latitude", "longitude"} & set(form.changed_data):
            _schedule_location_changed(obj)

    @admin.action(description=f"Prefetch data ({PREFETCHED}) into the cache")
    def prefetch_data(self, request, queryset) -> None:
        job_ids = {plan_prefetch(plan=plan, by_operator=True).job.id for plan in queryset}
        self.message_user(
            request,
            f"Queued {len(job_ids)} prefetch job(s) on the warm queue for {queryset.count()} plan(s).",
            messages.SUCCESS,
        )
