"""Seed the plant catalogue, once (docs/decisions/0023-plant-catalogue-seeded-once.md).

The rows come from ``seed/plants_0002.csv`` and their references from
``seed/sources_0002.csv``: files that belong to this migration and are never
edited, so that migrating a new database always loads what this migration
loaded. A later seed is a new pair of files with a new migration.

The seed loads only into an empty catalogue. Once it holds anything the
admin owns it: applying this migration again (after unapplying it, or on a
database filled another way) changes nothing, and unapplying it keeps the
rows.
"""

import csv
from pathlib import Path

from django.db import migrations

SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
PLANTS_FILE = SEED_DIR / "plants_0002.csv"
SOURCES_FILE = SEED_DIR / "sources_0002.csv"

INTEGER_FIELDS = (
    "hardiness_zone_min",
    "days_to_maturity_min",
    "days_to_maturity_max",
    "weeks_start_indoors_before_last_frost",
    "weeks_transplant_after_last_frost",
    "weeks_direct_sow_after_last_frost",
    "weeks_fall_sowing_before_first_frost",
    "spacing_cm",
    "height_cm",
)
FLOAT_FIELDS = ("sun_hours_min", "sun_hours_ideal")
TEXT_FIELDS = ("common_name", "botanical_name", "kind", "life_cycle", "light", "maturity_from", "notes")


def _read(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def plant_fields(row, sources):
    """The model fields of one CSV row: empty cells are None, the source key becomes its reference."""
    fields = {name: row[name] for name in TEXT_FIELDS}
    fields.update({name: int(row[name]) if row[name] else None for name in INTEGER_FIELDS})
    fields.update({name: float(row[name]) for name in FLOAT_FIELDS})
    fields["frost_tolerance"] = row["frost_tolerance"] or None
    fields["fall_sowing"] = fields["weeks_fall_sowing_before_first_frost"] is not None
    source = sources[row["source"]]
    fields["source"] = source["source"]
    fields["source_url"] = source["source_url"]
    return fields


def seed_catalogue(apps, schema_editor):
    Plant = apps.get_model("plants", "Plant")
    database = schema_editor.connection.alias
    if Plant.objects.using(database).exists():
        return
    sources = {row["key"]: row for row in _read(SOURCES_FILE)}
    Plant.objects.using(database).bulk_create(
        [Plant(**plant_fields(row, sources)) for row in _read(PLANTS_FILE)]
    )


class Migration(migrations.Migration):
    dependencies = [("plants", "0001_initial")]

    operations = [migrations.RunPython(seed_catalogue, migrations.RunPython.noop, elidable=False)]
