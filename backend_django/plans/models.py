import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models

from .validators import validate_latitude, validate_longitude, validate_plan_data, validate_timezone


class Plan(models.Model):
    """A person's garden plan: a named location plus free-form plan data.

    The id is a UUID so offline clients can create a plan (and refer to it)
    before the server has seen it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # Indexed through the (owner, ...) indexes below, which lead with owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plans",
        db_index=False,
    )
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    latitude = models.FloatField(validators=[validate_latitude])
    longitude = models.FloatField(validators=[validate_longitude])
    address = models.CharField(max_length=500, blank=True, default="")
    timezone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_timezone],
        help_text="IANA time zone name, e.g. Europe/Berlin.",
    )
    data = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_plan_data],
        help_text="Free-form plan data: a JSON object of bounded size and depth.",
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The list: a person's plans, newest change first, optionally by archived.
            models.Index(fields=["owner", "-updated_at", "-id"], name="plans_owner_updated_idx"),
            models.Index(fields=["owner", "archived", "-updated_at", "-id"], name="plans_owner_arch_upd_idx"),
        ]
        constraints = [
            # The database refuses out-of-range (and, on PostgreSQL, NaN) locations
            # even from code that skips validation.
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90), name="plans_latitude_range"
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180), name="plans_longitude_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Field validators skip "empty" values, and [] is one of them for a JSONField.
        if not isinstance(self.data, dict):
            raise ValidationError({"data": ["Must be a JSON object."]})


class DeletedPlan(models.Model):
    """A deleted plan, kept PLAN_RESTORE_SECONDS so that its owner can undo the deletion.

    The plan's own row is gone (lists, sync and warming never see it); this
    holds its fields until ``plan_restore`` puts it back with the same id, or
    the periodic purge (plans.tasks) removes it.
    """

    id = models.UUIDField(primary_key=True, help_text="The deleted plan's id.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deleted_plans"
    )
    fields = models.JSONField(help_text="The plan's writable fields and created_at, as they were.")
    deleted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return f"{self.fields.get('name', self.pk)} (deleted)"
