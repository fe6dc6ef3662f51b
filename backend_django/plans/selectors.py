"""Reads of plans. Every read is scoped to an owner: nobody sees another's plan."""

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from backend_django.users.models import User

from .filters import PlanFilter
from .models import Plan


def plan_list(*, owner: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Plan]:
    """The owner's plans, newest change first, narrowed by ``filters`` (``archived``)."""
    queryset = Plan.objects.filter(owner=owner)
    if filters:
        filterset = PlanFilter(data=filters, queryset=queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors.as_data())
        queryset = filterset.qs
    return queryset


def plan_get(*, owner: User, plan_id: uuid.UUID | str) -> Plan | None:
    """The owner's plan with this id, or None (also for another person's plan or a malformed id)."""
    try:
        plan_id = uuid.UUID(str(plan_id))
    except ValueError:
        return None
    return Plan.objects.filter(owner=owner, pk=plan_id).first()
