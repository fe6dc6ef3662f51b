"""Which plants fit a bed, and why; scores and season needs worked out by hand."""

import pytest

from backend_django.plants.models import Plant
from backend_django.plants.recommend import plants_for_bed

from .factories import PlantFactory

SEASON = {"zone": 6, "frost_free_days": 165}


def annual(name: str, **fields) -> Plant:
    return PlantFactory.build(common_name=name, **fields)


def perennial(name: str, **fields) -> Plant:
    defaults = {
        "life_cycle": "perennial",
        "frost_tolerance": None,
        "days_to_maturity_min": None,
        "days_to_maturity_max": None,
        "weeks_direct_sow_after_last_frost": None,
    }
    return PlantFactory.build(common_name=name, **{**defaults, **fields})


CATALOGUE = [
    # Tender; plant out a week after the last frost; 60-85 days from transplanting. Its harvest
    # window (plants.calendar) is 60 to 99 days after the last frost: planted from the frost day
    # + 60, or on the window's last day (frost + 14) + 85.
    annual(
        "Tomato",
        days_to_maturity_min=60,
        days_to_maturity_max=85,
        maturity_from="transplant",
        weeks_transplant_after_last_frost=1,
        weeks_direct_sow_after_last_frost=None,
    ),
    # Tender; sown 2 weeks after the frost (window frost + 7 .. + 21); 90-120 days:
    # harvest 97 to 141 days after the last frost.
    annual("Pumpkin", days_to_maturity_min=90, days_to_maturity_max=120, weeks_direct_sow_after_last_frost=2),
    annual(
        "Lettuce",
        light="part_sun",
        sun_hours_min=4,
        sun_hours_ideal=6,
        frost_tolerance="hardy",
        days_to_maturity_min=45,
        days_to_maturity_max=55,
        weeks_direct_sow_after_last_frost=-4,
    ),
    perennial(
        "Hosta", kind="flower", light="shade", sun_hours_min=1, sun_hours_ideal=3, hardiness_zone_min=3
    ),
    perennial(
        "Astilbe", kind="flower", light="part_shade", sun_hours_min=2, sun_hours_ideal=4, hardiness_zone_min=4
    ),
    perennial(
        "Chives", kind="herb", light="part_sun", sun_hours_min=4, sun_hours_ideal=6, hardiness_zone_min=3
    ),
    perennial("Rosemary", kind="herb", hardiness_zone_min=8),
]


def fits(**bed) -> list[tuple[str, float]]:
    return [(fit.plant.common_name, fit.score) for fit in plants_for_bed(catalogue=CATALOGUE, **bed)]


def reasons(name: str, **bed) -> tuple[str, ...]:
    return next(
        fit.reasons for fit in plants_for_bed(catalogue=CATALOGUE, **bed) if fit.plant.common_name == name
    )


def test_a_shade_bed_gets_shade_plants_and_no_tomato():
    # 2 h: Hosta 1 - |2 - 3| / 12 = 0.917, Astilbe 1 - |2 - 4| / 12 = 0.833; the rest need 4 h or more.
    assert fits(sun_hours=2, **SEASON) == [("Hosta", 0.917), ("Astilbe", 0.833)]
    assert reasons("Hosta", sun_hours=2, **SEASON) == (
        "2.0 h of sun a day over the growing season; needs at least 1 h, best with 3 h",
        "survives winters down to zone 3; your zone is 6",
    )


def test_a_full_sun_bed_gets_the_tomato_and_not_the_shade_plants():
    # 8 h: Tomato and Pumpkin at their ideal (1.0, and 165 days covers 99 and 141);
    # Chives and Lettuce 1 - |8 - 6| / 12 = 0.833; Hosta and Astilbe would scorch; Rosemary
    # (zone 8) does not survive zone 6.
    assert fits(sun_hours=8, **SEASON) == [
        ("Pumpkin", 1.0),
        ("Tomato", 1.0),
        ("Chives", 0.833),
        ("Lettuce", 0.833),
    ]
    assert reasons("Tomato", sun_hours=8, **SEASON) == (
        "8.0 h of sun a day over the growing season; needs at least 6 h, best with 8 h",
        "your season has 165 frost-free days; needs 60\u201399 to harvest",
    )
    assert reasons("Lettuce", sun_hours=8, **SEASON) == (
        "8.0 h of sun a day over the growing season; needs at least 4 h, best with 6 h",
        "takes frost, so the length of the frost-free season does not limit it",
    )


def test_a_sun_lover_minds_no_sun_beyond_its_ideal():
    # 11.4 h: Tomato and Pumpkin (full sun, ideal 8 h) stay at 1.0; the part-sun Chives and
    # Lettuce 1 - |11.4 - 6| / 12 = 0.55.
    assert fits(sun_hours=11.4, **SEASON) == [
        ("Pumpkin", 1.0),
        ("Tomato", 1.0),
        ("Chives", 0.55),
        ("Lettuce", 0.55),
    ]


def test_ties_go_to_the_plant_that_wants_more_sun():
    sun_hungry = annual("Zucchini", sun_hours_ideal=10)
    catalogue = [*CATALOGUE, sun_hungry]
    ranked = [fit.plant.common_name for fit in plants_for_bed(catalogue=catalogue, sun_hours=11, **SEASON)]
    assert ranked[:3] == ["Zucchini", "Pumpkin", "Tomato"]


def test_a_bed_a_little_over_the_minimum():
    # 6.4 h: Tomato 1 - 1.6 / 12 = 0.867; Lettuce and Chives 1 - 0.4 / 12 = 0.967.
    assert fits(sun_hours=6.4, **SEASON) == [
        ("Chives", 0.967),
        ("Lettuce", 0.967),
        ("Pumpkin", 0.867),
        ("Tomato", 0.867),
    ]
    assert reasons("Tomato", sun_hours=6.4, **SEASON)[0] == (
        "6.4 h of sun a day over the growing season; needs at least 6 h, best with 8 h"
    )


def test_part_shade_plants_take_part_sun_but_not_full_sun():
    # 5 h (part sun): Astilbe, one category sunnier than it asks, stays: 1 - 1 / 12 = 0.917.
    assert ("Astilbe", 0.917) in fits(sun_hours=5, **SEASON)
    assert "Hosta" not in dict(fits(sun_hours=5, **SEASON))
    assert "Astilbe" not in dict(fits(sun_hours=6, **SEASON))


def test_a_zone_5_site_gets_no_perennial_whose_coldest_zone_is_8():
    names = dict(fits(sun_hours=8, zone=5, frost_free_days=165))
    assert "Rosemary" not in names
    assert "Chives" in names  # zone 3
    assert "Rosemary" in dict(fits(sun_hours=8, zone=8, frost_free_days=165))
    assert reasons("Rosemary", sun_hours=8, zone=None, frost_free_days=165)[1] == (
        "survives winters down to zone 8; your zone is not known yet"
    )


def test_a_short_season_leaves_out_what_cannot_ripen():
    # 120 days: Pumpkin needs 97-141, so 0.5 + 0.5 * (120 - 97) / (141 - 97) = 0.761.
    assert fits(sun_hours=8, zone=6, frost_free_days=120) == [
        ("Tomato", 1.0),
        ("Chives", 0.833),
        ("Lettuce", 0.833),
        ("Pumpkin", 0.761),
    ]
    # 90 days: no pumpkin; Tomato needs 60-99: 0.5 + 0.5 * 30 / 39 = 0.885.
    names = dict(fits(sun_hours=8, zone=6, frost_free_days=90))
    assert "Pumpkin" not in names and names["Tomato"] == 0.885
    # 59 days: no tomato either; hardy Lettuce does not mind.
    names = dict(fits(sun_hours=8, zone=6, frost_free_days=59))
    assert "Tomato" not in names and "Lettuce" in names
    assert reasons("Pumpkin", sun_hours=8, zone=6, frost_free_days=None)[1] == (
        "needs 97\u2013141 frost-free days to harvest; your season is not known yet"
    )


@pytest.mark.parametrize(
    "bed",
    [
        {"sun_hours": -1, "zone": 6, "frost_free_days": 100},
        {"sun_hours": 25, "zone": 6, "frost_free_days": 100},
        {"sun_hours": 5, "zone": 15, "frost_free_days": 100},
        {"sun_hours": 5, "zone": 6, "frost_free_days": 400},
    ],
)
def test_impossible_beds_are_refused(bed):
    with pytest.raises(ValueError):
        plants_for_bed(catalogue=CATALOGUE, **bed)


@pytest.mark.django_db
def test_the_seeded_catalogue():
    catalogue = list(Plant.objects.all())
    shade = plants_for_bed(sun_hours=2, zone=6, frost_free_days=165, catalogue=catalogue)
    names = {fit.plant.common_name for fit in shade}
    assert "Tomato" not in names
    assert {"Hosta", "Impatiens", "Astilbe"} <= names
    full_sun = plants_for_bed(sun_hours=8, zone=5, frost_free_days=165, catalogue=catalogue)
    names = {fit.plant.common_name for fit in full_sun}
    assert "Tomato" in names
    assert not [fit for fit in full_sun if (fit.plant.hardiness_zone_min or 0) > 5]
    assert {"Rosemary", "Fig", "Lemon", "Globe artichoke"}.isdisjoint(names)
    # A brighter bed does not demote the seeded sun-lovers (a bed of 11.4 h in Portland).
    bright = plants_for_bed(sun_hours=11.4, zone=5, frost_free_days=165, catalogue=catalogue)
    full_sun_scores = {fit.plant.common_name: fit.score for fit in full_sun if fit.plant.light == "full_sun"}
    assert full_sun_scores["Tomato"] > 0.9
    assert {
        fit.plant.common_name: fit.score for fit in bright if fit.plant.light == "full_sun"
    } == full_sun_scores
