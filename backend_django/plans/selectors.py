"""Reads of plans. Every read is scoped to an owner: nobody sees another's plan."""

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from redis import RedisError

from backend_django.upstream.kinds import fact_kinds, place_kinds
from backend_django.upstream.status import place_overview_many
from backend_django.users.models import User

from .filters import PlanFilter
from .models import CalendarLink, Plan

logger = logging.getLogger(__name__)


def plan_list(*, owner: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Plan]:
    """The owner's plans, newest change first, narrowed by ``filters`` (``archived``)."""
    queryset = Plan.objects.filter(owner=owner)
    if filters:
        filterset = PlanFilter(data=filters, queryset=queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors.as_data())
        queryset = filterset.qs
    return queryset


def plan_get(*, owner: User, plan_id: uuid.UUID | str | None, defer: Sequence[str] = ()) -> Plan | None:
    """The owner's plan with this id, or None (also for another person's plan or a malformed id).

    ``defer``: fields not to load (``data``, for answers that do not show it)."""
    try:
        plan_id = uuid.UUID(str(plan_id))
    except ValueError:
        return None
    return Plan.objects.filter(owner=owner, pk=plan_id).defer(*defer).first()


def plan_active_locations() -> list[tuple[float, float]]:
    """Distinct points of all plans that are not archived (for warming)."""
    return list(Plan.objects.filter(archived=False).values_list("latitude", "longitude").distinct())


def plan_glance_many(plans: Sequence[Plan]) -> dict[uuid.UUID, tuple[dict, dict]]:
    """Each plan's data status per kind and its facts at a glance (the last spring
    frost, ...), for a page of plans in one Valkey round trip.

    While Valkey is unreachable every state is "unknown" and the facts are
    those of data not cached yet: plans stay usable.
    """
    try:
        statuses, facts = place_overview_many([(plan.latitude, plan.longitude) for plan in plans])
    except RedisError:
        logger.warning("data status unavailable: Valkey did not answer", exc_info=True)
        unknown = {"state": "unknown", "job_id": None}
        empty = {name: value for kind in fact_kinds() for name, value in kind.place_facts(None).items()}
        statuses = [{kind.name: unknown for kind in place_kinds()} for _ in plans]
        facts = [dict(empty) for _ in plans]
    return {plan.pk: pair for plan, pair in zip(plans, zip(statuses, facts, strict=True), strict=True)}


def calendar_link_get(*, plan: Plan) -> CalendarLink | None:
    return CalendarLink.objects.filter(plan=plan).first()


def calendar_link_plan(*, token: str) -> Plan | None:
    """The plan whose subscription link has this token, or None (unknown or revoked)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    link = CalendarLink.objects.select_related("plan").defer("plan__data").filter(token_digest=digest).first()
    return None if link is None else link.plan
