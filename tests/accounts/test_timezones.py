"""Time zones: the canonical ones offered, grouped by region; every valid IANA name accepted;
sign-up forms let the browser preselect its zone, falling back to the cohort's."""

import re

import pytest
from django.urls import reverse

from accounts import timezones
from roleplay.services.invitations import invitation_token
from tests.factories import InvitationFactory, UserFactory


def options(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', page)


def test_aliases_are_not_offered_but_the_canonical_zones_are():
    offered = timezones.canonical_timezones()
    assert {"US/Eastern", "Etc/GMT+5", "Asia/Calcutta", "GB", "localtime"} & offered == set()
    assert {"UTC", "Europe/London", "America/New_York", "Asia/Kolkata"} <= offered
    assert 350 < len(offered) < 450


def test_zones_are_grouped_by_region_after_utc():
    choices = timezones.grouped_timezone_choices()
    assert choices[0] == ("UTC", "UTC")
    regions = dict(choices[1:])
    assert list(regions) == [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
    assert ("Europe/London", "London") in regions["Europe"]
    assert ("America/Argentina/Buenos_Aires", "Argentina/Buenos Aires") in regions["America"]


@pytest.mark.django_db
def test_the_profile_offers_grouped_canonical_zones(client):
    client.force_login(UserFactory(time_zone="Europe/London"))
    page = client.get(reverse("profile")).content.decode()
    assert '<optgroup label="Europe">' in page
    assert '<option value="Europe/London" selected>London</option>' in page
    assert "US/Eastern" not in options(page)
    assert len(options(page)) == len(timezones.canonical_timezones())


@pytest.mark.django_db
def test_a_valid_alias_is_still_accepted_and_shown(client):
    user = UserFactory(time_zone="Europe/London")
    client.force_login(user)
    response = client.post(
        reverse("profile"), {"display_name": "Al", "time_zone": "US/Eastern"}, follow=True
    )
    assert "Your profile is saved." in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "US/Eastern"
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in page


@pytest.mark.django_db
def test_the_invitation_form_falls_back_to_the_cohorts_zone_and_lets_the_browser_choose(
    client, cohort
):
    cohort.time_zone = "Europe/Dublin"
    cohort.save(update_fields=["time_zone"])
    url = reverse("invitation_accept", args=[invitation_token(InvitationFactory(cohort=cohort))])
    page = client.get(url).content.decode()
    assert re.search(r'<select name="time_zone" data-guess-zone="" id="id_time_zone">', page)
    assert '<option value="Europe/Dublin" selected>Dublin</option>' in page
    assert re.search(r'<script src="/static/js/timezone[.\w]*js" defer></script>', page)

    # Sent back with an error, what was chosen stays: the browser must not change it.
    page = client.post(url, {"display_name": "", "time_zone": "Asia/Tokyo"}).content.decode()
    assert "data-guess-zone" not in page
    assert '<option value="Asia/Tokyo" selected>Tokyo</option>' in page


@pytest.mark.django_db
def test_open_sign_up_lets_the_browser_choose_the_zone(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'data-guess-zone=""' in page
    assert '<option value="UTC" selected>UTC</option>' in page
