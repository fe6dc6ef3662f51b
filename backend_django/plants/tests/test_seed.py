"""The seeded catalogue: complete, valid, sourced, and loaded only into an empty catalogue."""

import csv
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from backend_django.plants.models import Plant

pytestmark = pytest.mark.django_db

seed_migration = importlib.import_module("backend_django.plants.migrations.0002_seed_catalogue")


def run_seed() -> None:
    seed_migration.seed_catalogue(apps, SimpleNamespace(connection=connection))


def seed_rows() -> list[dict]:
    with seed_migration.PLANTS_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_test_database_holds_the_seed():
    assert Plant.objects.count() == len(seed_rows()) >= 80
    kinds = set(Plant.objects.values_list("kind", flat=True))
    assert {"vegetable", "herb", "fruit", "flower", "shrub"} <= kinds
    assert Plant.objects.filter(kind="shrub").count() >= 3


def test_every_seeded_plant_passes_validation_and_names_its_source():
    for plant in Plant.objects.all():
        plant.full_clean()
        assert plant.source and plant.source_url.startswith("https://"), plant
        assert plant.notes, plant


def test_seeded_facts_are_the_tables():
    tomato = Plant.objects.get(common_name="Tomato")
    assert (tomato.botanical_name, tomato.kind, tomato.life_cycle) == (
        "Solanum lycopersicum",
        "vegetable",
        "annual",
    )
    assert (tomato.light, tomato.sun_hours_min, tomato.sun_hours_ideal) == ("full_sun", 6.0, 8.0)
    assert (tomato.frost_tolerance, tomato.hardiness_zone_min) == ("tender", None)
    assert (tomato.days_to_maturity_min, tomato.days_to_maturity_max, tomato.maturity_from) == (
        60,
        85,
        "transplant",
    )
    assert tomato.weeks_start_indoors_before_last_frost == 6
    assert tomato.weeks_transplant_after_last_frost == 1
    assert tomato.weeks_direct_sow_after_last_frost is None
    assert (tomato.fall_sowing, tomato.weeks_fall_sowing_before_first_frost) == (False, None)
    assert (
        tomato.source == "Colorado State University Extension, CMG GardenNotes #720: Vegetable Planting Guide"
    )

    lettuce = Plant.objects.get(common_name="Lettuce")
    assert (lettuce.fall_sowing, lettuce.weeks_fall_sowing_before_first_frost) == (True, 8)
    assert lettuce.weeks_direct_sow_after_last_frost == -4

    rosemary = Plant.objects.get(common_name="Rosemary")
    assert (rosemary.life_cycle, rosemary.hardiness_zone_min) == ("perennial", 8)
    assert rosemary.source_url == "https://plants.ces.ncsu.edu/"


def test_seeding_again_keeps_the_operators_edits():
    tomato = Plant.objects.get(common_name="Tomato")
    tomato.notes = "Our own note."
    tomato.weeks_transplant_after_last_frost = 2
    tomato.save()
    Plant.objects.filter(common_name="Basil").delete()
    count = Plant.objects.count()

    run_seed()

    tomato.refresh_from_db()
    assert tomato.notes == "Our own note."
    assert tomato.weeks_transplant_after_last_frost == 2
    assert not Plant.objects.filter(common_name="Basil").exists()
    assert Plant.objects.count() == count


def test_the_seed_loads_into_an_empty_catalogue():
    Plant.objects.all().delete()
    run_seed()
    assert sorted(Plant.objects.values_list("common_name", flat=True)) == sorted(
        row["common_name"] for row in seed_rows()
    )
