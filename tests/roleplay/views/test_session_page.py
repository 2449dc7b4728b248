"""The session page says what is practised, where, and how to join."""

from datetime import timedelta

import pytest
from django.urls import reverse

from roleplay.models import Pairing, Room, Session
from roleplay.services import booking
from tests.factories import ScenarioFactory
from tests.html import links_in, text_by_id
from tests.roleplay.booking_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

VIDEO = "https://meet.example.org/dyad-7"


@pytest.fixture
def session(pair, supervisor, cohort):
    pairing, *_ = pair
    scenario = ScenarioFactory(title="Grief at work", shared=True)
    Pairing.objects.filter(pk=pairing.pk).update(scenario=scenario)
    pairing.refresh_from_db()
    return booking.session_schedule_directly(
        pairing=pairing,
        supervisor=supervisor,
        start=NOW + timedelta(days=3),
        room=Room.objects.create(cohort=cohort, name="Room 2"),
        video_url=VIDEO,
    )


def test_the_therapist_sees_scenario_room_and_video_link_but_never_the_brief(client, pair, session):
    _, _, ben = pair  # the therapist
    client.force_login(ben)

    response = client.get(reverse("session_detail", args=[session.pk]))

    assert text_by_id(response, "session-where") == (
        f"Scenario Grief at work Room Room 2 Video link {VIDEO}"
    )
    assert links_in(response, "session-where") == [(VIDEO, VIDEO)]
    assert "SECRET-BRIEF" not in response.content.decode()
    assert "lost their job" not in response.content.decode()


def test_only_a_web_link_is_rendered_as_a_link(client, pair, session):
    _, ana, _ = pair
    Session.objects.filter(pk=session.pk).update(room=None, video_url="ftp://files.example.org/x")
    Pairing.objects.filter(pk=session.pairing_id).update(scenario=None)
    client.force_login(ana)

    response = client.get(reverse("session_detail", args=[session.pk]))

    assert text_by_id(response, "session-where") == (
        "Scenario not chosen yet Video link ftp://files.example.org/x"
    )
    assert links_in(response, "session-where") == []
