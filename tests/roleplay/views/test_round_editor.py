"""The round editor: scenario choices from the round's set, and each warning on its own row."""

from datetime import timedelta

import pytest
from django.urls import reverse

from roleplay.models import Pairing, PairingRole, Role
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange, round_publish
from roleplay.services.rounds import absence_set
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory, UserFactory
from tests.html import (
    form_fields,
    item_of,
    items_of,
    names_of_fields,
    options_of,
    row_of,
    text_by_id,
)

pytestmark = pytest.mark.django_db

CLIENT, THERAPIST, OBSERVER = PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER


def flash_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- arranging rounds ------------------------------------------------------------------------


def people(cohort, *names):
    return [
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=n)).user
        for n in names
    ]


def arrange(round_, *groups, scenarios=None, publish=False):
    """Put each group (client, therapist[, observer]) in its own pairing; everyone else in the
    cohort sits the round out."""
    arrangement = Arrangement()
    for slot, group in enumerate(groups):
        for user, role in zip(group, (CLIENT, THERAPIST, OBSERVER), strict=False):
            arrangement.members[user.pk] = (str(slot), role)
        arrangement.options[str(slot)] = SlotOptions(scenario=(scenarios or {}).get(slot))
    placed = set(arrangement.members)
    for membership in round_.cohort.memberships.filter(role=Role.TRAINEE):
        if membership.user_id not in placed:
            absence_set(round_=round_, trainee=membership.user, absent=True)
    round_arrange(round_=round_, arrangement=arrangement)
    if publish:
        round_publish(round_=round_)
    return round_


def earlier_round(cohort, *groups, scenarios=None, weeks_ago=4, publish=True):
    round_ = RoundFactory(cohort=cohort)
    round_.opens -= timedelta(weeks=weeks_ago)
    round_.save()
    return arrange(round_, *groups, scenarios=scenarios, publish=publish)


def number_of(pairing) -> int:
    """The pairing's number on the editor: its position among the round's pairings."""
    return list(Pairing.objects.filter(round=pairing.round).order_by("pk")).index(pairing) + 1


def open_editor(client, supervisor, round_):
    client.force_login(supervisor)
    return client.get(reverse("round_detail", args=[round_.pk]))


# --- scenario choices ------------------------------------------------------------------------


def test_scenario_choices_are_the_rounds_set(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    in_set = ScenarioFactory(title="Grief at work", shared=True)
    ScenarioFactory(title="Not in this round", shared=True, owner=supervisor)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([in_set])
    arrange(round_, (ana, ben))
    pairing = Pairing.objects.get(round=round_)

    response = open_editor(client, supervisor, round_)

    fields = form_fields(response.content.decode(), containing="scenario_1")
    assert number_of(pairing) == 1
    assert items_of(response, "scenario-key") == ["Grief at work (difficulty 2)"]
    assert options_of(response, "sc") == ["Grief at work (difficulty 2)"]  # what the inputs offer
    assert fields["scenario_key"].value == str(in_set.pk)
    assert (fields["scenario_1"].value, fields["scenario_2"].value) == ("", "")  # 2 is new


def test_a_scenario_already_given_stays_a_choice_after_leaving_the_set(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    old, new = (ScenarioFactory(title=t, shared=True) for t in ("Old one", "New one"))
    round_ = RoundFactory(cohort=cohort)
    arrange(round_, (ana, ben), scenarios={0: old})
    round_.scenarios.set([new])
    pairing = Pairing.objects.get(round=round_)

    response = open_editor(client, supervisor, round_)

    fields = form_fields(response.content.decode(), containing="scenario_1")
    assert items_of(response, "scenario-key") == [
        "New one (difficulty 2)",
        "Old one (difficulty 2)",
    ]
    assert fields[f"scenario_{number_of(pairing)}"].value == "2"


def test_saving_ignores_a_scenario_outside_the_rounds_set(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    in_set = ScenarioFactory(title="In the set", shared=True)
    outside = ScenarioFactory(title="Outside", shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([in_set])
    client.force_login(supervisor)
    data = {
        f"slot_{ana.pk}": "1",
        f"role_{ana.pk}": CLIENT,
        f"slot_{ben.pk}": "1",
        f"role_{ben.pk}": THERAPIST,
        "scenario_1": "1",
        "scenario_key": str(outside.pk),  # a forged key
    }

    client.post(reverse("round_arrange", args=[round_.pk]), data)
    assert Pairing.objects.get(round=round_).scenario is None

    data["scenario_key"] = f"{in_set.pk}"
    data["pairings"] = str(Pairing.objects.get(round=round_).pk)
    client.post(reverse("round_arrange", args=[round_.pk]), data)
    assert Pairing.objects.get(round=round_).scenario == in_set


# --- warnings on their rows ------------------------------------------------------------------


def test_a_repeat_pairings_warning_sits_on_that_pairing(client, supervisor, cohort):
    ana, ben, cleo, dan = people(cohort, "Ana", "Ben", "Cleo", "Dan")
    earlier_round(cohort, (ana, ben), (cleo, dan))
    round_ = RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    data = {}
    for slot, (c, t) in (("1", (ben, ana)), ("2", (dan, cleo))):
        data |= {f"slot_{c.pk}": slot, f"role_{c.pk}": CLIENT}
        data |= {f"slot_{t.pk}": slot, f"role_{t.pk}": THERAPIST}

    response = client.post(reverse("round_arrange", args=[round_.pk]), data, follow=True)

    first = Pairing.objects.get(round=round_, members__trainee=ana)
    second = Pairing.objects.get(round=round_, members__trainee=cleo)
    assert flash_messages(response) == [
        "Pairings saved. 2 warnings need a look: each is shown below, where it applies."
    ]
    assert (number_of(first), number_of(second)) == (1, 2)
    assert row_of(response, "p1").endswith("Ana and Ben have practised together before.")
    assert row_of(response, "p2").endswith("Cleo and Dan have practised together before.")
    assert "practised together" not in row_of(response, "p3")  # a new pairing's
    # Still there on the next visit, not only in the message after saving.
    again = client.get(reverse("round_detail", args=[round_.pk]))
    assert flash_messages(again) == []
    assert row_of(again, "p1").endswith("Ana and Ben have practised together before.")


def test_a_therapist_who_read_the_brief_before_is_warned_on_their_row(client, supervisor, cohort):
    ana, ben, cleo, dan = people(cohort, "Ana", "Ben", "Cleo", "Dan")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    # Ana read the brief as client in another cohort; Cleo as the observer of a triad here.
    elsewhere = RoundFactory()
    MembershipFactory(cohort=elsewhere.cohort, user=ana, role=Role.TRAINEE)
    eve = MembershipFactory(cohort=elsewhere.cohort, role=Role.TRAINEE).user
    earlier_round(elsewhere.cohort, (ana, eve), scenarios={0: grief})
    earlier_round(cohort, (ben, dan, cleo), scenarios={0: grief})
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    arrange(round_, (ben, ana), (dan, cleo), scenarios={0: grief, 1: grief})

    response = open_editor(client, supervisor, round_)

    ana_pairing = Pairing.objects.get(round=round_, members__trainee=ana)
    cleo_pairing = Pairing.objects.get(round=round_, members__trainee=cleo)
    ana_warning = "Ana has read the client brief of Grief at work before (as client)."
    cleo_warning = "Cleo has read the client brief of Grief at work before (as observer)."
    assert item_of(response, f"n{ana.pk}").endswith(ana_warning)
    assert row_of(response, f"p{number_of(ana_pairing)}").endswith(ana_warning)
    assert item_of(response, f"n{cleo.pk}").endswith(cleo_warning)
    assert row_of(response, f"p{number_of(cleo_pairing)}").endswith(cleo_warning)
    for trainee in (ben, dan):
        assert "client brief" not in item_of(response, f"n{trainee.pk}")


def test_playing_therapist_or_a_draft_round_is_not_reading_the_brief(client, supervisor, cohort):
    ana, ben, cleo, dan = people(cohort, "Ana", "Ben", "Cleo", "Dan")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    earlier_round(cohort, (ben, ana), scenarios={0: grief})  # Ana was the therapist
    earlier_round(cohort, (cleo, dan), scenarios={0: grief}, weeks_ago=2, publish=False)
    round_ = RoundFactory(cohort=cohort)
    arrange(round_, (ben, ana), (dan, cleo), scenarios={0: grief, 1: grief})

    response = open_editor(client, supervisor, round_)

    assert "client brief" not in response.content.decode()


def test_saving_warns_about_a_read_brief_on_the_scenario_row(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    earlier_round(cohort, (ana, ben), scenarios={0: grief})
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    client.force_login(supervisor)
    data = {
        f"slot_{ana.pk}": "1",
        f"role_{ana.pk}": THERAPIST,
        f"slot_{ben.pk}": "1",
        f"role_{ben.pk}": CLIENT,
        "scenario_1": "1",
        "scenario_key": str(grief.pk),
    }

    response = client.post(reverse("round_arrange", args=[round_.pk]), data, follow=True)

    pairing = Pairing.objects.get(round=round_)
    assert flash_messages(response) == [
        "Pairings saved. 2 warnings need a look: each is shown below, where it applies."
    ]
    assert row_of(response, f"p{number_of(pairing)}").endswith(
        "Ana and Ben have practised together before. "
        "Ana has read the client brief of Grief at work before (as client)."
    )


@pytest.mark.parametrize("count", [1, 3])
def test_the_editor_costs_the_same_queries_for_one_pairing_or_three(
    client, supervisor, cohort, count, django_assert_num_queries
):
    trainees = people(cohort, *(f"T{n}" for n in range(2 * count)))
    scenarios = {n: ScenarioFactory(shared=True) for n in range(count)}
    groups = [(trainees[2 * n], trainees[2 * n + 1]) for n in range(count)]
    earlier_round(cohort, *groups, scenarios=scenarios)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set(scenarios.values())
    arrange(round_, *[(t, c) for c, t in groups], scenarios=scenarios)
    client.force_login(supervisor)
    url = reverse("round_detail", args=[round_.pk])

    # Session, user and the page's reads (round, membership, pairings, members, absences,
    # trainees, choices) plus the warnings' (do-not-pair, history, briefs read), the unread count
    # and the term plan notice's: none per row. (17 before the warnings reused the page's
    # present trainees and the pairing numbers its stored pairings.)
    with django_assert_num_queries(15):
        response = client.get(url)

    assert response.content.decode().count("has read the client brief") == 2 * count


# --- numbers on the page, pairings in the database ---------------------------------------------


def test_saving_the_page_as_shown_keeps_every_pairing(client, supervisor, cohort):
    ana, ben, cleo, dan, eve = people(cohort, "Ana", "Ben", "Cleo", "Dan", "Eve")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    arrange(round_, (ana, ben), (cleo, dan, eve), scenarios={1: grief})
    before = {
        p.pk: sorted(p.members.values_list("trainee_id", "role")) for p in Pairing.objects.all()
    }
    page = open_editor(client, supervisor, round_).content.decode()
    fields = form_fields(page, containing=f"slot_{ana.pk}")
    data = {name: (f.selected[0] if f.selected else f.value) for name, f in fields.items()}
    data |= {name: "on" for name, f in fields.items() if f.checked}

    response = client.post(reverse("round_arrange", args=[round_.pk]), data, follow=True)

    assert flash_messages(response) == ["Pairings saved."]
    after = {
        p.pk: sorted(p.members.values_list("trainee_id", "role")) for p in Pairing.objects.all()
    }
    assert after == before
    assert Pairing.objects.get(members__trainee=eve).scenario == grief
    assert (fields[f"slot_{ana.pk}"].value, fields[f"slot_{eve.pk}"].value) == ("1", "2")


def test_a_pairing_number_cannot_reach_another_rounds_pairing(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    other = arrange(RoundFactory(cohort=cohort), (ana, ben))
    theirs = Pairing.objects.get(round=other)
    round_ = RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    data = {
        f"slot_{ana.pk}": "1",
        f"role_{ana.pk}": THERAPIST,
        f"slot_{ben.pk}": "1",
        f"role_{ben.pk}": CLIENT,
        "pairings": str(theirs.pk),
    }

    client.post(reverse("round_arrange", args=[round_.pk]), data)

    ours = Pairing.objects.get(round=round_)
    assert ours.pk != theirs.pk
    assert sorted(theirs.members.values_list("trainee__display_name", "role")) == [
        ("Ana", CLIENT),
        ("Ben", THERAPIST),
    ]


def test_absence_is_marked_from_one_list_of_those_present(client, supervisor, cohort):
    _, ben, _ = people(cohort, "Ana", "Ben", "Cleo")
    round_ = RoundFactory(cohort=cohort)
    absence_set(round_=round_, trainee=ben, absent=True)

    response = open_editor(client, supervisor, round_)

    assert options_of(response, "absent-trainee") == ["Ana", "Cleo"]
    assert text_by_id(response, "absentees") == "Ben absent Mark present"


# --- typed roles and scenario numbers (the page without JavaScript) ----------------------------


def test_a_role_is_read_by_its_value_or_its_label_in_any_case(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    round_ = RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    data = {f"slot_{ana.pk}": "1", f"role_{ana.pk}": " THERAPIST ", f"slot_{ben.pk}": "1"}
    data[f"role_{ben.pk}"] = "Client"

    client.post(reverse("round_arrange", args=[round_.pk]), data)

    assert sorted(Pairing.objects.get(round=round_).members.values_list("role", flat=True)) == [
        CLIENT,
        THERAPIST,
    ]


def test_a_mistyped_role_or_scenario_is_refused_and_kept_on_the_page(client, supervisor, cohort):
    """A typo must not quietly leave someone unpaired or a pairing without its scenario."""
    ana, ben = people(cohort, "Ana", "Ben")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    client.force_login(supervisor)
    data = {
        f"slot_{ana.pk}": "1",
        f"role_{ana.pk}": "Thrapist",
        f"slot_{ben.pk}": "1",
        f"role_{ben.pk}": "Client",
        "scenario_1": "2",
        "scenario_key": str(grief.pk),
    }

    response = client.post(reverse("round_arrange", args=[round_.pk]), data)

    assert response.status_code == 200
    assert not Pairing.objects.filter(round=round_).exists()
    alert = text_by_id(response, "arrange-errors")
    assert "Ana: “Thrapist” is not a role. Give client, therapist or observer." in alert
    assert "Pairing 1: there is no scenario 2 in the list." in alert
    fields = form_fields(response.content.decode(), containing=f"slot_{ben.pk}")
    assert (fields[f"slot_{ben.pk}"].value, fields[f"role_{ben.pk}"].value) == ("1", "Client")


def test_every_field_has_a_name_from_text_on_the_page(client, supervisor, cohort):
    """Rows name their fields with aria-labelledby: the trainee's name or the pairing's header,
    and the column's header."""
    ana, ben = people(cohort, "Ana", "Ben")
    round_ = RoundFactory(cohort=cohort)
    arrange(round_, (ana, ben))
    (cleo,) = people(cohort, "Cleo")  # joins after the pairing: in no pairing yet

    response = open_editor(client, supervisor, round_)

    names = names_of_fields(response)
    assert names[f"slot_{ana.pk}"] == "Ana pairing number"
    assert names[f"role_{cleo.pk}"] == "Cleo role"
    assert names["scenario_1"] == "Pairing 1 Scenario"
    assert names["locked_2"] == "Pairing 2 Locked"
    assert names["chooses_1"] == "Pairing 1 Client chooses"
    assert item_of(response, f"n{cleo.pk}") == "Cleo"  # in the row of those not in a pairing
    assert row_of(response, f"n{cleo.pk}").startswith("Not in a pairing")
