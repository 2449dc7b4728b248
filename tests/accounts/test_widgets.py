"""QuickSelectMixin writes the very markup Django's select templates write, only faster."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect

from accounts.models import User
from accounts.timezones import TimeZoneField, TimeZoneSelect, grouped_timezone_choices
from accounts.widgets import QuickSelect
from roleplay.admin import LoadedAutocompleteSelect
from roleplay.models import CohortMembership
from tests.factories import UserFactory


class TemplateTimeZoneSelect(TimeZoneSelect):
    """The same widget rendered the ordinary way, through Django's templates."""

    def render(self, name, value, attrs=None, renderer=None):
        return forms.Select.render(self, name, value, attrs, renderer)


CHOICES = [
    ("", "---------"),
    ("a&b", 'Tom & "Jerry" <x>'),
    ("Europe", [("Europe/London", "London"), ("Europe/Paris", "Paris")]),
    (3, 3),
]


@pytest.mark.parametrize("value", [None, "", "a&b", "Europe/Paris", 3, "not offered"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "required": True, "disabled": False, "data-x": 'q"<'}]
)
def test_a_quick_select_writes_what_the_templates_write(value, attrs):
    quick = QuickSelect(choices=CHOICES, attrs={"class": "wide"})
    ordinary = forms.Select(choices=CHOICES, attrs={"class": "wide"})
    assert quick.render("x", value, attrs) == ordinary.render("x", value, attrs)


@pytest.mark.parametrize("value", ["UTC", "Europe/London", "US/Eastern", "Mars/Base"])
def test_the_time_zone_select_is_unchanged_but_for_speed(value):
    quick = TimeZoneSelect(choices=grouped_timezone_choices())
    ordinary = TemplateTimeZoneSelect(choices=grouped_timezone_choices())
    html = quick.render("time_zone", value, {"id": "id_time_zone", "data-guess-zone": ""})
    assert html == ordinary.render(
        "time_zone", value, {"id": "id_time_zone", "data-guess-zone": ""}
    )
    assert html.count("<option") >= 400


def test_a_bound_time_zone_field_renders_its_choice_selected():
    class Form(forms.Form):
        time_zone = TimeZoneField()

    html = str(Form({"time_zone": "US/Eastern"})["time_zone"])
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in html


@pytest.mark.django_db
def test_the_admins_autocomplete_box_writes_what_the_templates_write():
    ana = UserFactory(display_name="Ana & <Co>")
    db_field = CohortMembership._meta.get_field("user")
    quick = forms.ModelChoiceField(
        User.objects.all(), widget=LoadedAutocompleteSelect(db_field, admin.site)
    )
    ordinary = forms.ModelChoiceField(
        User.objects.all(), widget=AutocompleteSelect(db_field, admin.site)
    )
    for value in (None, ana.pk):
        html = quick.widget.render("user", value, {"id": "id_user"})
        assert html == ordinary.widget.render("user", value, {"id": "id_user"})
