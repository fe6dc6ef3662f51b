from rest_framework import serializers

from backend_django.plants.models import Plant


class PlantSerializer(serializers.ModelSerializer):
    """A catalogue entry as the API shows it: every fact, read-only."""

    class Meta:
        model = Plant
        fields = [
            "id",
            "common_name",
            "botanical_name",
            "kind",
            "life_cycle",
            "light",
            "sun_hours_min",
            "sun_hours_ideal",
            "frost_tolerance",
            "hardiness_zone_min",
            "days_to_maturity_min",
            "days_to_maturity_max",
            "maturity_from",
            "weeks_start_indoors_before_last_frost",
            "weeks_transplant_after_last_frost",
            "weeks_direct_sow_after_last_frost",
            "fall_sowing",
            "weeks_fall_sowing_before_first_frost",
            "spacing_cm",
            "height_cm",
            "notes",
            "source",
            "source_url",
            "updated_at",
        ]
        read_only_fields = fields
