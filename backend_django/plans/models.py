import uuid
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models

from backend_django.plants.models import Plant

from .beds import beds_clean, beds_empty, beds_plant_ids
from .validators import validate_latitude, validate_longitude, validate_plan_data, validate_timezone


def _valid_coordinate(value: Any, validator) -> float | None:
    try:
        validator(value)
    except ValidationError:
        return None
    return float(value)


def _plants_in_catalogue(ids: set[int]) -> set[int]:
    return set(Plant.objects.filter(pk__in=ids).values_list("pk", flat=True))


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
    beds = models.JSONField(
        default=beds_empty,
        blank=True,
        help_text="The garden's beds: a GeoJSON FeatureCollection of Polygons inside the plan's sun "
        "square (plans/beds.py, docs/plans.md).",
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

    # The beds, latitude and longitude as read or last saved (None for a new plan):
    # beds unchanged since (the same object) at the same place need no new check.
    _beds_stored: tuple[Any, float, float] | None = None

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._remember_beds()

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> "Plan":
        plan = super().from_db(db, field_names, values, **kwargs)
        plan._remember_beds()
        return plan

    def _remember_beds(self) -> None:
        loaded = self.__dict__
        if all(name in loaded for name in ("beds", "latitude", "longitude")):
            self._beds_stored = (self.beds, self.latitude, self.longitude)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        # Field validators skip "empty" values, and [] is one of them for a JSONField.
        if not isinstance(self.data, dict):
            errors["data"] = ["Must be a JSON object."]
        try:
            self._clean_beds()
        except ValidationError as exc:
            errors["beds"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def _clean_beds(self) -> None:
        """Check the beds (plans/beds.py) against the plan's place, unless neither changed
        since they were read: a plant the catalogue dropped since stays in its bed.

        Writes assign a new collection (the API's, a sync client's, the admin's);
        a collection changed in place is not seen as changed.
        """
        stored = self._beds_stored
        if stored is not None and stored[0] is self.beds and stored[1:] == (self.latitude, self.longitude):
            return
        self.beds = beds_clean(
            self.beds,
            latitude=_valid_coordinate(self.latitude, validate_latitude),
            longitude=_valid_coordinate(self.longitude, validate_longitude),
            known_plants=beds_plant_ids(stored[0]) if stored is not None else (),
            plants_exist=_plants_in_catalogue,
        )


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


class CalendarLink(models.Model):
    """A plan's planting calendar subscription link: ``/api/v1/calendar/<token>.ics`` reads the
    plan's feed without signing in. Only the token's SHA-256 is kept; rotating makes a new
    token (the old link stops working), deleting the row revokes it."""

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, primary_key=True, related_name="calendar_link"
    )
    token_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar link of {self.plan_id}"
