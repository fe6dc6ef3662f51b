import factory

from backend_django.plants.models import Plant


class PlantFactory(factory.django.DjangoModelFactory):
    """A tender, full-sun annual vegetable; override what a test is about."""

    class Meta:
        model = Plant

    common_name = factory.Sequence(lambda n: f"Test plant {n}")
    botanical_name = factory.Sequence(lambda n: f"Plantago testii {n}")
    kind = "vegetable"
    life_cycle = "annual"
    light = "full_sun"
    sun_hours_min = 6.0
    sun_hours_ideal = 8.0
    frost_tolerance = "tender"
    hardiness_zone_min = None
    days_to_maturity_min = 60
    days_to_maturity_max = 80
    maturity_from = "sowing"
    weeks_direct_sow_after_last_frost = 1
    spacing_cm = 30
    height_cm = 60
    source = "Test reference"
    source_url = "https://example.org/reference"


def perennial(**fields) -> Plant:
    """A perennial (a zone, no frost tolerance needed)."""
    defaults = {
        "life_cycle": "perennial",
        "frost_tolerance": None,
        "hardiness_zone_min": 5,
        "days_to_maturity_min": None,
        "days_to_maturity_max": None,
        "weeks_direct_sow_after_last_frost": None,
        "weeks_transplant_after_last_frost": 0,
    }
    return PlantFactory(**{**defaults, **fields})
