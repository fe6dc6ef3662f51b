"""Writes of the sync app: the key rotation steps and applying an upload batch.

Rotation (docs/operations.md, "Rotating the sync signing key"): a new key is
added to the settings, then published (in the JWKS, not signing), then after
SYNC_KEY_PUBLISH_WAIT it becomes the signing key (the old one stays
published), and once every token it signed has expired the old key is
retired. Each step refuses to run early unless forced.

An upload batch is applied in one transaction, each operation in its own
savepoint: a rejected operation changes nothing and the others still apply.
Plans are written through the plans services, which validate every write and
schedule the prefetch of a plan's data after the commit.
"""

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from backend_django.core.exceptions import ApplicationError
from backend_django.plans.models import Plan
from backend_django.plans.services import PlanNotFound, plan_delete, plan_update, plan_upsert
from backend_django.users.models import User

from .models import SigningKey, SigningKeyState
from .selectors import key_ring_get
from .tokens import CLOCK_SKEW_SECONDS

logger = logging.getLogger(__name__)


# --- Key rotation ----------------------------------------------------------------


class KeyRotationError(ApplicationError):
    """A rotation step that cannot (or should not yet) be taken."""


def _row_for(kid: str) -> SigningKey:
    ring = key_ring_get()
    key = next((key for key in ring.keys if key.kid == kid), None)
    if key is None:
        raise KeyRotationError(
            f"No configured key has kid {kid}: add its private key to SYNC_JWT_PRIVATE_KEYS first "
            "(every process that signs needs it)."
        )
    row, _created = SigningKey.objects.select_for_update().get_or_create(
        kid=kid, defaults={"algorithm": key.algorithm, "state": ring.states[kid]}
    )
    return row


def _wait_left(since: datetime | None, seconds: float, *, now: datetime) -> timedelta:
    if since is None:
        return timedelta(0)
    return max(timedelta(0), since + timedelta(seconds=seconds) - now)


@transaction.atomic
def signing_key_publish(*, kid: str) -> SigningKey:
    """Put a configured key into the JWKS (it does not sign yet)."""
    row = _row_for(kid)
    if row.state in (SigningKeyState.PUBLISHED, SigningKeyState.ACTIVE):
        return row
    row.state = SigningKeyState.PUBLISHED
    row.published_at = timezone.now()
    row.retired_at = None
    row.save()
    return row


@transaction.atomic
def signing_key_switch(*, kid: str, force: bool = False) -> SigningKey:
    """Sign new tokens with ``kid``; the previous signing key stays published.

    Refused until the key has been published for SYNC_KEY_PUBLISH_WAIT seconds
    (verifiers cache the JWKS), unless ``force``.
    """
    row = _row_for(kid)
    if row.state == SigningKeyState.ACTIVE:
        return row
    if row.state != SigningKeyState.PUBLISHED:
        raise KeyRotationError(f"Key {kid} is {row.state}: publish it first (sync_keys publish {kid}).")
    now = timezone.now()
    left = _wait_left(row.published_at, settings.SYNC_KEY_PUBLISH_WAIT, now=now)
    if left and not force:
        raise KeyRotationError(
            f"Key {kid} was published at {row.published_at:%Y-%m-%d %H:%M:%S} UTC; verifiers may not have "
            f"fetched it yet. Switch in {int(left.total_seconds()) + 1} s (or force it)."
        )
    previous = key_ring_get().signing
    if previous is not None and previous.kid != kid:
        old = _row_for(previous.kid)
        old.state = SigningKeyState.PUBLISHED
        old.published_at = old.published_at or old.activated_at or now
        old.deactivated_at = now
        old.save()
    SigningKey.objects.filter(state=SigningKeyState.ACTIVE).exclude(kid=kid).update(
        state=SigningKeyState.PUBLISHED, deactivated_at=now
    )
    row.state = SigningKeyState.ACTIVE
    row.activated_at = now
    row.save()
    return row


@transaction.atomic
def signing_key_retire(*, kid: str, force: bool = False) -> SigningKey:
    """Take a key out of the JWKS: tokens it signed stop verifying.

    Refused for the signing key, and until every token the key signed has
    expired (token lifetime plus clock skew after it stopped signing), unless
    ``force``.
    """
    row = _row_for(kid)
    if row.state == SigningKeyState.RETIRED:
        return row
    if row.state == SigningKeyState.ACTIVE:
        raise KeyRotationError(f"Key {kid} signs new tokens: switch to another key first.")
    now = timezone.now()
    left = _wait_left(row.deactivated_at, settings.SYNC_TOKEN_LIFETIME + CLOCK_SKEW_SECONDS, now=now)
    if left and not force:
        raise KeyRotationError(
            f"Tokens signed by {kid} are valid for {int(left.total_seconds()) + 1} s more; retire it then "
            "(or force it, which signs those people out of sync until their next token)."
        )
    row.state = SigningKeyState.RETIRED
    row.retired_at = now
    row.save()
    return row


# --- Upload ----------------------------------------------------------------------

SyncOpName = Literal["PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class SyncOp:
    """One validated operation of an upload: ``fields`` are plan fields (none for DELETE)."""

    op: SyncOpName
    table: str
    id: uuid.UUID
    fields: Mapping[str, Any] = field(default_factory=dict)


class OpConflict(ApplicationError):
    status_code = 409
    code = "conflict"


def _plan_locked(*, owner: User, plan_id: uuid.UUID) -> Plan | None:
    """The owner's plan, locked; ``PlanNotFound`` when the id is someone else's; None when nobody's."""
    plan = Plan.objects.select_for_update().filter(owner=owner, pk=plan_id).first()
    if plan is None and Plan.objects.filter(pk=plan_id).exists():
        raise PlanNotFound()
    return plan


def _apply_plan_op(*, owner: User, op: SyncOp) -> None:
    if op.op == "PUT":
        plan_upsert(owner=owner, plan_id=op.id, fields=op.fields)
        return
    plan = _plan_locked(owner=owner, plan_id=op.id)
    if plan is None:
        # Already gone (deleted here or never uploaded): the client's queue may
        # hold a change to a row the server no longer has. Nothing to do.
        return
    if op.op == "PATCH":
        plan_update(plan=plan, changes=op.fields)
    elif op.op == "DELETE":
        plan_delete(plan=plan)
    else:
        raise ValueError(f"unknown sync op {op.op!r}")


_APPLIERS = {"plans": _apply_plan_op}
SYNCED_TABLES = tuple(_APPLIERS)


def sync_ops_apply(*, owner: User, ops: Sequence[SyncOp]) -> list[Exception | None]:
    """Apply ``ops`` in order in one transaction, each in a savepoint.

    Returns, per op, None when it was applied or the exception that rejected
    it (``PlanNotFound``, a ``ValidationError`` from the model, ``OpConflict``).
    Database failures other than a single op's integrity or data error
    propagate: the whole batch is then rolled back, for the client to retry.
    """
    outcomes: list[Exception | None] = []
    with transaction.atomic():
        for op in ops:
            try:
                with transaction.atomic():
                    _APPLIERS[op.table](owner=owner, op=op)
            except (PlanNotFound, ValidationError) as exc:
                outcomes.append(exc)
            except IntegrityError:
                logger.warning("sync op %s %s %s hit a constraint", op.op, op.table, op.id, exc_info=True)
                outcomes.append(OpConflict("The change conflicts with the stored data."))
            except DataError:
                logger.warning("sync op %s %s %s: data refused", op.op, op.table, op.id, exc_info=True)
                outcomes.append(
                    ApplicationError("The database refused a value in this change.", code="invalid")
                )
            else:
                outcomes.append(None)
    return outcomes
