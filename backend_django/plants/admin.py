from django.contrib import admin

from .models import Plant


@admin.register(Plant)
class PlantAdmin(admin.ModelAdmin):
    """The catalogue is the operator's after the first seed: every edit here stands."""

    list_display = [
        "common_name",
        "botanical_name",
        "kind",
        "life_cycle",
        "light",
        "hardiness_zone_min",
        "frost_tolerance",
        "updated_at",
    ]
    list_filter = ["kind", "light", "life_cycle", "frost_tolerance"]
    search_fields = ["common_name", "botanical_name"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["common_name"]
    fieldsets = [
        (None, {"fields": ["common_name", "botanical_name", "kind", "life_cycle", "notes"]}),
        ("Light", {"fields": ["light", ("sun_hours_min", "sun_hours_ideal")]}),
        ("Cold", {"fields": ["frost_tolerance", "hardiness_zone_min"]}),
        (
            "Timing",
            {
                "description": "Weeks relative to the place's last spring frost and first fall frost.",
                "fields": [
                    "weeks_start_indoors_before_last_frost",
                    "weeks_transplant_after_last_frost",
                    "weeks_direct_sow_after_last_frost",
                    ("fall_sowing", "weeks_fall_sowing_before_first_frost"),
                    ("days_to_maturity_min", "days_to_maturity_max", "maturity_from"),
                ],
            },
        ),
        ("Size", {"fields": [("spacing_cm", "height_cm")]}),
        ("Source", {"fields": ["source", "source_url"]}),
        (None, {"fields": [("created_at", "updated_at")]}),
    ]
