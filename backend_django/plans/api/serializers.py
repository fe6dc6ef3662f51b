from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend_django.core.api.fields import StrictModelSerializer, StrictUUIDField
from backend_django.core.api.schema import ErrorDetailSerializer
from backend_django.plans import beds as bed_rules
from backend_django.plans.models import Plan
from backend_django.plans.selectors import plan_glance_many
from backend_django.plans.validators import validate_plan_data
from backend_django.upstream import kinds
from backend_django.upstream.http.serializers import LIGHT_CATEGORIES


@extend_schema_field(OpenApiTypes.OBJECT)
class PlanDataField(serializers.JSONField):
    """Free-form JSON object; the shape is the client's business, the size is ours."""


# The beds' GeoJSON, for the contract; plans/beds.py checks it (through the model).
# Their one-value ``type`` enums are named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].
class BedGeometrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=bed_rules.GEOJSON_POLYGON)
    coordinates = serializers.ListField(
        child=serializers.ListField(
            child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
            min_length=4,
        ),
        min_length=1,
        help_text="Closed rings of [longitude, latitude] (the last position repeats the first): the "
        f"outline, then any holes; at most {bed_rules.MAX_VERTICES} corners in all.",
    )


class BedPropertiesSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=bed_rules.MAX_NAME_LENGTH)
    plants = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=bed_rules.MAX_PLANTS,
        required=False,
        help_text="Ids of catalogue plants (`GET plants/`) grown in the bed; default [].",
    )


class BedFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=bed_rules.GEOJSON_FEATURE)
    id = serializers.CharField(
        min_length=1, max_length=bed_rules.MAX_ID_LENGTH, help_text="Unique among the plan's beds."
    )
    geometry = BedGeometrySerializer()
    properties = BedPropertiesSerializer()


class BedCollectionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=bed_rules.GEOJSON_COLLECTION)
    features = serializers.ListField(child=BedFeatureSerializer(), max_length=bed_rules.MAX_BEDS)


@extend_schema_field(BedCollectionSerializer)
class PlanBedsField(serializers.JSONField):
    """The beds as GeoJSON; checked by the model against the plan's place (plans/beds.py)."""


class DataKindStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["fresh", "stale", "missing", "fetching", "unknown"],
        help_text="unknown: the cache could not be asked (Valkey unreachable).",
    )
    job_id = serializers.CharField(allow_null=True, help_text="The job filling it, while fetching.")


# Both are derived from the kinds' registry (upstream/kinds/): a new place
# kind appears in every plan's data status and URLs by its declaration alone.
DataStatusSerializer = type(
    "DataStatusSerializer",
    (serializers.Serializer,),
    {kind.name: DataKindStatusSerializer() for kind in kinds.place_kinds()},
)


class LastSpringFrostSerializer(serializers.Serializer):
    median = serializers.IntegerField(
        allow_null=True, help_text="Day of year; null when most years have none."
    )
    median_date = serializers.CharField(allow_null=True, help_text="MM-DD of the median in a common year.")
    p10 = serializers.IntegerField(allow_null=True, help_text="Day of year: one year in ten is earlier.")
    p90 = serializers.IntegerField(allow_null=True, help_text="Day of year: one year in ten is later.")
    years_without_frost = serializers.IntegerField()
    years = serializers.IntegerField(help_text="Years of data the statistics come from.")


class LightFactSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=LIGHT_CATEGORIES,
        help_text="The light category of the site's mean hours over the growing season.",
    )
    hours = serializers.FloatField(
        help_text="Mean hours of direct sun per day on the site's ground over the growing season."
    )
    months = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=12),
        help_text="The growing season's months: April-September north of the equator, October-March south.",
    )


class PlanFactsSerializer(serializers.Serializer):
    last_spring_frost = LastSpringFrostSerializer(
        allow_null=True, help_text="From the cached climate summary; null until it is cached."
    )
    light = LightFactSerializer(
        required=False, help_text="From the cached sun summary of the plan's site; absent until it is cached."
    )


DataUrlsSerializer = type(
    "DataUrlsSerializer",
    (serializers.Serializer,),
    {
        name: serializers.CharField(required=False, help_text=help_text)
        for kind in kinds.place_kinds()
        for name, help_text in kind.urls.items()
    },
)


class PlanListSerializer(serializers.ListSerializer):
    """Computes the data status and facts of a whole page of plans in one Valkey round trip."""

    def to_representation(self, data):
        plans = list(data.all() if hasattr(data, "all") else data)
        assert self.child is not None  # ListSerializer.__init__ asserts it too
        # The serializers' context is the dict they were given; the stubs type it read-only.
        self.child.context["glance"] = plan_glance_many(plans)  # type: ignore[index]
        return super().to_representation(plans)


class PlanSerializer(StrictModelSerializer):
    id = StrictUUIDField(
        required=False,
        help_text="Client-generated UUID (optional on create; the server makes one when absent).",
    )
    data = PlanDataField(  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class
        required=False,
        validators=[validate_plan_data],
        help_text="Free-form plan data: a JSON object, at most PLAN_DATA_MAX_BYTES as compact "
        "UTF-8 JSON and PLAN_DATA_MAX_DEPTH levels deep.",
    )

    beds = PlanBedsField(
        required=False,
        help_text=f"The garden's beds: a GeoJSON FeatureCollection of at most {bed_rules.MAX_BEDS} Polygon "
        "features, each with a unique string `id` and `properties` `name` and `plants`, all inside the "
        'plan\'s sun square (docs/plans.md, "Beds"). Left out of a PUT: no beds.',
    )

    data_status = serializers.SerializerMethodField(
        help_text="Per data kind: whether the plan's data is cached (fresh, stale), missing, or "
        "being fetched (with the job id)."
    )

    facts = serializers.SerializerMethodField(
        help_text="The plan's place at a glance, from the cached data (the last spring frost, ...)."
    )

    data_urls = serializers.SerializerMethodField(
        help_text="The canonical URL of each piece of data the plan page shows (shared by nearby "
        "plans, so the shared cache answers them; other URLs of the same data work too)."
    )

    class Meta:
        model = Plan
        list_serializer_class = PlanListSerializer
        fields = [
            "id",
            "name",
            "latitude",
            "longitude",
            "address",
            "timezone",
            "data",
            "beds",
            "archived",
            "created_at",
            "updated_at",
            "data_status",
            "facts",
            "data_urls",
        ]
        read_only_fields = ["created_at", "updated_at", "data_status", "facts", "data_urls"]

    def _glance(self, plan: Plan) -> tuple[dict, dict]:
        """(data status, facts) of the plan: from the list's one round trip, or asked now."""
        known = self.context.get("glance")
        if known is None or plan.pk not in known:
            known = self.context["glance"] = {**(known or {}), **plan_glance_many([plan])}  # type: ignore[index]
        return known[plan.pk]

    @extend_schema_field(DataStatusSerializer)
    def get_data_status(self, plan: Plan) -> dict:
        return self._glance(plan)[0]

    @extend_schema_field(PlanFactsSerializer)
    def get_facts(self, plan: Plan) -> dict:
        return self._glance(plan)[1]

    @extend_schema_field(DataUrlsSerializer)
    def get_data_urls(self, plan: Plan) -> dict:
        return kinds.data_urls(plan.latitude, plan.longitude)


# The model serializer's own DateTimeField, without building every field of the serializer.
_TIMESTAMP = serializers.DateTimeField(read_only=True)


class PlanSummarySerializer(PlanSerializer):
    """A plan as the plans list shows it: without its free-form data, beds and data URLs,
    which the plan itself (``GET plans/{id}/``) carries."""

    class Meta(PlanSerializer.Meta):
        fields = [
            "id",
            "name",
            "latitude",
            "longitude",
            "address",
            "timezone",
            "archived",
            "created_at",
            "updated_at",
            "data_status",
            "facts",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Plan) -> dict:
        """The same JSON as DRF's field-by-field path (test_api checks they are equal), built
        directly: that path cost about a fifth of a page of 50 plans (make bench-plans)."""
        status, facts = self._glance(instance)
        return {
            "id": str(instance.pk),
            "name": instance.name,
            "latitude": instance.latitude,
            "longitude": instance.longitude,
            "address": instance.address,
            "timezone": instance.timezone,
            "archived": instance.archived,
            "created_at": _TIMESTAMP.to_representation(instance.created_at),
            "updated_at": _TIMESTAMP.to_representation(instance.updated_at),
            "data_status": status,
            "facts": facts,
        }


class BatchOpSerializer(serializers.Serializer):
    op = serializers.ChoiceField(
        choices=["PUT", "PATCH", "DELETE"],
        help_text="PUT: full replace, creating the plan with this id if absent. PATCH: partial "
        "update of an existing plan. DELETE: idempotent delete.",
    )
    id = StrictUUIDField()
    data = serializers.DictField(  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class
        required=False,
        help_text="Plan fields (as for PUT / PATCH of one plan); ignored for DELETE.",
    )


class BatchRequestSerializer(serializers.Serializer):
    ops = serializers.ListField(child=BatchOpSerializer(), allow_empty=False)


@extend_schema_field(
    # drf-spectacular drops a list child's allow_null; a DELETE's result is null.
    {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/Plan"}], "nullable": True}}
)
class BatchResultsField(serializers.ListField):
    child = PlanSerializer(allow_null=True)


class BatchResponseSerializer(serializers.Serializer):
    results = BatchResultsField(help_text="The resulting plan of each op, in order; null for a DELETE.")


class BatchOpRefSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the failing op in `ops`, from 0.")
    op = serializers.CharField(allow_null=True)
    id = serializers.CharField(allow_null=True)


class BatchErrorDetailSerializer(ErrorDetailSerializer):
    op = BatchOpRefSerializer(required=False, help_text="The op that failed; nothing was applied.")


class BatchErrorSerializer(serializers.Serializer):
    error = BatchErrorDetailSerializer()
