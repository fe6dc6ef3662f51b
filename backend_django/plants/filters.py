"""The catalogue's list filters. A value that is not understood is a 400 naming the
parameter, never a silently unfiltered list."""

import re

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django_filters.fields import ChoiceField
from drf_spectacular.utils import extend_schema_field

from .models import Kind, Light, Plant

# The zones a place can be in, as the climate summary names them: 0 is
# colder than 1a, and the bands go on past 13b to 14.
ZONE_PATTERN = re.compile(r"^(\d{1,2})([ab]?)$")
PLACE_ZONES = (0, 14)
ZONE_MESSAGE = f"A USDA hardiness zone from {PLACE_ZONES[0]} to {PLACE_ZONES[1]}, e.g. 6 or 6b."
EMPTY_MESSAGE = "Give a value, or leave the parameter out."


def _refuse_empty(value) -> None:
    """An empty value (``?light=``) is a mistake like any other, not "no filter"."""
    if isinstance(value, str) and not value.strip():
        raise forms.ValidationError(EMPTY_MESSAGE, code="empty")


class GivenChoiceField(ChoiceField):
    def clean(self, value):
        _refuse_empty(value)
        return super().clean(value)


class GivenChoiceFilter(django_filters.ChoiceFilter):
    field_class = GivenChoiceField


class ZoneField(forms.CharField):
    """A place's USDA zone, "6" or "6b", as its number: a plant's coldest zone is a whole zone."""

    def clean(self, value):
        _refuse_empty(value)
        return super().clean(value)

    def to_python(self, value):
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        match = ZONE_PATTERN.match(text.lower())
        if match is None or not PLACE_ZONES[0] <= int(match[1]) <= PLACE_ZONES[1]:
            raise forms.ValidationError(ZONE_MESSAGE, code="invalid")
        return int(match[1])


ZONE_HELP = (
    "A place's USDA hardiness zone (6 or 6b): perennials that survive its winters (coldest zone "
    "at or below it), and every annual."
)


# The description travels in the schema: django-filter's help_text is not read for an override.
@extend_schema_field({"type": "string", "pattern": r"^\d{1,2}[abAB]?$", "description": ZONE_HELP})
class ZoneFilter(django_filters.Filter):
    field_class = ZoneField

    def filter(self, qs: QuerySet[Plant], value: int | None) -> QuerySet[Plant]:
        if value is None:
            return qs
        # Annuals (and biennials without a zone) live through no winter: they always fit.
        return qs.filter(Q(hardiness_zone_min__isnull=True) | Q(hardiness_zone_min__lte=value))


class PlantFilter(django_filters.FilterSet):
    light = GivenChoiceFilter(choices=Light.choices, help_text="The plant's light need.")
    kind = GivenChoiceFilter(choices=Kind.choices)
    zone = ZoneFilter(help_text=ZONE_HELP)
    q = django_filters.CharFilter(
        method="search",
        max_length=100,
        help_text="Part of the common or botanical name, any case.",
    )

    class Meta:
        model = Plant
        fields = ["light", "kind", "zone", "q"]

    def search(self, queryset: QuerySet[Plant], name: str, value: str) -> QuerySet[Plant]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(common_name__icontains=value) | Q(botanical_name__icontains=value))
