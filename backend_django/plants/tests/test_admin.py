import pytest

from backend_django.plants.models import Plant

pytestmark = pytest.mark.django_db

URL = "/admin/plants/plant/"


def test_changelist_filters_and_search(admin_client):
    assert admin_client.get(URL).status_code == 200
    for query, expected in (("tomato", "Solanum lycopersicum"), ("salvia rosmarinus", "Rosemary")):
        response = admin_client.get(URL, {"q": query})
        assert response.status_code == 200
        assert expected in response.content.decode()
    response = admin_client.get(URL, {"kind__exact": "shrub", "light__exact": "part_shade"})
    body = response.content.decode()
    assert "Camellia" in body
    assert "Lilac" not in body  # a full-sun shrub
    assert "Hosta" not in body  # a shade flower


def test_change_form_validates(admin_client):
    tomato = Plant.objects.get(common_name="Tomato")
    url = f"{URL}{tomato.pk}/change/"
    assert admin_client.get(url).status_code == 200
    form = {
        "common_name": "Tomato",
        "botanical_name": "Solanum lycopersicum",
        "kind": "vegetable",
        "life_cycle": "perennial",  # without a zone
        "notes": "",
        "light": "part_shade",  # with a minimum of 6 h
        "sun_hours_min": "6",
        "sun_hours_ideal": "8",
        "frost_tolerance": "tender",
        "hardiness_zone_min": "",
        "weeks_start_indoors_before_last_frost": "6",
        "weeks_transplant_after_last_frost": "1",
        "weeks_direct_sow_after_last_frost": "",
        "weeks_fall_sowing_before_first_frost": "",
        "days_to_maturity_min": "60",
        "days_to_maturity_max": "85",
        "maturity_from": "transplant",
        "spacing_cm": "60",
        "height_cm": "150",
        "source": tomato.source,
        "source_url": tomato.source_url,
    }
    response = admin_client.post(url, form)
    assert response.status_code == 200  # the form again, with errors
    body = response.content.decode()
    assert "Required for perennials." in body
    assert "A minimum of 6 h of sun a day is Full sun (6 h or more); pick that or change the hours." in body
    tomato.refresh_from_db()
    assert (tomato.life_cycle, tomato.light) == ("annual", "full_sun")

    response = admin_client.post(url, {**form, "life_cycle": "annual", "light": "full_sun", "notes": "Ours."})
    assert response.status_code == 302
    tomato.refresh_from_db()
    assert tomato.notes == "Ours."
