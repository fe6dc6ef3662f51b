"""Writes of plans. Views, the admin and tasks all go through these functions.

Every write validates the plan (``full_clean``) before saving, so a caller
that skips the API serializer cannot store an invalid plan either. When a
plan is created or its latitude/longitude change, ``_on_location_changed``
runs after the transaction commits (never for a rolled-back write).

A deleted plan can be put back for PLAN_RESTORE_SECONDS (``plan_restore``):
``plan_delete`` keeps its fields in a ``DeletedPlan`` row, which the
periodic ``plans_deleted_purge`` removes afterwards (decisions/0014).
"""

import contextvars
import hashlib
import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend_django.core.exceptions import ApplicationError
from backend_django.upstream import kinds
from backend_django.upstream.guards import shares
from backend_django.upstream.jobs import StartedJob
from backend_django.upstream.jobs.warming import prefetch_location
from backend_django.users.models import User

from .beds import beds_empty
from .models import CalendarLink, DeletedPlan, Plan

logger = logging.getLogger(__name__)

# The fields a client writes, with the value a full replace (PUT) gives the
# optional ones it leaves out.
PLAN_WRITABLE_FIELDS = ("name", "latitude", "longitude", "address", "timezone", "data", "beds", "archived")
PLAN_OPTIONAL_DEFAULTS: Mapping[str, Any] = {"address": "", "timezone": "", "archived": False}

# Full-clean skips: the owner is always the requesting user (no lookup needed),
# the primary key's uniqueness is enforced by the INSERT itself, and the check
# constraints repeat the field validators.
_CLEAN_EXCLUDE = ["owner"]


class PlanNotFound(ApplicationError):
    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "No plan with this id.") -> None:
        super().__init__(message)


class PlanIdConflict(ApplicationError):
    status_code = 409
    code = "conflict"

    def __init__(self) -> None:
        super().__init__("A plan with this id already exists; use PUT to replace it.")


# Where a plan's prefetch job sends its poller when done: the plans list
# shows every plan's data status. Not the plan's own URL, because one job
# fills a place for every plan there, whoever owns them.
PREFETCH_RESULT_URL = "/api/v1/plans/"


def plan_prefetch(*, plan: Plan, by_operator: bool = False) -> StartedJob:
    """Queue (or join) the warm job that caches everything the plan page needs.

    One job per place (its set of units), however many plans point there; it
    is charged to the owner's share of the upstream budgets (``by_operator``:
    to nobody, like scheduled warming: the admin's action and ``warm_cache``),
    and when that share or a budget is spent it waits in the queue
    ("budget") until there is room again (upstream/jobs/retry.py), so the
    plans show it meanwhile.
    """
    return prefetch_location(
        lat=plan.latitude,
        lng=plan.longitude,
        result_url=PREFETCH_RESULT_URL,
        client="" if by_operator else shares.for_user(plan.owner_id),
    )


def _on_location_changed(plans: Sequence[Plan]) -> None:
    """Runs after commit when plans are created or their locations change:
    one prefetch per distinct place among them."""
    by_units: dict[tuple[str, ...], Plan] = {}
    for plan in plans:
        by_units.setdefault(tuple(sorted(kinds.all_units(plan.latitude, plan.longitude))), plan)
    for plan in by_units.values():
        try:
            plan_prefetch(plan=plan)
        except Exception:
            # The plan is saved; warming catches up on its next scheduled run.
            logger.warning("could not queue the prefetch of plan %s", plan.pk, exc_info=True)


# Inside plans_batch_apply: the plans whose location changed, prefetched once
# after its commit rather than one by one.
_batch_moved: contextvars.ContextVar[list[Plan] | None] = contextvars.ContextVar("batch_moved", default=None)


def _schedule_location_changed(plan: Plan) -> None:
    moved = _batch_moved.get()
    if moved is not None:
        moved.append(plan)
        return
    transaction.on_commit(partial(_on_location_changed, [plan]))


def _clean(plan: Plan) -> None:
    plan.full_clean(exclude=_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(PLAN_WRITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not writable plan fields: {sorted(unknown)}")


def plan_create(
    *,
    owner: User,
    name: str,
    latitude: float,
    longitude: float,
    address: str = "",
    timezone: str = "",
    data: dict[str, Any] | None = None,
    beds: dict[str, Any] | None = None,
    archived: bool = False,
    id: uuid.UUID | None = None,
) -> Plan:
    """Create a plan; ``id`` lets an offline client choose the primary key.

    Raises ``PlanIdConflict`` when the id is already taken (by anyone).
    """
    plan = Plan(
        id=id or uuid.uuid4(),
        owner=owner,
        name=name,
        latitude=latitude,
        longitude=longitude,
        address=address,
        timezone=timezone,
        data={} if data is None else data,
        beds=beds_empty() if beds is None else beds,
        archived=archived,
    )
    _clean(plan)
    try:
        with transaction.atomic():
            plan.save(force_insert=True)
    except IntegrityError as exc:
        if Plan.objects.filter(pk=plan.pk).exists():
            raise PlanIdConflict() from exc
        raise
    _schedule_location_changed(plan)
    return plan


def plan_update(*, plan: Plan, changes: Mapping[str, Any]) -> Plan:
    """Apply ``changes`` (a subset of the writable fields) to ``plan`` and save it."""
    _check_fields(changes)
    old_location = (plan.latitude, plan.longitude)
    for name, value in changes.items():
        setattr(plan, name, value)
    _clean(plan)
    plan.save(update_fields=[*changes, "updated_at"])
    if (plan.latitude, plan.longitude) != old_location:
        _schedule_location_changed(plan)
    return plan


@transaction.atomic
def plan_upsert(*, owner: User, plan_id: uuid.UUID, fields: Mapping[str, Any]) -> tuple[Plan, bool]:
    """Full replace (PUT): update the owner's plan ``plan_id``, or create it with that id.

    Optional fields left out of ``fields`` get their defaults. Returns
    ``(plan, created)``. An id that belongs to another person raises
    ``PlanNotFound``, exactly like an id the owner does not have.
    """
    _check_fields(fields)
    full = {**PLAN_OPTIONAL_DEFAULTS, "data": {}, "beds": beds_empty(), **fields}
    plan = Plan.objects.select_for_update().filter(owner=owner, pk=plan_id).first()
    if plan is not None:
        return plan_update(plan=plan, changes=full), False
    if Plan.objects.filter(pk=plan_id).exists():
        raise PlanNotFound()
    try:
        return plan_create(owner=owner, id=plan_id, **full), True
    except PlanIdConflict:
        # Created concurrently by another request: replace it if it is ours.
        plan = Plan.objects.select_for_update().filter(owner=owner, pk=plan_id).first()
        if plan is None:
            raise PlanNotFound() from None
        return plan_update(plan=plan, changes=full), False


@transaction.atomic
def plan_delete(*, plan: Plan) -> None:
    """Delete the plan, keeping what ``plan_restore`` needs for PLAN_RESTORE_SECONDS."""
    fields = {name: getattr(plan, name) for name in PLAN_WRITABLE_FIELDS}
    fields["created_at"] = plan.created_at.isoformat()
    DeletedPlan.objects.update_or_create(
        pk=plan.pk, defaults={"owner_id": plan.owner_id, "fields": fields, "deleted_at": timezone.now()}
    )
    plan.delete()


def _restore_deadline() -> datetime:
    return timezone.now() - timedelta(seconds=settings.PLAN_RESTORE_SECONDS)


@transaction.atomic
def plan_restore(*, owner: User, plan_id: uuid.UUID) -> Plan:
    """Put back the owner's plan deleted within PLAN_RESTORE_SECONDS, with its id and fields.

    ``PlanNotFound`` when there is none to put back (never deleted, someone
    else's, or deleted too long ago); ``PlanIdConflict`` when a plan with
    that id exists again (created meanwhile by a sync client).
    """
    deleted = (
        DeletedPlan.objects.select_for_update()
        .filter(owner=owner, pk=plan_id, deleted_at__gte=_restore_deadline())
        .first()
    )
    if deleted is None:
        raise PlanNotFound(
            f"There is no deleted plan with this id to restore (a deleted plan can be restored "
            f"for {settings.PLAN_RESTORE_SECONDS // 60} minutes)."
        )
    fields = dict(deleted.fields)
    created_at = datetime.fromisoformat(fields.pop("created_at"))
    # A plan deleted before beds existed has none.
    fields.setdefault("beds", beds_empty())
    plan = plan_create(owner=owner, id=deleted.pk, **{name: fields[name] for name in PLAN_WRITABLE_FIELDS})
    Plan.objects.filter(pk=plan.pk).update(created_at=created_at)
    plan.created_at = created_at
    deleted.delete()
    return plan


def plans_deleted_purge() -> int:
    """Forget deleted plans past their restore window; how many were purged."""
    purged, _ = DeletedPlan.objects.filter(deleted_at__lt=_restore_deadline()).delete()
    return purged


# --- Calendar links ----------------------------------------------------------


def calendar_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_link_rotate(*, plan: Plan) -> tuple[CalendarLink, str]:
    """A new subscription link for the plan's calendar feed (the old one, if any, stops
    working); returns the link and its token, which only this answer ever shows."""
    token = secrets.token_urlsafe(32)
    link, _ = CalendarLink.objects.update_or_create(
        plan=plan, defaults={"token_digest": calendar_token_digest(token), "created_at": timezone.now()}
    )
    return link, token


def calendar_link_revoke(*, plan: Plan) -> None:
    """The plan's subscription link stops working (nothing to do when it has none)."""
    CalendarLink.objects.filter(plan=plan).delete()


# --- Batch -------------------------------------------------------------------

BatchOpName = Literal["PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class BatchOp:
    """One validated operation of a batch: ``fields`` are plan fields (none for DELETE)."""

    op: BatchOpName
    id: uuid.UUID
    fields: Mapping[str, Any] = field(default_factory=dict)


class BatchOpError(ApplicationError):
    """Operation ``index`` of a batch failed; the whole batch was rolled back."""

    def __init__(
        self,
        *,
        index: int,
        op: str | None,
        plan_id: Any,
        code: str,
        message: str,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        label = f"ops[{index}]" + (f" ({op} {plan_id})" if op and plan_id else "")
        super().__init__(f"{label}: {message} Nothing was applied.", code=code, status_code=400)
        self.index = index
        self.op = op
        self.plan_id = plan_id
        self.fields = fields


def _apply_op(*, owner: User, op: BatchOp) -> Plan | None:
    if op.op == "PUT":
        return plan_upsert(owner=owner, plan_id=op.id, fields=op.fields)[0]
    if op.op == "PATCH":
        plan = Plan.objects.select_for_update().filter(owner=owner, pk=op.id).first()
        if plan is None:
            raise PlanNotFound()
        return plan_update(plan=plan, changes=op.fields)
    if op.op == "DELETE":
        # Idempotent: an id that is already gone (or was never the owner's)
        # is not an error, so an offline client can safely replay its queue.
        plan = Plan.objects.select_for_update().filter(owner=owner, pk=op.id).first()
        if plan is not None:
            plan_delete(plan=plan)
        return None
    raise ValueError(f"unknown batch op {op.op!r}")


def plans_batch_apply(*, owner: User, ops: Sequence[BatchOp]) -> list[Plan | None]:
    """Apply ``ops`` in order, all or nothing, in one transaction.

    Returns the resulting plan of each op (None for a DELETE). The first op
    that fails raises ``BatchOpError`` naming it, and nothing is applied.
    After the commit, the places of created or moved plans are prefetched,
    one job per distinct place.
    """
    moved: list[Plan] = []
    token = _batch_moved.set(moved)
    try:
        with transaction.atomic():
            results = _batch_apply(owner=owner, ops=ops)
            # A plan moved twice is prefetched at its last place; one deleted
            # by a later op of the batch, not at all.
            last_op = {op.id: op.op for op in ops}
            latest = {plan.pk: plan for plan in results if plan is not None}
            places = [latest[pk] for pk in dict.fromkeys(p.pk for p in moved) if last_op.get(pk) != "DELETE"]
            transaction.on_commit(partial(_on_location_changed, places))
    finally:
        _batch_moved.reset(token)
    return results


def _batch_apply(*, owner: User, ops: Sequence[BatchOp]) -> list[Plan | None]:
    results: list[Plan | None] = []
    for index, op in enumerate(ops):
        try:
            results.append(_apply_op(owner=owner, op=op))
        except PlanNotFound as exc:
            raise BatchOpError(
                index=index,
                op=op.op,
                plan_id=op.id,
                code=exc.code,
                message=exc.message,
                fields={"id": [exc.message]},
            ) from exc
        except ValidationError as exc:
            raise BatchOpError(
                index=index,
                op=op.op,
                plan_id=op.id,
                code="invalid",
                message=" ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items()),
                fields=exc.message_dict,
            ) from exc
    return results
