"""The supervisor's half of the feedback loop: the review queue shows a flagged session first,
the review asks for the supervisor's own ratings of each trainee, and marking it reviewed takes
it off the queue and tells the trainees."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from roleplay.models import FeedbackPurpose, Message, MessageKind, Role
from roleplay.services import feedback
from tests.e2e.test_feedback_journey import session_with, sign_in
from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing
from tests.roleplay.feedback_helpers import answers_for

pytestmark = [
    pytest.mark.e2e,
    # The built-in forms come from a data migration; keep them for the tests after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("builtin_feedback_forms"),
]

COMPETENCIES = [
    "rapport",
    "open_questions",
    "reflections",
    "summaries",
    "pacing",
    "safety",
    "goals",
]


def written(cohort, client_name, therapist_name, start, **client_values):
    client, therapist = (
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name)
        ).user
        for name in (client_name, therapist_name)
    )
    pairing = make_pairing(
        cohort, client, therapist, opens=start - timedelta(days=3), name=f"Round {client_name}"
    )
    session = session_with(pairing, client, therapist, start)
    for author, about, purpose, values in (
        (client, therapist, FeedbackPurpose.CLIENT, client_values),
        (therapist, client, FeedbackPurpose.THERAPIST, {"likert": 4}),
    ):
        response = feedback.feedback_start(
            session=session, author=author, about=about, purpose=purpose
        )
        feedback.feedback_submit(
            response=response, author=author, answers=answers_for(response.template, **values)
        )
    return session


def test_supervisor_reviews_the_flagged_session_first(live_server, page: Page, cohort, supervisor):
    base = live_server.url
    now = timezone.now()
    written(cohort, "Ana", "Ben", now - timedelta(hours=5), likert=4, slider="9.5")
    flagged = written(cohort, "Cleo", "Dan", now - timedelta(hours=3), likert=2, slider="2.0")

    sign_in(page, base, supervisor.email)
    page.get_by_role("link", name="Review").click()
    rows = page.locator("table.review-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Round Cleo")
    expect(rows.first).to_contain_text("Low client-rated score: 30 (on 14 items)")
    expect(rows.nth(1)).to_contain_text("Round Ana")
    expect(rows.nth(1)).to_contain_text("None")

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="What the trainees wrote")).to_be_visible()
    page.get_by_role("button", name="Mark reviewed and tell the trainees").click()
    expect(
        page.get_by_text("Add your supervisor feedback about Cleo and Dan first.")
    ).to_be_visible()

    for name in ("Cleo", "Dan"):
        page.get_by_role("link", name=f"Your competency ratings for {name}").click()
        for key in COMPETENCIES:
            page.locator(f"#field-item_{key}").get_by_label("4 · Secure", exact=True).check()
        page.get_by_label("Narrative: what you saw, and what to work on next").fill(
            f"{name}: steady pacing; try a summary before changing topic."
        )
        page.get_by_role("button", name="Submit").click()
        expect(page.get_by_text("Submitted. Thank you: it is locked now.")).to_be_visible()
        page.goto(f"{base}/review/sessions/{flagged.pk}/")

    page.get_by_role("button", name="Mark reviewed and tell the trainees").click()
    expect(page.get_by_text("Reviewed. The trainees have been told.")).to_be_visible()
    rows = page.locator("table.review-queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Round Ana")
    told = Message.objects.filter(kind=MessageKind.FEEDBACK_REVIEWED).order_by("recipient_id")
    assert [m.recipient.display_name for m in told] == ["Cleo", "Dan"]
