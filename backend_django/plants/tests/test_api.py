"""GET plants/ and plants/{id}/: filters, errors, and revalidation by ETag."""

import pytest
from rest_framework.test import APIClient

from backend_django.plants.models import Plant

from .factories import PlantFactory, perennial

pytestmark = pytest.mark.django_db

URL = "/api/v1/plants/"


@pytest.fixture
def catalogue() -> dict[str, Plant]:
    """A small catalogue of its own in place of the seed, so each filter's answer is known."""
    Plant.objects.all().delete()
    return {
        "tomato": PlantFactory(common_name="Tomato", botanical_name="Solanum lycopersicum"),
        "lettuce": PlantFactory(
            common_name="Lettuce",
            botanical_name="Lactuca sativa",
            light="part_sun",
            sun_hours_min=4,
            sun_hours_ideal=6,
            frost_tolerance="hardy",
        ),
        "hosta": perennial(
            common_name="Hosta",
            botanical_name="Hosta spp.",
            kind="flower",
            light="shade",
            sun_hours_min=1,
            sun_hours_ideal=3,
            hardiness_zone_min=3,
        ),
        "rosemary": perennial(
            common_name="Rosemary", botanical_name="Salvia rosmarinus", kind="herb", hardiness_zone_min=8
        ),
        "lemon": perennial(
            common_name="Lemon", botanical_name="Citrus \u00d7 limon", kind="fruit", hardiness_zone_min=9
        ),
        "parsley": PlantFactory(
            common_name="Parsley",
            botanical_name="Petroselinum crispum",
            kind="herb",
            life_cycle="biennial",
            frost_tolerance="hardy",
            light="part_sun",
            sun_hours_min=4,
            sun_hours_ideal=6,
        ),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [plant["common_name"] for plant in response.json()["results"]]


def test_anonymous_requests_are_refused(api_client, catalogue):
    for url in (URL, f"{URL}{catalogue['tomato'].pk}/"):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        assert "ETag" not in response


def test_the_list_is_paginated_by_common_name(user_client, catalogue):
    body = user_client.get(URL).json()
    assert body["count"] == 6
    assert [plant["common_name"] for plant in body["results"]] == [
        "Hosta",
        "Lemon",
        "Lettuce",
        "Parsley",
        "Rosemary",
        "Tomato",
    ]
    page = user_client.get(URL, {"page_size": 4, "page": 2}).json()
    assert page["count"] == 6
    assert [plant["common_name"] for plant in page["results"]] == ["Rosemary", "Tomato"]
    assert page["next"] is None and page["previous"]


def test_a_plant_shows_every_fact(user_client, catalogue):
    lettuce = catalogue["lettuce"]
    body = user_client.get(f"{URL}{lettuce.pk}/").json()
    assert body == {
        "id": lettuce.pk,
        "common_name": "Lettuce",
        "botanical_name": "Lactuca sativa",
        "kind": "vegetable",
        "life_cycle": "annual",
        "light": "part_sun",
        "sun_hours_min": 4.0,
        "sun_hours_ideal": 6.0,
        "frost_tolerance": "hardy",
        "hardiness_zone_min": None,
        "days_to_maturity_min": 60,
        "days_to_maturity_max": 80,
        "maturity_from": "sowing",
        "weeks_start_indoors_before_last_frost": None,
        "weeks_transplant_after_last_frost": None,
        "weeks_direct_sow_after_last_frost": 1,
        "fall_sowing": False,
        "weeks_fall_sowing_before_first_frost": None,
        "spacing_cm": 30,
        "height_cm": 60,
        "notes": "",
        "source": "Test reference",
        "source_url": "https://example.org/reference",
        "updated_at": body["updated_at"],
    }
    assert body in user_client.get(URL).json()["results"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"light": "part_sun"}, ["Lettuce", "Parsley"]),
        ({"light": "shade"}, ["Hosta"]),
        ({"kind": "herb"}, ["Parsley", "Rosemary"]),
        ({"kind": "tree"}, []),
        # Zone 5: perennials hardy to zone 5 or colder, and every annual (and the zoneless biennial).
        ({"zone": "5"}, ["Hosta", "Lettuce", "Parsley", "Tomato"]),
        ({"zone": "8b"}, ["Hosta", "Lettuce", "Parsley", "Rosemary", "Tomato"]),
        ({"zone": "8A"}, ["Hosta", "Lettuce", "Parsley", "Rosemary", "Tomato"]),
        ({"zone": "9"}, ["Hosta", "Lemon", "Lettuce", "Parsley", "Rosemary", "Tomato"]),
        ({"zone": "0"}, ["Lettuce", "Parsley", "Tomato"]),
        ({"zone": "2"}, ["Lettuce", "Parsley", "Tomato"]),
        ({"q": "LETT"}, ["Lettuce"]),
        ({"q": "salvia"}, ["Rosemary"]),
        ({"q": "  ros "}, ["Parsley", "Rosemary"]),  # Petroselinum
        ({"q": "o"}, ["Hosta", "Lemon", "Parsley", "Rosemary", "Tomato"]),
        ({"q": "%"}, []),
        ({"q": "\u00d7"}, ["Lemon"]),
        ({"kind": "herb", "zone": "5"}, ["Parsley"]),
        ({"light": "full_sun", "q": "r", "zone": "7"}, ["Tomato"]),
        ({"q": ""}, ["Hosta", "Lemon", "Lettuce", "Parsley", "Rosemary", "Tomato"]),
    ],
)
def test_filters(user_client, catalogue, query, expected):
    assert names(user_client.get(URL, query)) == expected


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"light": "sunny"}, "light", "Select a valid choice. sunny is not one of the available choices."),
        ({"kind": "cactus"}, "kind", "Select a valid choice."),
        ({"zone": "15"}, "zone", "A USDA hardiness zone from 0 to 14, e.g. 6 or 6b."),
        ({"zone": "6c"}, "zone", "A USDA hardiness zone from 0 to 14"),
        ({"zone": "-1"}, "zone", "A USDA hardiness zone from 0 to 14"),
        ({"zone": "six"}, "zone", "A USDA hardiness zone from 0 to 14"),
        ({"q": "x" * 101}, "q", "Ensure this value has at most 100 characters (it has 101)."),
        ({"light": ""}, "light", "Give a value, or leave the parameter out."),
        ({"kind": ""}, "kind", "Give a value, or leave the parameter out."),
        ({"zone": ""}, "zone", "Give a value, or leave the parameter out."),
        ({"zone": " "}, "zone", "Give a value, or leave the parameter out."),
        ({"page_size": "0"}, "page_size", "A whole number from 1 to 200."),
    ],
)
def test_bad_filter_values_are_400_in_the_error_shape(user_client, catalogue, query, field, message):
    response = user_client.get(URL, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert message in error["fields"][field][0]
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    "path", ["0/", "999999/", "999999999999999999/", "abc/", "1.5/", "99999999999999999999/"]
)
def test_unknown_plants_are_404_in_the_error_shape(user_client, catalogue, path):
    response = user_client.get(f"{URL}{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_a_page_past_the_end_is_404(user_client, catalogue):
    assert user_client.get(URL, {"page": 9}).status_code == 404


# --- caching -----------------------------------------------------------------


def revalidate(client: APIClient, url: str, etag: str, **query):
    return client.get(url, query, HTTP_IF_NONE_MATCH=etag)


@pytest.mark.parametrize("detail", [False, True])
def test_an_unchanged_catalogue_answers_304(user_client, catalogue, detail):
    url = f"{URL}{catalogue['tomato'].pk}/" if detail else URL
    first = user_client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"plants-') and etag.endswith('"')
    assert first["Cache-Control"] == "private, max-age=600"

    again = revalidate(user_client, url, etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, max-age=600"
    # The weak form, a list of tags, and "*" match too.
    assert revalidate(user_client, url, f"W/{etag}").status_code == 304
    assert revalidate(user_client, url, f'"other", {etag}').status_code == 304
    assert revalidate(user_client, url, "*").status_code == 304
    assert revalidate(user_client, url, '"plants-other"').status_code == 200


def test_the_etag_is_the_same_for_every_filter_and_follows_the_catalogue(user_client, catalogue):
    etag = user_client.get(URL)["ETag"]
    assert user_client.get(URL, {"kind": "herb"})["ETag"] == etag
    assert revalidate(user_client, URL, etag, kind="herb").status_code == 304

    # An edit (in the admin, through save()) changes it.
    tomato = catalogue["tomato"]
    tomato.notes = "Stake early."
    tomato.save()
    response = revalidate(user_client, URL, etag)
    assert response.status_code == 200
    edited = response["ETag"]
    assert edited != etag
    assert revalidate(user_client, f"{URL}{tomato.pk}/", edited).status_code == 304

    # So do an addition and a deletion.
    added = PlantFactory(common_name="Okra")
    response = revalidate(user_client, URL, edited)
    assert response.status_code == 200 and "Okra" in names(response)
    with_okra = response["ETag"]
    catalogue["lettuce"].delete()
    response = revalidate(user_client, URL, with_okra)
    assert response.status_code == 200 and "Lettuce" not in names(response)
    assert response["ETag"] not in (etag, edited, with_okra)
    assert added.pk in [plant["id"] for plant in response.json()["results"]]


def test_validation_and_404_come_before_revalidation(user_client, catalogue):
    etag = user_client.get(URL)["ETag"]
    assert revalidate(user_client, URL, etag, zone="99").status_code == 400
    assert revalidate(user_client, f"{URL}999999/", etag).status_code == 404
    assert revalidate(user_client, f"{URL}999999/", "*").status_code == 404


def test_the_seeded_catalogue_is_served(user_client):
    body = user_client.get(URL, {"page_size": 200}).json()
    assert body["count"] == Plant.objects.count() >= 80
    assert "Tomato" in [plant["common_name"] for plant in body["results"]]
