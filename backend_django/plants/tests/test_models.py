"""The catalogue's rules: clean() names the field to fix; the database refuses what slips past."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backend_django.plants.models import Plant

from .factories import PlantFactory

pytestmark = pytest.mark.django_db


def errors_of(plant: Plant) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        plant.full_clean()
    return caught.value.message_dict


def test_a_factory_plant_is_valid():
    PlantFactory.build().full_clean()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"light": "full_sun", "sun_hours_min": 4.5}, "light", "A minimum of 4.5 h of sun a day is Part sun"),
        ({"light": "part_shade", "sun_hours_min": 4}, "light", "A minimum of 4 h of sun a day is Part sun"),
        ({"light": "shade", "sun_hours_min": 2, "sun_hours_ideal": 3}, "light", "is Part shade (2 to 4 h)"),
        ({"light": "part_sun", "sun_hours_min": 1.5, "sun_hours_ideal": 3}, "light", "is Shade (under 2 h)"),
        ({"sun_hours_min": 7, "sun_hours_ideal": 6.5}, "sun_hours_ideal", "at least the minimum"),
        ({"sun_hours_ideal": 25}, "sun_hours_ideal", "less than or equal to 24"),
        ({"frost_tolerance": None}, "frost_tolerance", "Required for annuals and biennials."),
        ({"life_cycle": "biennial", "frost_tolerance": None}, "frost_tolerance", "Required"),
        ({"hardiness_zone_min": 6}, "hardiness_zone_min", "Leave empty for annuals"),
        ({"life_cycle": "perennial"}, "hardiness_zone_min", "Required for perennials."),
        (
            {"life_cycle": "perennial", "hardiness_zone_min": 14},
            "hardiness_zone_min",
            "less than or equal to 13",
        ),
        ({"days_to_maturity_max": None}, "days_to_maturity_max", "Give both or neither."),
        ({"days_to_maturity_min": None}, "days_to_maturity_min", "Give both or neither."),
        (
            {"days_to_maturity_min": 90, "days_to_maturity_max": 80},
            "days_to_maturity_max",
            "at least the min",
        ),
        ({"fall_sowing": True}, "weeks_fall_sowing_before_first_frost", "Required when a fall sowing"),
        ({"weeks_fall_sowing_before_first_frost": 8}, "weeks_fall_sowing_before_first_frost", "Leave empty"),
        ({"weeks_transplant_after_last_frost": -21}, "weeks_transplant_after_last_frost", "-20"),
        ({"weeks_start_indoors_before_last_frost": 0}, "weeks_start_indoors_before_last_frost", "1"),
        ({"spacing_cm": 0}, "spacing_cm", "greater than or equal to 1"),
        ({"kind": "cactus"}, "kind", "not a valid choice"),
        ({"source_url": "not a url"}, "source_url", "valid URL"),
    ],
)
def test_clean_names_the_field_to_fix(changes, field, message):
    plant = PlantFactory.build(**changes)
    errors = errors_of(plant)
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors[field]


def test_a_perennial_may_leave_frost_tolerance_empty_and_a_biennial_may_name_a_zone():
    PlantFactory.build(life_cycle="perennial", hardiness_zone_min=4, frost_tolerance=None).full_clean()
    PlantFactory.build(life_cycle="biennial", hardiness_zone_min=4, frost_tolerance="hardy").full_clean()


def test_the_common_name_is_unique_in_any_case():
    PlantFactory(common_name="Moon tomato")
    errors = errors_of(PlantFactory.build(common_name="MOON TOMATO"))
    assert errors["__all__"] == ["A plant with this common name is already in the catalogue."]


@pytest.mark.parametrize(
    "changes",
    [
        {"light": "full_sun", "sun_hours_min": 3, "sun_hours_ideal": 4},
        {"sun_hours_min": 7, "sun_hours_ideal": 6.5},
        {"frost_tolerance": None},
        {"hardiness_zone_min": 6},
        {"life_cycle": "perennial", "hardiness_zone_min": None},
        {"days_to_maturity_min": 90, "days_to_maturity_max": 80},
        {"days_to_maturity_max": None},
        {"fall_sowing": True},
        {"kind": "cactus"},
        {"common_name": "MOON TOMATO"},
    ],
)
def test_the_database_refuses_what_skips_validation(changes):
    PlantFactory(common_name="Moon tomato")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlantFactory(**{"common_name": "Other", **changes})
