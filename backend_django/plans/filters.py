import django_filters

from .models import Plan


class PlanFilter(django_filters.FilterSet):
    archived = django_filters.BooleanFilter(help_text="Only archived (true) or only active (false) plans.")

    class Meta:
        model = Plan
        fields = ["archived"]
