"""The feedback form's radio scales are rendered in Python (roleplay.feedback_forms.RadioSelect)
for speed: the markup must stay exactly what Django's radio templates render."""

import pytest
from django import forms

from roleplay.feedback_forms import RadioSelect

CHOICES = [
    ("1", "1 · Not at all"),
    ("2", 'Somewhat <"quoted"> & more'),
    ("3", "3 · Completely"),
    ("na", "Not applicable"),
]


@pytest.mark.parametrize("value", [None, "", "2", "na", "absent"])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_item_heard"}, {"id": "id_x", "required": True, "class": "scale"}],
)
def test_renders_what_djangos_templates_render(value, attrs):
    ours = RadioSelect(choices=CHOICES).render("item_heard", value, attrs=attrs)
    django = forms.RadioSelect(choices=CHOICES).render("item_heard", value, attrs=attrs)
    assert ours == django


def test_grouped_choices_fall_back_to_the_templates():
    grouped = [("Low", [("1", "One"), ("2", "Two")]), ("High", [("5", "Five")])]
    ours = RadioSelect(choices=grouped).render("g", "2", attrs={"id": "id_g"})
    assert ours == forms.RadioSelect(choices=grouped).render("g", "2", attrs={"id": "id_g"})
    assert "<label>Low</label>" in ours


def test_a_bound_field_keeps_the_radioselect_widget_type():
    class Form(forms.Form):
        item = forms.ChoiceField(choices=CHOICES, widget=RadioSelect)

    assert Form()["item"].widget_type == "radioselect"
