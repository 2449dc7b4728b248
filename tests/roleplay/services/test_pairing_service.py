from datetime import timedelta

import pytest
from django.core import mail

from roleplay.models import Message, MessageKind, PairingMember, PairingRole, Role, RoundStatus
from roleplay.services import notify
from roleplay.services.pairing import (
    Arrangement,
    ArrangementRefused,
    PairingImpossible,
    SlotOptions,
    pairings_accept,
    pairings_suggest,
    round_arrange,
    round_publish,
)
from roleplay.services.pairing_algorithm import Group
from roleplay.services.rounds import absence_set, do_not_pair_add
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainees(cohort):
    return [MembershipFactory(cohort=cohort, role=Role.TRAINEE).user for _ in range(5)]


@pytest.fixture
def round_(cohort):
    return RoundFactory(cohort=cohort, name="Round A")


def test_suggestions_pair_everyone_present_with_one_triad_for_an_odd_number(round_, trainees):
    groups = pairings_suggest(round_=round_)
    placed = [m for g in groups for m in (g.client, g.therapist, g.observer) if m]
    assert sorted(placed) == sorted(t.pk for t in trainees)
    assert sorted(g.observer is not None for g in groups) == [False, True]
    assert not PairingMember.objects.exists()  # nothing saved until accepted


def test_absent_trainees_are_not_paired(round_, trainees):
    absence_set(round_=round_, trainee=trainees[0], absent=True, reason="Leave")
    groups = pairings_suggest(round_=round_)
    placed = {m for g in groups for m in (g.client, g.therapist, g.observer) if m}
    assert trainees[0].pk not in placed
    assert len(groups) == 2 and all(g.observer is None for g in groups)


def test_an_impossible_do_not_pair_is_explained(cohort, supervisor, round_):
    a, b = (MembershipFactory(cohort=cohort, role=Role.TRAINEE).user for _ in range(2))
    do_not_pair_add(
        cohort=cohort, trainee_a=a, trainee_b=b, reason="Housemates", created_by=supervisor
    )
    with pytest.raises(PairingImpossible) as raised:
        pairings_suggest(round_=round_)
    assert a.name in str(raised.value) and b.name in str(raised.value)


def _arrangement(*groups, options=None) -> Arrangement:
    arrangement = Arrangement(options=options or {})
    for slot, members in enumerate(groups):
        for user, role in members:
            arrangement.members[user.pk] = (str(slot), role)
    return arrangement


def test_the_supervisor_arrangement_refuses_do_not_pair(cohort, supervisor, round_, trainees):
    a, b = trainees[:2]
    do_not_pair_add(
        cohort=cohort, trainee_a=a, trainee_b=b, reason="Partners", created_by=supervisor
    )
    with pytest.raises(ArrangementRefused) as raised:
        round_arrange(
            round_=round_,
            arrangement=_arrangement([(a, PairingRole.CLIENT), (b, PairingRole.THERAPIST)]),
        )
    assert raised.value.errors == [
        f"{min(a, b, key=lambda u: u.pk).name} and {max(a, b, key=lambda u: u.pk).name} "
        "may not be paired (a do-not-pair constraint)."
    ]


def test_the_arrangement_needs_one_client_and_one_therapist(round_, trainees):
    a, b = trainees[:2]
    with pytest.raises(ArrangementRefused) as raised:
        round_arrange(
            round_=round_,
            arrangement=_arrangement([(a, PairingRole.CLIENT), (b, PairingRole.CLIENT)]),
        )
    assert any("needs exactly one therapist" in e for e in raised.value.errors)


def test_repeats_and_unbalanced_roles_are_warned_not_refused(cohort, trainees):
    a, b, c, d, e = trainees
    first = RoundFactory(cohort=cohort)
    round_arrange(
        round_=first,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")], [(c, "client"), (d, "therapist"), (e, "observer")]
        ),
    )
    round_publish(round_=first)
    second = RoundFactory(
        cohort=cohort,
        opens=first.opens + timedelta(days=20),
        closes=first.closes + timedelta(days=30),
    )
    warnings = round_arrange(
        round_=second,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")], [(c, "therapist"), (d, "client"), (e, "observer")]
        ),
    )
    assert f"{a.name} and {b.name} have practised together before." in warnings
    assert f"{a.name} would have been client two more times than therapist." in warnings


def test_publishing_tells_each_trainee_their_partner_role_and_scenario(
    round_, trainees, django_capture_on_commit_callbacks
):
    scenario = ScenarioFactory(title="The empty chair")
    a, b, c, d, e = trainees
    round_arrange(
        round_=round_,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")],
            [(c, "client"), (d, "therapist"), (e, "observer")],
            options={"0": SlotOptions(scenario=scenario), "1": SlotOptions(client_chooses=True)},
        ),
    )
    with django_capture_on_commit_callbacks() as queued:
        assert round_publish(round_=round_) == 5
    assert len(queued) == 5
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED

    message = Message.objects.get(recipient=a)
    assert message.kind == MessageKind.PAIRING_PUBLISHED
    assert message.subject == "Round A: you are the client"
    assert f"with {b.name} (therapist)" in message.body
    assert "Scenario: The empty chair." in message.body
    assert "SECRET" not in message.body
    assert "chooses the scenario" in Message.objects.get(recipient=e).body

    for message_id in Message.objects.values_list("pk", flat=True):
        assert notify.message_send(message_id=message_id) is True
        assert notify.message_send(message_id=message_id) is False
    assert len(mail.outbox) == 5


def test_unpaired_trainees_block_publishing(round_, trainees):
    a, b = trainees[:2]
    round_arrange(round_=round_, arrangement=_arrangement([(a, "client"), (b, "therapist")]))
    with pytest.raises(ArrangementRefused, match="Everyone present must be in a pairing first"):
        round_publish(round_=round_)


def test_editing_a_published_round_notifies_only_those_affected(round_, trainees):
    a, b, c, d, e = trainees
    round_arrange(
        round_=round_,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")], [(c, "client"), (d, "therapist"), (e, "observer")]
        ),
    )
    round_publish(round_=round_)
    slots = {m.trainee_id: str(m.pairing_id) for m in PairingMember.objects.filter(round=round_)}
    arrangement = Arrangement(
        members={
            a.pk: (slots[a.pk], "therapist"),
            b.pk: (slots[b.pk], "client"),
            c.pk: (slots[c.pk], "client"),
            d.pk: (slots[d.pk], "therapist"),
            e.pk: (slots[e.pk], "observer"),
        }
    )
    round_arrange(round_=round_, arrangement=arrangement)
    changed = Message.objects.filter(kind=MessageKind.PAIRING_CHANGED)
    assert sorted(changed.values_list("recipient_id", flat=True)) == sorted([a.pk, b.pk])
    assert changed.get(recipient=a).subject == "Round A: you are the therapist"


def test_accepting_suggestions_keeps_locked_pairings(round_, trainees):
    a, b, c, d, e = trainees
    round_arrange(
        round_=round_,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")], options={"0": SlotOptions(locked=True)}
        ),
    )
    groups = pairings_suggest(round_=round_)
    assert {m for g in groups for m in (g.client, g.therapist, g.observer) if m} == {
        c.pk,
        d.pk,
        e.pk,
    }
    pairings_accept(round_=round_, groups=groups)
    assert round_.pairings.count() == 2
    assert round_.pairings.filter(locked=True).get().members.count() == 2


def test_marking_absent_removes_them_from_a_draft_pairing(round_, trainees):
    a, b, c = trainees[:3]
    round_arrange(
        round_=round_,
        arrangement=_arrangement([(a, "client"), (b, "therapist"), (c, "observer")]),
    )
    absence_set(round_=round_, trainee=a, absent=True)
    roles = dict(PairingMember.objects.filter(round=round_).values_list("trainee_id", "role"))
    assert roles == {b.pk: "therapist", c.pk: "client"}


def test_a_stable_even_cohort_meets_everyone_once_over_n_minus_1_published_rounds(cohort):
    people = [MembershipFactory(cohort=cohort, role=Role.TRAINEE).user for _ in range(6)]
    met: list[frozenset] = []
    for number in range(5):
        round_ = RoundFactory(
            cohort=cohort,
            opens=cohort.created_at + timedelta(days=7 * number + 1),
            closes=cohort.created_at + timedelta(days=7 * number + 6),
        )
        groups = pairings_suggest(round_=round_)
        pairings_accept(round_=round_, groups=groups)
        round_publish(round_=round_)
        met += [frozenset((g.client, g.therapist)) for g in groups]
        for person in people:
            roles = PairingMember.objects.filter(trainee=person).values_list("role", flat=True)
            assert abs(list(roles).count("client") - list(roles).count("therapist")) <= 1
    assert len(met) == len(set(met)) == 15


def test_a_trainee_who_joins_mid_term_is_paired_from_the_next_round(cohort, round_, trainees):
    groups = pairings_suggest(round_=round_)
    pairings_accept(round_=round_, groups=groups)
    round_publish(round_=round_)
    joiner = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    later = RoundFactory(
        cohort=cohort,
        opens=round_.opens + timedelta(days=14),
        closes=round_.closes + timedelta(days=14),
    )
    placed = {
        m for g in pairings_suggest(round_=later) for m in (g.client, g.therapist, g.observer)
    }
    assert joiner.pk in placed


def test_accepting_a_forged_group_is_refused_and_locked_members_are_not_called_unpaired(
    cohort, supervisor, round_, trainees
):
    a, b, c, d, e = trainees
    round_arrange(
        round_=round_,
        arrangement=_arrangement(
            [(a, "client"), (b, "therapist")], options={"0": SlotOptions(locked=True)}
        ),
    )
    do_not_pair_add(cohort=cohort, trainee_a=c, trainee_b=d, reason="", created_by=supervisor)
    with pytest.raises(ArrangementRefused, match="do-not-pair"):
        pairings_accept(round_=round_, groups=[Group(client=c.pk, therapist=d.pk, observer=e.pk)])
    warnings = pairings_accept(round_=round_, groups=[Group(client=c.pk, therapist=e.pk)])
    assert warnings == [f"Not yet in a pairing: {d.name}."]  # a and b sit in the locked one
