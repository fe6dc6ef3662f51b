import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Plan


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """Exactly "true" or "false": anything else is a 400, not silently "all plans"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class PlanFilter(django_filters.FilterSet):
    archived = StrictBooleanFilter(help_text="Only archived (true) or only active (false) plans.")

    class Meta:
        model = Plan
        fields = ["archived"]
