"""My availability: two forms on one page that keep apart, several weekdays at once, and a block
that can be changed."""

import re
from collections import Counter
from datetime import time

import pytest
from django.urls import reverse

from roleplay.models import WeeklyHours
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def label_target(page: str, label: str) -> str:
    """The opening tag of the control that the <label> with this text is for."""
    (target,) = re.findall(rf'<label for="([^"]+)">{re.escape(label)}\b', page)
    (tag,) = re.findall(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(target)}"[^>]*>', page)
    return tag


def test_each_label_on_the_availability_page_names_its_own_forms_field(client):
    client.force_login(UserFactory())
    page = client.get(reverse("my_availability")).content.decode()
    ids = Counter(re.findall(r'\bid="([^"]+)"', page))
    assert [i for i, count in ids.items() if count > 1] == []
    assert 'name="away-start"' in label_target(page, "Away from")
    assert 'name="away-end"' in label_target(page, "Back at")
    assert 'name="weekly-start"' in label_target(page, "From")
    assert 'name="weekly-end"' in label_target(page, "Until")


def test_weekly_hours_are_added_on_several_weekdays_in_one_go(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("my_availability"),
        {
            "weekly": "1",
            "weekly-weekdays": ["0", "1", "2", "3", "4"],
            "weekly-start": "09:00",
            "weekly-end": "17:00",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Added to your weekly availability: Monday 09:00–17:00, Tuesday 09:00–17:00" in page
    assert [str(h) for h in WeeklyHours.objects.filter(user=user)] == [
        f"{day} 09:00–17:00" for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    ]


def test_weekly_hours_without_a_day_are_refused_on_the_days_field(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("my_availability"),
        {"weekly": "1", "weekly-start": "09:00", "weekly-end": "17:00"},
    )
    errors = re.search(
        r'id="id_weekly-weekdays_errors">(.*?)</div>', response.content.decode(), re.S
    )
    assert "This field is required." in errors.group(1)
    assert not WeeklyHours.objects.exists()


def test_a_weekly_block_is_changed_from_its_own_page(client):
    user = UserFactory()
    block = WeeklyHours.objects.create(user=user, weekday=0, start=time(9), end=time(12))
    client.force_login(user)
    page = client.get(reverse("my_availability")).content.decode()
    assert f'href="{reverse("weekly_hours_change", args=[block.pk])}"' in page
    response = client.post(
        reverse("weekly_hours_change", args=[block.pk]),
        {"weekday": "2", "start": "13:00", "end": "18:30"},
        follow=True,
    )
    assert "Changed to Wednesday 13:00–18:30." in response.content.decode()
    block.refresh_from_db()
    assert str(block) == "Wednesday 13:00–18:30"


def test_a_changed_block_must_still_end_after_it_starts(client):
    user = UserFactory()
    block = WeeklyHours.objects.create(user=user, weekday=0, start=time(9), end=time(12))
    client.force_login(user)
    response = client.post(
        reverse("weekly_hours_change", args=[block.pk]),
        {"weekday": "0", "start": "12:00", "end": "09:00"},
    )
    assert "End after the start" in response.content.decode()
    block.refresh_from_db()
    assert str(block) == "Monday 09:00–12:00"


def test_someone_elses_block_cannot_be_changed(client):
    block = WeeklyHours.objects.create(user=UserFactory(), weekday=0, start=time(9), end=time(10))
    client.force_login(UserFactory())
    url = reverse("weekly_hours_change", args=[block.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"weekday": "1", "start": "09:00", "end": "10:00"}).status_code == 404
    block.refresh_from_db()
    assert str(block) == "Monday 09:00–10:00"


def test_a_cohorts_allowed_hours_are_added_on_several_weekdays(client, supervisor, cohort):
    client.force_login(supervisor)
    client.post(
        reverse("cohort_booking_settings", args=[cohort.pk]),
        {"hours": "1", "weekdays": ["5", "6"], "start": "10:00", "end": "14:00"},
    )
    assert [str(h) for h in WeeklyHours.objects.filter(cohort=cohort)] == [
        "Saturday 10:00–14:00",
        "Sunday 10:00–14:00",
    ]
