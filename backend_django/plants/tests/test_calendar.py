"""Planting windows against dates worked out by hand (the arithmetic is in the comments).

Two plants as the catalogue has them:
- tomato: tender; start indoors 6 weeks before the last frost, plant out 1 week
  after it; 60-85 days to maturity from transplanting; no fall sowing;
- lettuce: hardy; start indoors 6 weeks before, plant out 3 weeks before, sow
  outdoors 4 weeks before; 45-55 days from sowing; fall sowing 8 weeks before
  the first fall frost.
"""

from datetime import date

from backend_django.plants.calendar import planting_calendar
from backend_django.plants.models import Plant

from .factories import PlantFactory


def tomato(**changes) -> Plant:
    fields = {
        "common_name": "Tomato",
        "frost_tolerance": "tender",
        "days_to_maturity_min": 60,
        "days_to_maturity_max": 85,
        "maturity_from": "transplant",
        "weeks_start_indoors_before_last_frost": 6,
        "weeks_transplant_after_last_frost": 1,
        "weeks_direct_sow_after_last_frost": None,
    }
    return PlantFactory.build(**{**fields, **changes})


def lettuce(**changes) -> Plant:
    fields = {
        "common_name": "Lettuce",
        "light": "part_sun",
        "sun_hours_min": 4,
        "sun_hours_ideal": 6,
        "frost_tolerance": "hardy",
        "days_to_maturity_min": 45,
        "days_to_maturity_max": 55,
        "maturity_from": "sowing",
        "weeks_start_indoors_before_last_frost": 6,
        "weeks_transplant_after_last_frost": -3,
        "weeks_direct_sow_after_last_frost": -4,
        "fall_sowing": True,
        "weeks_fall_sowing_before_first_frost": 8,
    }
    return PlantFactory.build(**{**fields, **changes})


def windows(calendar) -> dict[str, tuple[date, date]]:
    return {window.kind: (window.start, window.end) for window in calendar.windows}


# --- a place with frost: last spring frost 15 April, first fall frost 15 October ---


def test_tomato_with_frost_dates():
    calendar = planting_calendar(
        tomato(), last_spring_frost=date(2026, 4, 15), first_fall_frost=date(2026, 10, 15), year=2026
    )
    assert not calendar.no_spring_frost and not calendar.no_fall_frost
    assert calendar.notes == ()
    assert windows(calendar) == {
        # 15 Apr - 42 days = 4 Mar; window 25 Feb .. 11 Mar (February 2026 has 28 days).
        "start_indoors": (date(2026, 2, 25), date(2026, 3, 11)),
        # 15 Apr + 7 = 22 Apr; window 15 .. 29 Apr (it opens on the frost date itself).
        "transplant": (date(2026, 4, 15), date(2026, 4, 29)),
        # From the transplant window: 15 Apr + 60 = 14 Jun (15 + 31 + 14);
        # 29 Apr + 85 = 23 Jul (1 + 31 + 30 + 23).
        "harvest": (date(2026, 6, 14), date(2026, 7, 23)),
    }


def test_lettuce_with_frost_dates():
    calendar = planting_calendar(
        lettuce(), last_spring_frost=date(2026, 4, 15), first_fall_frost=date(2026, 10, 15), year=2026
    )
    assert windows(calendar) == {
        "start_indoors": (date(2026, 2, 25), date(2026, 3, 11)),
        # 15 Apr - 21 days = 25 Mar; window 18 Mar .. 1 Apr.
        "transplant": (date(2026, 3, 18), date(2026, 4, 1)),
        # 15 Apr - 28 days = 18 Mar; window 11 .. 25 Mar.
        "direct_sow": (date(2026, 3, 11), date(2026, 3, 25)),
        # From the outdoor sowing: 11 Mar + 45 = 25 Apr (20 + 25); 25 Mar + 55 = 19 May (6 + 30 + 19).
        "harvest": (date(2026, 4, 25), date(2026, 5, 19)),
        # 15 Oct - 56 days = 20 Aug (15 + 30 + 11); window 13 .. 27 Aug.
        "fall_sowing": (date(2026, 8, 13), date(2026, 8, 27)),
        # 13 Aug + 45 = 27 Sep (18 + 27); 27 Aug + 55 = 21 Oct (4 + 30 + 21): lettuce takes
        # frost, so the first frost (15 Oct) does not end it.
        "fall_harvest": (date(2026, 9, 27), date(2026, 10, 21)),
    }
    assert calendar.notes == ()


# --- a place without frost: the stand-ins are 15 February and 15 December ---------


def test_tomato_without_frost():
    calendar = planting_calendar(tomato(), last_spring_frost=None, first_fall_frost=None, year=2026)
    assert calendar.no_spring_frost and calendar.no_fall_frost
    assert (calendar.last_spring_frost, calendar.first_fall_frost) == (date(2026, 2, 15), date(2026, 12, 15))
    assert calendar.notes == (
        "No spring frost here in most years: the spring windows count from mid-February, the end of "
        "the cool season, instead of a last frost.",
    )
    assert windows(calendar) == {
        # 15 Feb - 42 days = 4 Jan (15 + 27); window 28 Dec of the year before .. 11 Jan.
        "start_indoors": (date(2025, 12, 28), date(2026, 1, 11)),
        # 15 Feb + 7 = 22 Feb; window 15 Feb .. 1 Mar.
        "transplant": (date(2026, 2, 15), date(2026, 3, 1)),
        # 15 Feb + 60 = 16 Apr (13 + 31 + 16); 1 Mar + 85 = 25 May (30 + 30 + 25).
        "harvest": (date(2026, 4, 16), date(2026, 5, 25)),
    }


def test_lettuce_without_frost_grows_through_the_cool_season():
    calendar = planting_calendar(lettuce(), last_spring_frost=None, first_fall_frost=None, year=2026)
    assert windows(calendar) == {
        "start_indoors": (date(2025, 12, 28), date(2026, 1, 11)),
        # 15 Feb - 21 = 25 Jan; window 18 Jan .. 1 Feb.
        "transplant": (date(2026, 1, 18), date(2026, 2, 1)),
        # 15 Feb - 28 = 18 Jan; window 11 .. 25 Jan.
        "direct_sow": (date(2026, 1, 11), date(2026, 1, 25)),
        # 11 Jan + 45 = 25 Feb (20 + 25); 25 Jan + 55 = 21 Mar (6 + 28 + 21).
        "harvest": (date(2026, 2, 25), date(2026, 3, 21)),
        # 15 Dec - 56 = 20 Oct (15 + 30 + 11); window 13 .. 27 Oct.
        "fall_sowing": (date(2026, 10, 13), date(2026, 10, 27)),
        # 13 Oct + 45 = 27 Nov (18 + 27); 27 Oct + 55 = 21 Dec (4 + 30 + 21).
        "fall_harvest": (date(2026, 11, 27), date(2026, 12, 21)),
    }
    assert calendar.notes[1] == (
        "No fall frost here in most years: fall sowing counts back from mid-December, the start of "
        "the cool season."
    )


# --- the rules around them ------------------------------------------------------------


def test_frost_dates_of_any_year_are_taken_in_the_calendar_year():
    calendar = planting_calendar(
        tomato(), last_spring_frost=date(1999, 4, 15), first_fall_frost=date(1999, 10, 15), year=2026
    )
    assert windows(calendar)["transplant"] == (date(2026, 4, 15), date(2026, 4, 29))
    # 29 February of a leap year is the 28th in a common one: 28 Feb + 7 = 7 Mar.
    leap = planting_calendar(tomato(), last_spring_frost=date(2024, 2, 29), first_fall_frost=None, year=2026)
    assert leap.last_spring_frost == date(2026, 2, 28)
    assert windows(leap)["transplant"] == (date(2026, 2, 28), date(2026, 3, 14))


def test_south_of_the_equator_the_season_runs_over_the_new_year():
    # Last spring frost 20 September, first fall frost 30 April (of the next year).
    calendar = planting_calendar(
        lettuce(),
        last_spring_frost=date(2026, 9, 20),
        first_fall_frost=date(2026, 4, 30),
        year=2026,
        southern=True,
    )
    assert calendar.first_fall_frost == date(2027, 4, 30)
    # 30 Apr 2027 - 56 days = 5 Mar 2027 (30 Apr - 30 = 31 Mar, - 26 = 5 Mar); window 26 Feb .. 12 Mar.
    assert windows(calendar)["fall_sowing"] == (date(2027, 2, 26), date(2027, 3, 12))
    # 20 Sep - 28 = 23 Aug; window 16 .. 30 Aug.
    assert windows(calendar)["direct_sow"] == (date(2026, 8, 16), date(2026, 8, 30))


def test_south_of_the_equator_without_frost_the_stand_ins_are_august_and_june():
    calendar = planting_calendar(
        lettuce(), last_spring_frost=None, first_fall_frost=None, year=2026, southern=True
    )
    assert (calendar.last_spring_frost, calendar.first_fall_frost) == (date(2026, 8, 15), date(2027, 6, 15))
    assert "mid-August" in calendar.notes[0] and "mid-June" in calendar.notes[1]


def test_a_tender_plant_is_not_planted_out_before_the_last_frost():
    # Plant out "0 weeks" after the frost: the window would be 8 .. 22 Apr; it opens on the 15th.
    calendar = planting_calendar(
        tomato(weeks_transplant_after_last_frost=0),
        last_spring_frost=date(2026, 4, 15),
        first_fall_frost=None,
        year=2026,
    )
    assert windows(calendar)["transplant"] == (date(2026, 4, 15), date(2026, 4, 22))
    # A hardy plant with the same timing keeps the whole window.
    hardy = planting_calendar(
        tomato(weeks_transplant_after_last_frost=0, frost_tolerance="hardy"),
        last_spring_frost=date(2026, 4, 15),
        first_fall_frost=None,
        year=2026,
    )
    assert windows(hardy)["transplant"] == (date(2026, 4, 8), date(2026, 4, 22))


def test_the_first_fall_frost_ends_a_tender_harvest():
    # Short season: last frost 1 June, first frost 1 September.
    # Transplant 1 Jun + 7 = 8 Jun, window 1 .. 15 Jun; harvest 1 Jun + 60 = 31 Jul,
    # 15 Jun + 85 = 8 Sep, cut at the frost on 1 Sep.
    calendar = planting_calendar(
        tomato(), last_spring_frost=date(2026, 6, 1), first_fall_frost=date(2026, 9, 1), year=2026
    )
    assert windows(calendar)["harvest"] == (date(2026, 7, 31), date(2026, 9, 1))
    assert calendar.notes == ("The first fall frost (01 September) ends the harvest.",)

    # Pumpkins (90-120 days from sowing, sown 2 weeks after the frost) cannot start before it:
    # sow 15 Jun, window 8 .. 22 Jun; harvest from 8 Jun + 90 = 6 Sep, after the frost.
    pumpkin = PlantFactory.build(
        days_to_maturity_min=90, days_to_maturity_max=120, weeks_direct_sow_after_last_frost=2
    )
    calendar = planting_calendar(
        pumpkin, last_spring_frost=date(2026, 6, 1), first_fall_frost=date(2026, 9, 1), year=2026
    )
    assert "harvest" not in windows(calendar)
    assert calendar.notes == ("The first fall frost (01 September) comes before the harvest could begin.",)


def test_days_counted_from_transplanting_add_the_seedling_weeks_to_a_direct_sowing():
    # Cabbage sown for fall: 12 weeks (84 days) before 15 Oct = 23 Jul (15 + 30 + 31 + 8), window
    # 16 .. 30 Jul. Then 6 weeks (42 days) as a seedling and 60-90 days to maturity:
    # 16 Jul + 102 days: to 31 Jul is 15, to 31 Aug 46, to 30 Sep 76, then 26 more = 26 Oct;
    # 30 Jul + 132 days: to 31 Jul 1, 31 Aug 32, 30 Sep 62, 31 Oct 93, 30 Nov 123, then 9 = 9 Dec.
    cabbage = PlantFactory.build(
        frost_tolerance="hardy",
        days_to_maturity_min=60,
        days_to_maturity_max=90,
        maturity_from="transplant",
        weeks_start_indoors_before_last_frost=6,
        weeks_transplant_after_last_frost=-3,
        weeks_direct_sow_after_last_frost=None,
        fall_sowing=True,
        weeks_fall_sowing_before_first_frost=12,
    )
    calendar = planting_calendar(
        cabbage, last_spring_frost=date(2026, 4, 15), first_fall_frost=date(2026, 10, 15), year=2026
    )
    assert windows(calendar)["fall_sowing"] == (date(2026, 7, 16), date(2026, 7, 30))
    assert windows(calendar)["fall_harvest"] == (date(2026, 10, 26), date(2026, 12, 9))


def test_a_plant_without_timings_has_no_windows():
    shrub = PlantFactory.build(
        life_cycle="perennial",
        hardiness_zone_min=4,
        days_to_maturity_min=None,
        days_to_maturity_max=None,
        weeks_direct_sow_after_last_frost=None,
    )
    calendar = planting_calendar(
        shrub, last_spring_frost=date(2026, 4, 15), first_fall_frost=date(2026, 10, 15), year=2026
    )
    assert calendar.windows == ()
