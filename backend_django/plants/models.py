"""The plant catalogue: what a garden can grow, with the facts planting advice needs.

One row per plant as gardeners grow it: tomatoes are perennials in the
tropics but grown as annuals, so the catalogue says annual. Every row names
the public reference its facts come from (``source``, ``source_url``). The
catalogue is seeded once by a data migration and then belongs to the admin
(docs/decisions/0023-plant-catalogue-seeded-once.md).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

# Hours of direct sun a day at the bottom of each light category: the same
# bands the sun summary uses for a site (docs/sun.md), so a plant's light
# need and a bed's light read alike.
LIGHT_MIN_HOURS = {"full_sun": 6.0, "part_sun": 4.0, "part_shade": 2.0, "shade": 0.0}
LIGHT_MAX_HOURS = {"full_sun": 24.0, "part_sun": 6.0, "part_shade": 4.0, "shade": 2.0}

HARDINESS_ZONES = (1, 13)  # USDA zones a plant's coldest zone may name
MAX_WEEKS = 20  # the furthest a timing reaches from its frost date
MAX_DAYS_TO_MATURITY = 400  # garlic from a fall planting is about 270


class Kind(models.TextChoices):
    VEGETABLE = "vegetable", "Vegetable"
    HERB = "herb", "Herb"
    FRUIT = "fruit", "Fruit"
    FLOWER = "flower", "Flower"
    SHRUB = "shrub", "Shrub"
    TREE = "tree", "Tree"


class LifeCycle(models.TextChoices):
    ANNUAL = "annual", "Annual"
    BIENNIAL = "biennial", "Biennial"
    PERENNIAL = "perennial", "Perennial"


class Light(models.TextChoices):
    FULL_SUN = "full_sun", "Full sun (6 h or more)"
    PART_SUN = "part_sun", "Part sun (4 to 6 h)"
    PART_SHADE = "part_shade", "Part shade (2 to 4 h)"
    SHADE = "shade", "Shade (under 2 h)"


class FrostTolerance(models.TextChoices):
    TENDER = "tender", "Tender: killed by frost"
    HALF_HARDY = "half_hardy", "Half-hardy: takes a light frost"
    HARDY = "hardy", "Hardy: takes hard frosts"


class MaturityFrom(models.TextChoices):
    SOWING = "sowing", "Sowing"
    TRANSPLANT = "transplant", "Transplanting"


def light_for_hours(hours: float) -> str:
    """The light category a number of hours of direct sun a day falls in."""
    for light, bottom in LIGHT_MIN_HOURS.items():
        if hours >= bottom:
            return light
    return "shade"


def _light_matches_hours() -> Q:
    """A plant's light category is the band its minimum hours fall in."""
    condition = Q()
    for light, bottom in LIGHT_MIN_HOURS.items():
        band = Q(light=light, sun_hours_min__gte=bottom)
        if LIGHT_MAX_HOURS[light] < 24:
            band &= Q(sun_hours_min__lt=LIGHT_MAX_HOURS[light])
        condition |= band
    return condition


class Plant(models.Model):
    """A plant the catalogue offers, with its light, cold, timing and size facts."""

    Kind = Kind
    LifeCycle = LifeCycle
    Light = Light
    FrostTolerance = FrostTolerance
    MaturityFrom = MaturityFrom

    common_name = models.CharField(max_length=100)
    botanical_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    life_cycle = models.CharField(
        max_length=20, choices=LifeCycle.choices, help_text="As grown in gardens (tomatoes: annual)."
    )

    light = models.CharField(
        max_length=20,
        choices=Light.choices,
        help_text="The light category its minimum hours fall in.",
    )
    sun_hours_min = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(24)],
        help_text="Fewest hours of direct sun a day it grows with.",
    )
    sun_hours_ideal = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(24)],
        help_text="Hours of direct sun a day it does best with.",
    )

    frost_tolerance = models.CharField(
        max_length=20,
        choices=FrostTolerance.choices,
        null=True,
        blank=True,
        help_text="Required for annuals and biennials; optional for perennials.",
    )
    hardiness_zone_min = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(HARDINESS_ZONES[0]), MaxValueValidator(HARDINESS_ZONES[1])],
        help_text="The coldest USDA hardiness zone it survives winters in (e.g. 5). Required for "
        "perennials, optional for biennials, empty for annuals.",
    )

    days_to_maturity_min = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS_TO_MATURITY)],
        help_text="Days to the first harvest (or first flowers), early varieties.",
    )
    days_to_maturity_max = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS_TO_MATURITY)],
        help_text="Days to the first harvest (or first flowers), late varieties.",
    )
    maturity_from = models.CharField(
        max_length=20,
        choices=MaturityFrom.choices,
        default=MaturityFrom.SOWING,
        help_text="What the days to maturity count from.",
    )

    weeks_start_indoors_before_last_frost = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEEKS)],
        help_text="Sow indoors this many weeks before the last spring frost; empty if not started indoors.",
    )
    weeks_transplant_after_last_frost = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_WEEKS), MaxValueValidator(MAX_WEEKS)],
        help_text="Plant out this many weeks after the last spring frost (negative: before it).",
    )
    weeks_direct_sow_after_last_frost = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_WEEKS), MaxValueValidator(MAX_WEEKS)],
        help_text="Sow outdoors this many weeks after the last spring frost (negative: before it).",
    )
    fall_sowing = models.BooleanField(
        default=False,
        help_text="A second sowing (or planting: garlic, bulbs) timed back from the first frost.",
    )
    weeks_fall_sowing_before_first_frost = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_WEEKS)],
        help_text="For a fall sowing: this many weeks before the first fall frost.",
    )

    spacing_cm = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(2000)], help_text="Between plants, in cm."
    )
    height_cm = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(3000)], help_text="Grown height, in cm."
    )
    notes = models.TextField(blank=True, default="", help_text="A short growing tip.")

    source = models.CharField(max_length=200, help_text="The public reference the facts come from.")
    source_url = models.URLField(max_length=500)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["common_name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("common_name"),
                name="plants_common_name_ci_unique",
                violation_error_message="A plant with this common name is already in the catalogue.",
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="plants_kind_valid"),
            models.CheckConstraint(
                condition=Q(life_cycle__in=LifeCycle.values), name="plants_life_cycle_valid"
            ),
            models.CheckConstraint(
                condition=Q(sun_hours_min__gte=0, sun_hours_ideal__lte=24)
                & Q(sun_hours_ideal__gte=models.F("sun_hours_min")),
                name="plants_sun_hours_range",
            ),
            models.CheckConstraint(
                condition=_light_matches_hours(),
                name="plants_light_matches_hours",
            ),
            models.CheckConstraint(
                condition=Q(frost_tolerance__isnull=True) | Q(frost_tolerance__in=FrostTolerance.values),
                name="plants_frost_tolerance_valid",
            ),
            models.CheckConstraint(
                condition=Q(life_cycle="perennial") | Q(frost_tolerance__isnull=False),
                name="plants_frost_tolerance_for_annuals",
            ),
            models.CheckConstraint(
                condition=Q(hardiness_zone_min__isnull=True)
                | Q(hardiness_zone_min__gte=HARDINESS_ZONES[0], hardiness_zone_min__lte=HARDINESS_ZONES[1]),
                name="plants_zone_range",
            ),
            models.CheckConstraint(
                condition=(Q(life_cycle="perennial") & Q(hardiness_zone_min__isnull=False))
                | (Q(life_cycle="annual") & Q(hardiness_zone_min__isnull=True))
                | Q(life_cycle="biennial"),
                name="plants_zone_for_perennials",
            ),
            models.CheckConstraint(
                condition=Q(days_to_maturity_min__isnull=True, days_to_maturity_max__isnull=True)
                | Q(
                    # A comparison with NULL passes a CHECK: say "not null" outright.
                    days_to_maturity_min__isnull=False,
                    days_to_maturity_max__isnull=False,
                    days_to_maturity_min__gte=1,
                    days_to_maturity_max__gte=models.F("days_to_maturity_min"),
                    days_to_maturity_max__lte=MAX_DAYS_TO_MATURITY,
                ),
                name="plants_days_to_maturity_range",
            ),
            models.CheckConstraint(
                condition=Q(fall_sowing=True, weeks_fall_sowing_before_first_frost__isnull=False)
                | Q(fall_sowing=False, weeks_fall_sowing_before_first_frost__isnull=True),
                name="plants_fall_sowing_has_weeks",
            ),
            models.CheckConstraint(
                condition=Q(spacing_cm__gte=1, height_cm__gte=1), name="plants_sizes_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.botanical_name})"

    def clean(self) -> None:
        """The rules between fields, each named on the field to fix (the constraints back them up)."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        low, ideal = self.sun_hours_min, self.sun_hours_ideal
        if low is not None and ideal is not None and ideal < low:
            add("sun_hours_ideal", "Must be at least the minimum hours of sun.")
        if low is not None and self.light in LIGHT_MIN_HOURS:
            fits = light_for_hours(low)
            if fits != self.light:
                add(
                    "light",
                    f"A minimum of {low:g} h of sun a day is {Light(fits).label}; "
                    "pick that or change the hours.",
                )

        cycle = self.life_cycle
        if cycle in (self.LifeCycle.ANNUAL, self.LifeCycle.BIENNIAL) and not self.frost_tolerance:
            add("frost_tolerance", "Required for annuals and biennials.")
        if cycle == self.LifeCycle.PERENNIAL and self.hardiness_zone_min is None:
            add("hardiness_zone_min", "Required for perennials.")
        if cycle == self.LifeCycle.ANNUAL and self.hardiness_zone_min is not None:
            add("hardiness_zone_min", "Leave empty for annuals: they do not live through a winter.")

        first, last = self.days_to_maturity_min, self.days_to_maturity_max
        if (first is None) != (last is None):
            add("days_to_maturity_max" if last is None else "days_to_maturity_min", "Give both or neither.")
        elif first is not None and last is not None and last < first:
            add("days_to_maturity_max", "Must be at least the minimum.")

        weeks = self.weeks_fall_sowing_before_first_frost
        if self.fall_sowing and weeks is None:
            add("weeks_fall_sowing_before_first_frost", "Required when a fall sowing is possible.")
        if not self.fall_sowing and weeks is not None:
            add("weeks_fall_sowing_before_first_frost", "Leave empty unless a fall sowing is possible.")
        if errors:
            raise ValidationError(errors)
