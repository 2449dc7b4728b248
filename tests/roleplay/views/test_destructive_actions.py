"""Closing a round, cancelling a session and removing a member each ask first; a closed round can
be reopened, reads as closed to trainees and cannot be changed until it is."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from roleplay.models import (
    CohortMembership,
    PairingMember,
    Role,
    RoundAbsence,
    RoundStatus,
    Session,
    SessionStatus,
)
from roleplay.services import booking
from roleplay.services.pairing import ArrangementRefused
from roleplay.services.rounds import round_update
from tests.factories import MembershipFactory
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def text_of(response) -> str:
    return response.content.decode()


def buttons(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", b).strip() for b in re.findall(r"<button[^>]*>(.*?)</button>", page)
    ]


@pytest.fixture
def published(pair):
    pairing, ana, ben = pair
    return pairing.round, pairing, ana, ben


def test_closing_a_round_asks_first_and_says_what_happens(client, supervisor, published):
    round_, *_ = published
    client.force_login(supervisor)
    round_page = text_of(client.get(reverse("round_detail", args=[round_.pk])))
    assert f'href="{reverse("round_close", args=[round_.pk])}"' in round_page
    assert "Close this round…" in round_page

    page = text_of(client.get(reverse("round_close", args=[round_.pk])))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    assert "<h1>Close Round A?</h1>" in page
    assert "No new sessions can be booked" in page
    assert buttons(page)[-1] == "Close Round A"

    response = client.post(reverse("round_close", args=[round_.pk]), follow=True)
    assert "Round A is closed; its pairings are now in the record." in text_of(response)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED


def test_a_closed_round_is_read_only_and_refuses_changes(client, supervisor, published):
    round_, pairing, ana, _ = published
    round_.status = RoundStatus.CLOSED
    round_.save()
    client.force_login(supervisor)
    page = text_of(client.get(reverse("round_detail", args=[round_.pk])))
    assert "This round is closed." in page
    assert buttons(page) == ["Reopen this round"]
    assert "Ana (client), Ben (therapist)" in page

    response = client.post(
        reverse("round_arrange", args=[round_.pk]),
        {f"slot_{ana.pk}": "1", f"role_{ana.pk}": "client"},
        follow=True,
    )
    assert "Round A is closed; reopen it to change it." in text_of(response)
    assert PairingMember.objects.filter(pairing=pairing).count() == 2
    response = client.post(
        reverse("round_absence", args=[round_.pk]), {"trainee": ana.pk, "absent": "1"}, follow=True
    )
    assert "Round A is closed; reopen it to change it." in text_of(response)
    assert not RoundAbsence.objects.filter(round=round_, trainee=ana).exists()
    response = client.post(reverse("round_suggest", args=[round_.pk]), follow=True)
    assert "Round A is closed; reopen it to change it." in text_of(response)


def test_reopening_a_closed_round(client, supervisor, published, caplog):
    round_, *_ = published
    round_.status = RoundStatus.CLOSED
    round_.save()
    client.force_login(supervisor)
    with caplog.at_level("INFO", logger="roleplay.services.pairing"):
        response = client.post(reverse("round_reopen", args=[round_.pk]), follow=True)
    assert "Round A is open again: trainees can book until the window closes." in text_of(response)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED
    assert f"round {round_.pk} reopened by user {supervisor.pk}" in caplog.text

    response = client.post(reverse("round_reopen", args=[round_.pk]), follow=True)
    assert "Only a closed round can be reopened." in text_of(response)


def test_trainees_cannot_reopen(client, published):
    round_, _, ana, _ = published
    round_.status = RoundStatus.CLOSED
    round_.save()
    client.force_login(ana)
    assert client.post(reverse("round_reopen", args=[round_.pk])).status_code == 404
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED


def test_a_trainee_reads_that_a_closed_round_is_closed(client, published):
    round_, pairing, ana, _ = published
    round_.status = RoundStatus.CLOSED
    round_.save()
    client.force_login(ana)
    page = text_of(client.get(reverse("pairing_detail", args=[pairing.pk])))
    assert "This round is closed: no more sessions are booked in it." in page
    assert "Booking opens when the round is published." not in page
    assert "Agree a time with your partner" not in page


def test_cancelling_a_session_asks_first(client, published):
    _, pairing, ana, ben = published
    session = booking.session_propose(pairing=pairing, proposer=ana, start=NOW + timedelta(days=3))
    client.force_login(ana)
    detail = text_of(client.get(reverse("session_detail", args=[session.pk])))
    assert f'href="{reverse("session_cancel", args=[session.pk])}"' in detail
    assert "Cancel the session…" in detail

    page = text_of(client.get(reverse("session_cancel", args=[session.pk])))
    session.refresh_from_db()
    assert session.status == SessionStatus.PROPOSED
    assert "<h1>Cancel the session of Thursday 4 March, 09:00?</h1>" in page
    assert f"{ben.name} will be told, with your reason." in page

    response = client.post(reverse("session_cancel", args=[session.pk]), {"reason": ""})
    assert "Say why the session is cancelled; your partners will see it." in text_of(response)
    response = client.post(
        reverse("session_cancel", args=[session.pk]), {"reason": "Exams"}, follow=True
    )
    assert "The session is cancelled; a notice is queued for your partners." in text_of(response)
    assert Session.objects.get().status == SessionStatus.CANCELLED


def test_removing_a_member_asks_first(client, supervisor, cohort):
    membership = MembershipFactory(cohort=cohort, role=Role.TRAINEE)
    client.force_login(supervisor)
    page = text_of(client.get(reverse("member_remove", args=[cohort.pk, membership.pk])))
    assert f"Remove {membership.user.name} from {cohort.name}?" in page
    assert CohortMembership.objects.active().filter(pk=membership.pk).exists()


def test_a_closed_rounds_rules_cannot_be_edited(published):
    round_, *_ = published
    round_.status = RoundStatus.CLOSED
    round_.save()
    with pytest.raises(ArrangementRefused) as refused:
        round_update(round_=round_, guard_hours=2)
    assert refused.value.errors == ["Round A is closed; reopen it to change it."]
    round_.refresh_from_db()
    assert round_.guard_hours == 24
