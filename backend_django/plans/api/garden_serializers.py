"""The shapes of a plan's garden answers (bed sun, recommendations, calendar), for the contract.

The answers are built as plain dicts (plans/bed_sun.py, recommendations.py,
planting.py); these serializers only document them.
"""

from rest_framework import serializers

from backend_django.upstream.http.serializers import LIGHT_CATEGORIES, SunSiteSerializer


class SunStatsSerializer(serializers.Serializer):
    mean = serializers.FloatField(
        allow_null=True, help_text="Mean over the bed's cells, hours of direct sun a day; null without data."
    )
    min = serializers.FloatField(allow_null=True, help_text="The bed's least sunny cell.")
    max = serializers.FloatField(allow_null=True, help_text="The bed's sunniest cell.")
    light = serializers.ChoiceField(
        choices=LIGHT_CATEGORIES, allow_null=True, help_text="The light category of the mean."
    )


class MonthSunSerializer(SunStatsSerializer):
    month = serializers.IntegerField(min_value=1, max_value=12)


class BedSunSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    area_m2 = serializers.FloatField(help_text="Area in square metres (local metres).")
    cells = serializers.IntegerField(
        help_text="How many 1 m raster cells the statistics average: those whose centre lies in the "
        "bed, or the one under its centroid for a bed too small to hold a centre."
    )
    roof_cells = serializers.IntegerField(
        help_text="How many of them lie under a building footprint (their hours are the roof's)."
    )
    months = MonthSunSerializer(many=True, help_text="January first: each month's representative day.")
    growing_season = SunStatsSerializer(
        help_text="Each cell's hours averaged over the growing season (each month weighted by its days "
        "in it), then over the cells."
    )
    year = SunStatsSerializer(help_text="The same over the whole year.")
    period = SunStatsSerializer(required=False, help_text="The same over `from`-`to`, when asked for.")


class GrowingSeasonSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="MM-DD, its first day.")
    end = serializers.CharField(
        help_text="MM-DD, its last day (before `start` when it runs over the new year)."
    )
    days = serializers.IntegerField(help_text="Frost-free days; 365 without frost.")
    basis = serializers.ChoiceField(
        choices=["frost_dates", "no_frost", "no_spring_frost", "no_fall_frost"],
        help_text="frost_dates: between the median frost dates; otherwise which frost most years lack.",
    )
    hemisphere = serializers.ChoiceField(choices=["north", "south"])
    last_spring_frost = serializers.CharField(allow_null=True, help_text="MM-DD of the median, or null.")
    first_fall_frost = serializers.CharField(allow_null=True, help_text="MM-DD of the median, or null.")
    years = serializers.IntegerField(allow_null=True, help_text="Years of climate data the medians are of.")
    note = serializers.CharField(help_text="Where the dates come from, in words.")
    # A declared field named like Field.source: DRF's metaclass moves it out of the class.
    source = serializers.CharField(help_text="The climate summary they come from.")  # type: ignore[assignment]


PeriodSerializer = type(
    "PeriodSerializer",
    (serializers.Serializer,),
    {
        "from": serializers.IntegerField(min_value=1, max_value=12),
        "to": serializers.IntegerField(min_value=1, max_value=12),
        "start": serializers.CharField(help_text="MM-DD"),
        "end": serializers.CharField(help_text="MM-DD"),
        "days": serializers.IntegerField(),
        "__doc__": "The months asked for (`from` to `to`, over the new year when `to` < `from`).",
    },
)


class BedsSunSerializer(serializers.Serializer):
    site = SunSiteSerializer(help_text="The plan's sun site, whose raster the hours are read from.")
    growing_season = GrowingSeasonSerializer()
    period = PeriodSerializer(required=False)
    beds = BedSunSerializer(many=True, help_text="In the order of the plan's beds.")


class RecommendedPlantSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The plant (`GET plants/{id}/`).")
    common_name = serializers.CharField()
    botanical_name = serializers.CharField()
    kind = serializers.CharField()
    life_cycle = serializers.CharField()
    light = serializers.ChoiceField(choices=LIGHT_CATEGORIES, help_text="The light the plant needs.")
    score = serializers.FloatField(
        help_text="How well it fits, 0-1: closeness of the bed's sun to its ideal times how "
        "comfortably the season fits (docs/plants.md)."
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it fits, in words.")
    in_bed = serializers.BooleanField(help_text="Whether the bed's plants already include it.")


class BedRecommendationsSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    sun_hours = serializers.FloatField(
        allow_null=True, help_text="The bed's mean hours of direct sun a day over the growing season."
    )
    light = serializers.ChoiceField(choices=LIGHT_CATEGORIES, allow_null=True)
    fits = serializers.IntegerField(help_text="How many plants of the catalogue fit (before `limit`).")
    plants = RecommendedPlantSerializer(many=True, help_text="Best first.")
    note = serializers.CharField(required=False, help_text="Why there are none, when the bed has no data.")


class PlanZoneSerializer(serializers.Serializer):
    zone = serializers.CharField(allow_null=True, help_text="USDA zone with its half, e.g. 8a.")
    number = serializers.IntegerField(allow_null=True, help_text="The zone number the plants are judged by.")


class RecommendationsSerializer(serializers.Serializer):
    site = SunSiteSerializer()
    growing_season = GrowingSeasonSerializer()
    hardiness_zone = PlanZoneSerializer()
    frost_free_days = serializers.IntegerField(help_text="The growing season's days.")
    beds = BedRecommendationsSerializer(many=True, help_text="In the order of the plan's beds.")


class CalendarWindowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["start_indoors", "transplant", "direct_sow", "harvest", "fall_sowing", "fall_harvest"]
    )
    what = serializers.CharField(help_text='In words: "start indoors", "plant out", ...')
    start = serializers.DateField(help_text="First day of the window.")
    end = serializers.DateField(help_text="Last day of the window (included).")


class CalendarSeasonSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="The year the spring windows belong to.")
    last_spring_frost = serializers.DateField(help_text="The frost date used (or the stand-in without one).")
    first_fall_frost = serializers.DateField()
    no_spring_frost = serializers.BooleanField()
    no_fall_frost = serializers.BooleanField()
    windows = CalendarWindowSerializer(many=True, help_text="In the order a season runs.")
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="What the dates should be read with."
    )


class CalendarBedRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class CalendarPlantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    common_name = serializers.CharField()
    botanical_name = serializers.CharField()
    beds = CalendarBedRefSerializer(many=True, help_text="The beds it grows in.")
    seasons = CalendarSeasonSerializer(many=True, help_text="This year, then the next.")


class CalendarFrostSerializer(serializers.Serializer):
    last_spring_frost = serializers.CharField(allow_null=True, help_text="MM-DD at the risk; null: none.")
    first_fall_frost = serializers.CharField(allow_null=True, help_text="MM-DD at the risk; null: none.")
    hemisphere = serializers.ChoiceField(choices=["north", "south"])
    basis = serializers.ChoiceField(
        choices=["chance_dates", "percentiles"],
        help_text="chance_dates: the summary's dates by chance; percentiles: an older summary's spread.",
    )
    years = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    # A declared field named like Field.source: DRF's metaclass moves it out of the class.
    source = serializers.CharField(help_text="The climate summary they come from.")  # type: ignore[assignment]


class PlanCalendarSerializer(serializers.Serializer):
    timezone = serializers.CharField(help_text="The plan's time zone (else the climate's, else UTC).")
    today = serializers.DateField(help_text="Today there: this year is its year.")
    risk = serializers.IntegerField()
    frost = CalendarFrostSerializer()
    plants = CalendarPlantSerializer(many=True, help_text="Every catalogue plant in the beds, by name.")


class CalendarLinkSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(help_text="When the current link was made.")


class CalendarLinkCreatedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The feed for a calendar app (shown only now).")
    path = serializers.CharField(help_text="The same, from the site's root.")
    created_at = serializers.DateTimeField()
