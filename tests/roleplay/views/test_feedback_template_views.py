"""Supervisors build their own feedback forms from items; a form with answers gets a new version."""

import pytest
from django.urls import reverse

from roleplay.models import FeedbackTemplate
from tests.html import alerts

pytestmark = pytest.mark.django_db


def builtin(purpose="observer"):
    return FeedbackTemplate.objects.get(family=f"builtin-{purpose}", is_current=True)


def item_rows(template):
    """The item formset as the page posts it back: every stored item, and two blank rows."""
    items = list(template.items.all())
    data = {
        "items-TOTAL_FORMS": str(len(items) + 2),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data |= {
            f"items-{n}-key": item.key,
            f"items-{n}-kind": item.kind,
            f"items-{n}-prompt": item.prompt,
            f"items-{n}-minimum": "" if item.minimum is None else str(item.minimum),
            f"items-{n}-maximum": "" if item.maximum is None else str(item.maximum),
            f"items-{n}-anchors": " | ".join(item.anchors),
            f"items-{n}-choices": " | ".join(item.choices),
            f"items-{n}-subscale": item.subscale,
            f"items-{n}-parallel_key": item.parallel_key,
        } | {f"items-{n}-{flag}": "on" for flag in ("required", "scored") if getattr(item, flag)}
    for n in (len(items), len(items) + 1):
        data |= {f"items-{n}-kind": "", f"items-{n}-required": "on", f"items-{n}-scored": "on"}
    return data


def template_data(template, **changes):
    return {
        "name": template.name,
        "description": template.description,
        "licence_note": template.licence_note,
        "aggregate": template.aggregate,
        "missing_rule": template.missing_rule,
        "impute_max": str(template.impute_max),
        "thresholds_text": "",
    } | changes


def test_a_supervisor_copies_a_form_and_adds_an_item(client, supervisor, cohort):
    client.force_login(supervisor)
    page = client.get(reverse("template_list")).content.decode()
    assert "Observer: skill tallies" in page
    response = client.post(reverse("template_copy", args=[builtin().pk]))
    copy = FeedbackTemplate.objects.get(owner=supervisor)
    assert response.url == reverse("template_edit", args=[copy.pk])
    data = template_data(copy, name="Tallies plus", thresholds_text="total <= 3 discuss")
    data |= item_rows(copy)
    n = copy.items.count()
    data |= {
        f"items-{n}-key": "silences",
        f"items-{n}-kind": "count",
        f"items-{n}-prompt": "Silences held",
        f"items-{n}-minimum": "0",
        f"items-{n}-maximum": "50",
    }
    response = client.post(reverse("template_edit", args=[copy.pk]), data)
    assert alerts(response.content.decode()) == {}
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.name == "Tallies plus"
    assert copy.version == 1  # no answers yet: changed in place
    assert copy.thresholds == [{"target": "", "op": "<=", "value": "3", "label": "discuss"}]
    assert list(copy.items.values_list("key", flat=True))[-1] == "silences"
    assert builtin().items.count() == n  # the original is untouched


def test_bad_items_are_refused_beside_their_row(client, supervisor, cohort):
    client.force_login(supervisor)
    client.post(reverse("template_copy", args=[builtin().pk]))
    copy = FeedbackTemplate.objects.get(owner=supervisor)
    data = template_data(copy, thresholds_text="total is low") | item_rows(copy)
    n = copy.items.count()
    data |= {
        f"items-{n}-key": "open_questions",  # taken
        f"items-{n}-kind": "choice",
        f"items-{n}-prompt": "Which?",
        f"items-{n}-choices": "only one",
    }
    page = client.post(reverse("template_edit", args=[copy.pk]), data).content.decode()
    errors = alerts(page)
    assert errors[f"id_items-{n}-choices_errors"] == "Offer at least two choices."
    assert errors["id_thresholds_text_errors"] == (
        "Line 1: write what, a comparison (<=, <, >=, >), a number and a label."
    )
    assert copy.items.count() == n


def test_others_cannot_edit_a_supervisors_form_or_the_builtin_ones(
    client, supervisor, cohort, trainee
):
    other = FeedbackTemplate.objects.create(
        family="someone", purpose="client", name="Theirs", licence_note="x", owner=trainee
    )
    client.force_login(supervisor)
    assert client.get(reverse("template_edit", args=[builtin().pk])).status_code == 404
    assert client.get(reverse("template_edit", args=[other.pk])).status_code == 404
    client.force_login(trainee)
    assert client.get(reverse("template_list")).status_code == 404


def test_the_scenario_library_links_to_the_feedback_forms(client, supervisor, cohort):
    client.force_login(supervisor)
    page = client.get(reverse("scenario_list")).content.decode()
    assert f'<a href="{reverse("template_list")}">Feedback forms</a>' in page
