import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from roleplay.models import (
    DoNotPair,
    Message,
    Pairing,
    PairingMember,
    PairingRole,
    Role,
    Round,
    RoundStatus,
    Scenario,
)
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange, round_publish
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory, UserFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def four(cohort):
    return [MembershipFactory(cohort=cohort, role=Role.TRAINEE).user for _ in range(4)]


@pytest.fixture
def round_(cohort):
    return RoundFactory(cohort=cohort, name="Round A")


def _publish(round_, pairs, scenario=None, client_chooses=False):
    arrangement = Arrangement()
    for slot, (client_user, therapist) in enumerate(pairs):
        arrangement.members[client_user.pk] = (str(slot), PairingRole.CLIENT)
        arrangement.members[therapist.pk] = (str(slot), PairingRole.THERAPIST)
        arrangement.options[str(slot)] = SlotOptions(
            scenario=scenario, client_chooses=client_chooses
        )
    round_arrange(round_=round_, arrangement=arrangement)
    round_publish(round_=round_)


def test_supervisor_creates_a_round_in_their_own_time_zone(client, supervisor, cohort):
    supervisor.time_zone = "America/New_York"
    supervisor.save()
    starter = Scenario.objects.filter(owner=None).first()
    client.force_login(supervisor)
    response = client.post(
        reverse("round_create", args=[cohort.pk]),
        {
            "name": "Round 1",
            "opens": "2027-03-01T09:00",
            "closes": "2027-03-14T17:00",
            "session_minutes": "50",
            "guard_hours": "24",
            "buffer_minutes": "15",
            "max_per_day": "2",
            "max_per_week": "5",
            "scenarios": [starter.pk],
        },
        follow=True,
    )
    round_ = Round.objects.get()
    assert "Round 1 is created. Next, pair the trainees." in text_of(response)
    assert round_.opens == datetime(2027, 3, 1, 14, 0, tzinfo=UTC)
    assert list(round_.scenarios.all()) == [starter]


def test_round_form_explains_bad_input(client, supervisor, cohort):
    client.force_login(supervisor)
    response = client.post(
        reverse("round_create", args=[cohort.pk]),
        {
            "name": "R",
            "opens": "2027-03-14T09:00",
            "closes": "2027-03-01T09:00",
            "session_minutes": "5",
        },
    )
    page = text_of(response)
    assert "Booking must close after it opens." in page
    assert "Ensure this value is greater than or equal to 10." in page
    assert not Round.objects.exists()


def test_starter_scenarios_ship_with_dyad():
    starters = Scenario.objects.filter(owner=None, shared=True)
    assert starters.count() == 8
    assert sorted({s.difficulty for s in starters}) == [1, 2, 3]


def test_suggest_then_accept_then_publish(client, supervisor, round_, four):
    client.force_login(supervisor)
    page = text_of(client.post(reverse("round_suggest", args=[round_.pk])))
    assert "Suggested pairs" in page and "Nothing is saved yet." in page
    assert not Pairing.objects.exists()

    payload = page.split('name="groups" value="')[1].split('"')[0].replace("&quot;", '"')
    response = client.post(
        reverse("round_accept", args=[round_.pk]), {"groups": payload}, follow=True
    )
    assert "2 pairings saved." in text_of(response)
    assert PairingMember.objects.filter(round=round_).count() == 4

    response = client.post(reverse("round_publish", args=[round_.pk]), follow=True)
    assert "Published. A notice of their pairing is queued for 4 trainees." in text_of(response)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    assert Message.objects.count() == 4


def test_accept_refuses_a_forged_suggestion(client, supervisor, cohort, round_, four):
    a, b, c, d = four
    DoNotPair.objects.create(
        cohort=cohort,
        trainee_a=min(a, b, key=lambda u: u.pk),
        trainee_b=max(a, b, key=lambda u: u.pk),
        created_by=supervisor,
    )
    client.force_login(supervisor)
    forged = json.dumps([[a.pk, b.pk, None], [c.pk, d.pk, None]])
    response = client.post(
        reverse("round_accept", args=[round_.pk]), {"groups": forged}, follow=True
    )
    assert "may not be paired (a do-not-pair constraint)" in text_of(response)
    response = client.post(
        reverse("round_accept", args=[round_.pk]), {"groups": "[[1,"}, follow=True
    )
    assert "That suggestion could not be read" in text_of(response)
    assert not Pairing.objects.exists()


def test_the_one_page_editor_moves_people_and_forms_a_triad(
    client, supervisor, cohort, round_, four
):
    a, b, c, d = four
    e = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    client.force_login(supervisor)
    data = {
        f"slot_{a.pk}": "1",
        f"role_{a.pk}": "client",
        f"slot_{b.pk}": "1",
        f"role_{b.pk}": "therapist",
        f"slot_{c.pk}": "2",
        f"role_{c.pk}": "client",
        f"slot_{d.pk}": "2",
        f"role_{d.pk}": "therapist",
        f"slot_{e.pk}": "2",
        f"role_{e.pk}": "observer",
        "locked_1": "on",
    }
    response = client.post(reverse("round_arrange", args=[round_.pk]), data, follow=True)
    assert "Pairings saved." in text_of(response)
    triad = Pairing.objects.get(members__trainee=e)
    assert triad.members.count() == 3
    assert Pairing.objects.get(members__trainee=a).locked

    data[f"role_{a.pk}"] = "therapist"
    response = client.post(reverse("round_arrange", args=[round_.pk]), data, follow=True)
    assert "needs exactly one client" in text_of(response)


def test_marking_absence_from_the_round_page(client, supervisor, round_, four):
    client.force_login(supervisor)
    response = client.post(
        reverse("round_absence", args=[round_.pk]),
        {"trainee": four[0].pk, "absent": "1"},
        follow=True,
    )
    assert f"{four[0].name} is absent from Round A." in text_of(response)


def test_do_not_pair_page(client, supervisor, cohort, four):
    a, b = four[:2]
    client.force_login(supervisor)
    url = reverse("do_not_pair", args=[cohort.pk])
    response = client.post(
        url, {"trainee_a": a.pk, "trainee_b": b.pk, "reason": "Housemates"}, follow=True
    )
    assert "Suggestions will never pair these two." in text_of(response)
    assert "Housemates" in text_of(response)
    response = client.post(url, {"trainee_a": a.pk, "trainee_b": a.pk})
    assert "Choose two different trainees." in text_of(response)


@pytest.mark.parametrize("url_name", ["round_detail", "round_edit"])
def test_trainees_cannot_open_round_pages(client, round_, four, url_name):
    client.force_login(four[0])
    assert client.get(reverse(url_name, args=[round_.pk])).status_code == 404


def test_trainee_sees_their_pairings_and_what_to_do(client, cohort, round_, four):
    a, b, c, d = four
    scenario = ScenarioFactory(title="The empty chair")
    _publish(round_, [(a, b), (c, d)], scenario=scenario)
    client.force_login(a)
    page = text_of(client.get(reverse("my_pairings")))
    assert "Round A" in page and b.name in page and "The empty chair" in page
    assert c.name not in page


@pytest.mark.parametrize("rounds", [1, 3])
def test_my_pairings_query_count_is_bounded(
    client, cohort, four, rounds, django_assert_num_queries
):
    a, b, c, d = four
    for _ in range(rounds):
        _publish(RoundFactory(cohort=cohort), [(a, b), (c, d)], scenario=ScenarioFactory())
    client.force_login(a)
    with django_assert_num_queries(6):
        response = client.get(reverse("my_pairings"))
    assert text_of(response).count("/pairings/") >= rounds


def test_draft_pairings_stay_hidden_from_trainees(client, round_, four):
    a, b = four[:2]
    round_arrange(
        round_=round_,
        arrangement=Arrangement(members={a.pk: ("x", "client"), b.pk: ("x", "therapist")}),
    )
    pairing = Pairing.objects.get()
    client.force_login(a)
    assert client.get(reverse("pairing_detail", args=[pairing.pk])).status_code == 404
    assert "No pairings yet." in text_of(client.get(reverse("my_pairings")))


def test_the_client_chooses_from_the_rounds_set(client, round_, four):
    a, b, c, d = four
    chosen = ScenarioFactory(title="Half a flat of furniture")
    round_.scenarios.set([chosen])
    _publish(round_, [(a, b), (c, d)], client_chooses=True)
    pairing = Pairing.objects.get(members__trainee=a)
    client.force_login(a)
    page = text_of(client.get(reverse("pairing_detail", args=[pairing.pk])))
    assert "lets you, the client, choose" in page
    response = client.post(
        reverse("pairing_detail", args=[pairing.pk]), {"scenario": chosen.pk}, follow=True
    )
    assert "You will play “Half a flat of furniture”." in text_of(response)
    assert "SECRET-BRIEF" in text_of(response)

    client.force_login(b)
    page = text_of(client.get(reverse("pairing_detail", args=[pairing.pk])))
    assert "Half a flat of furniture" in page and "SECRET-BRIEF" not in page
    assert "lets you, the client, choose" not in page


def test_scenario_library_for_supervisors_only(client, supervisor, trainee):
    client.force_login(supervisor)
    response = client.post(
        reverse("scenario_create"),
        {
            "title": "Mine",
            "presenting_concern": "Worry",
            "difficulty": "2",
            "skills": ["summarising"],
            "intake_summary": "Intake",
            "client_brief": "Brief",
        },
        follow=True,
    )
    assert "“Mine” is saved." in text_of(response)
    mine = Scenario.objects.get(title="Mine")
    assert mine.owner == supervisor and not mine.shared
    assert "Mine" in text_of(client.get(reverse("scenario_list")))

    other = UserFactory(is_supervisor=True)
    client.force_login(other)
    assert client.get(reverse("scenario_detail", args=[mine.pk])).status_code == 404
    client.force_login(trainee)
    assert client.get(reverse("scenario_list")).status_code == 404


def test_a_shared_scenario_can_be_read_but_not_edited_by_others(client, supervisor):
    starter = Scenario.objects.filter(owner=None).first()
    client.force_login(supervisor)
    assert starter.title in text_of(client.get(reverse("scenario_detail", args=[starter.pk])))
    assert client.get(reverse("scenario_edit", args=[starter.pk])).status_code == 403


def test_closing_a_round_keeps_its_pairings_as_past(client, supervisor, round_, four):
    a, b, c, d = four
    client.force_login(supervisor)
    response = client.post(reverse("round_close", args=[round_.pk]), follow=True)
    assert "Only a published round can be closed." in text_of(response)
    _publish(round_, [(a, b), (c, d)])
    response = client.post(reverse("round_close", args=[round_.pk]), follow=True)
    assert "Round A is closed; its pairings are now in the record." in text_of(response)
    client.force_login(a)
    assert "(" + round_.cohort.name + ", past)" in text_of(client.get(reverse("my_pairings")))


def test_supervisor_edits_a_rounds_booking_rules(client, supervisor, round_):
    client.force_login(supervisor)
    response = client.post(
        reverse("round_edit", args=[round_.pk]),
        {
            "name": "Round A (moved)",
            "opens": "2027-04-01T09:00",
            "closes": "2027-04-20T17:00",
            "session_minutes": "45",
            "guard_hours": "12",
            "buffer_minutes": "30",
            "max_per_day": "1",
            "max_per_week": "3",
        },
        follow=True,
    )
    assert "The round is saved." in text_of(response)
    round_.refresh_from_db()
    assert (round_.name, round_.session_minutes, round_.guard_hours, round_.max_per_day) == (
        "Round A (moved)",
        45,
        12,
        1,
    )
