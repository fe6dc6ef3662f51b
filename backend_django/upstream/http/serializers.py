"""Serializers that document the public data endpoints' answers."""

from rest_framework import serializers

# The API's one error shape (one schema component for every endpoint).
from backend_django.core.api.schema import ErrorDetailSerializer, ErrorSerializer  # noqa: F401


class JobProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class JobLastErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="As `error.code`: e.g. `upstream_unavailable`, `upstream_timeout`."
    )
    message = serializers.CharField(help_text="A short sentence for a person; never the upstream's own text.")


class JobSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "succeeded", "failed"])
    progress = JobProgressSerializer()
    error = JobErrorSerializer(
        allow_null=True,
        help_text="Why the job failed (`status` failed), else null. `message` is a sentence for a person.",
    )
    result_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    attempts = serializers.IntegerField(help_text="Upstream requests this job has sent so far.")
    last_error = JobLastErrorSerializer(
        allow_null=True,
        help_text=(
            "The latest transient failure (a 5xx, a 429, a timeout, an unreadable answer) while the job "
            "keeps trying; null when there was none, and once the job has finished."
        ),
    )
    retry_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the job tries again (UTC), while it waits; null otherwise and once finished.",
    )
    waiting_for = serializers.ChoiceField(
        choices=["upstream_down", "budget", "worker"],
        allow_null=True,
        help_text=(
            "What a queued job waits for: `upstream_down` (the upstream is failing; we retry at "
            "`retry_at`), `budget` (our allowance of upstream requests is spent until `retry_at`), "
            "`worker` (a free worker); null when nothing in particular."
        ),
    )


class FrostChanceDateSerializer(serializers.Serializer):
    chance = serializers.IntegerField(help_text="Percent: 10, 50 or 90.")
    day_of_year = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Last spring frost: in `chance` % of the years the last frost came later than this day. "
            "First fall frost: in `chance` % of the years the first frost came earlier. Years without "
            "such a frost count too; null when frost beyond every day is rarer than `chance` %."
        ),
    )
    date = serializers.CharField(allow_null=True, help_text="MM-DD of `day_of_year` in a common year.")


class FrostStatsSerializer(serializers.Serializer):
    median = serializers.IntegerField(
        allow_null=True, help_text="Median day of year of this frost, over the years that had one."
    )
    p10 = serializers.IntegerField(
        allow_null=True,
        help_text="10th percentile day of year over the years that had this frost (8 in 10 lie in p10-p90).",
    )
    p90 = serializers.IntegerField(
        allow_null=True, help_text="90th percentile day of year over the years that had this frost."
    )
    median_date = serializers.CharField(allow_null=True, help_text="MM-DD of the median in a common year.")
    years_without_frost = serializers.IntegerField(help_text="Years (of `years`) without this frost.")
    chance_dates = FrostChanceDateSerializer(
        many=True,
        required=False,
        help_text=(
            "The 10, 50 and 90 % frost dates over all years (absent from summaries computed before "
            "this field existed, until their next refresh)."
        ),
    )


class HardinessZoneSerializer(serializers.Serializer):
    zone = serializers.CharField(
        allow_null=True,
        help_text=(
            "USDA plant hardiness zone, e.g. 7b: 10 °F bands from zone 1 at -60 °F, each halved into "
            "a (colder) and b; zone 0 below 1a, 14a and up above 13b. Null without data."
        ),
    )
    number = serializers.IntegerField(allow_null=True)
    half = serializers.ChoiceField(choices=["a", "b"], allow_null=True)
    mean_annual_min_c = serializers.FloatField(
        allow_null=True, help_text="Mean over the years of each year's lowest daily minimum, °C."
    )
    mean_annual_min_f = serializers.FloatField(allow_null=True, help_text="The same in °F.")
    years = serializers.IntegerField(help_text="Years averaged.")


class SpreadSerializer(serializers.Serializer):
    median = serializers.IntegerField(allow_null=True)
    p10 = serializers.IntegerField(allow_null=True)
    p90 = serializers.IntegerField(allow_null=True)


class MonthlySerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    mean_min = serializers.FloatField(allow_null=True)
    mean_max = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField(
        allow_null=True, required=False, help_text="Mean temperature (°C): the mean of mean_min and mean_max."
    )
    precipitation_mm = serializers.FloatField(
        allow_null=True,
        required=False,
        help_text="Mean precipitation total of the month (mm); null without data.",
    )


class KoppenSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The Köppen-Geiger class, e.g. Csb (Peel et al. 2007's rules).")
    name = serializers.CharField(help_text="The class in words, e.g. Warm-summer Mediterranean.")


class ClimateSummarySerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    elevation = serializers.FloatField(allow_null=True)
    timezone = serializers.CharField(allow_null=True)
    hemisphere = serializers.ChoiceField(choices=["north", "south"])
    years = serializers.IntegerField()
    first_year = serializers.IntegerField(allow_null=True)
    last_year = serializers.IntegerField(allow_null=True)
    last_spring_frost = FrostStatsSerializer()
    first_fall_frost = FrostStatsSerializer()
    growing_season_days = SpreadSerializer()
    hardiness_zone = HardinessZoneSerializer(
        required=False,
        help_text="Absent from summaries computed before this field existed, until their next refresh.",
    )
    koppen = KoppenSerializer(
        allow_null=True,
        required=False,
        help_text="The climate's Köppen-Geiger class from the same 30 years; null with `koppen_reason` "
        "when it cannot be worked out (a climate stored before precipitation was fetched).",
    )
    koppen_reason = serializers.CharField(allow_null=True, required=False)
    monthly = MonthlySerializer(many=True)


LIGHT_CATEGORIES = ["full_sun", "part_sun", "part_shade", "shade"]


class SunSiteSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    unit = serializers.CharField(help_text="The site's cache unit, e.g. `sun:45.5230:-122.6765`.")


class SunRasterInfoSerializer(serializers.Serializer):
    crs = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    cell_m = serializers.FloatField()
    bounds = serializers.ListField(child=serializers.FloatField(), help_text="west, south, east, north.")
    bands = serializers.CharField()
    scale = serializers.FloatField()
    nodata = serializers.IntegerField()


class SunSurfaceSerializer(serializers.Serializer):
    tallest_m = serializers.FloatField()
    margin_m = serializers.FloatField()
    roof_share = serializers.FloatField()
    canopy_coverage = serializers.FloatField()


class SunParametersSerializer(serializers.Serializer):
    site_grid_degrees = serializers.FloatField()
    size_m = serializers.FloatField()
    cell_m = serializers.FloatField()
    step_minutes = serializers.IntegerField()
    min_altitude_degrees = serializers.FloatField()
    margin_max_m = serializers.FloatField()
    days = serializers.ListField(child=serializers.CharField(), help_text="MM-DD, January first.")


class LightSharesSerializer(serializers.Serializer):
    full_sun = serializers.FloatField(allow_null=True)
    part_sun = serializers.FloatField(allow_null=True)
    part_shade = serializers.FloatField(allow_null=True)
    shade = serializers.FloatField(allow_null=True)


class SunMonthSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    day = serializers.DateField(help_text="The representative day (of the fixed year 2025).")
    daylight_hours = serializers.FloatField(help_text="Hours an open spot gets that day.")
    mean = serializers.FloatField(
        allow_null=True, help_text="Hours per day, over the ground outside buildings."
    )
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    light = LightSharesSerializer(help_text="Shares of the ground in each light category (they add up to 1).")


class SunSummarySerializer(serializers.Serializer):
    model = serializers.IntegerField()
    site = SunSiteSerializer()
    timezone = serializers.CharField(
        allow_null=True, help_text="The climate's time zone, or null (the solar offset stood in)."
    )
    raster = SunRasterInfoSerializer()
    surface = SunSurfaceSerializer()
    parameters = SunParametersSerializer()
    inputs = serializers.DictField(child=serializers.CharField(), help_text="ETag of each input, by unit.")
    months = SunMonthSerializer(many=True)


class SunPointMonthSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=1, max_value=12)
    hours = serializers.FloatField(allow_null=True, help_text="Hours of direct sun per day at the spot.")
    light = serializers.ChoiceField(choices=LIGHT_CATEGORIES, allow_null=True)


class SunPointSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    site = SunSiteSerializer()
    months = SunPointMonthSerializer(many=True)
    roof = serializers.BooleanField(help_text="The spot is under a building: its hours are the roof's.")


class BuildingPropertiesSerializer(serializers.Serializer):
    osm_id = serializers.IntegerField()
    height_m = serializers.FloatField()
    levels = serializers.FloatField(allow_null=True)
    height_source = serializers.ChoiceField(choices=["tag", "levels", "default"])
    clipped = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)


class PolygonSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Polygon"])
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    )


class BuildingFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.CharField()
    geometry = PolygonSerializer()
    properties = BuildingPropertiesSerializer()


class BuildingsSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["FeatureCollection"])
    bbox = serializers.ListField(child=serializers.FloatField(), help_text="west, south, east, north")
    features = BuildingFeatureSerializer(many=True)


class OverpassQuerySerializer(serializers.Serializer):
    query = serializers.CharField(help_text="The building-in-a-box Overpass QL query.")


class PlaceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The place's own name, e.g. Portland.")
    display_name = serializers.CharField(
        help_text="The full name to show, e.g. Portland, Oregon, United States."
    )
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    country = serializers.CharField(help_text="Empty when the geocoder does not say.")
    country_code = serializers.CharField(help_text="ISO 3166-1 alpha-2, lower case; may be empty.")
    bbox = serializers.ListField(
        child=serializers.FloatField(),
        min_length=4,
        max_length=4,
        allow_null=True,
        help_text="south, west, north, east; null when the geocoder gives none.",
    )
    category = serializers.CharField(
        help_text="OpenStreetMap key of the place (place, boundary, highway...)."
    )
    type = serializers.CharField(
        help_text="OpenStreetMap value of the place (city, village, residential...)."
    )
    osm_id = serializers.CharField(help_text="node/123, way/456 or relation/789; may be empty.")


class PlaceSearchSerializer(serializers.Serializer):
    query = serializers.CharField(
        help_text="The query as cached: Unicode-normalised, case-folded, spaces tidied."
    )
    places = PlaceSerializer(many=True, help_text="Best first; empty when nothing matches.")
    attribution = serializers.CharField(help_text="Show this with the results.")
    attribution_url = serializers.CharField()


class PlaceReverseSerializer(serializers.Serializer):
    lat = serializers.FloatField(help_text="The point looked up (rounded to 4 decimals).")
    lng = serializers.FloatField()
    place = PlaceSerializer(
        allow_null=True, help_text="The address there; null where there is none (open sea)."
    )
    attribution = serializers.CharField()
    attribution_url = serializers.CharField()
