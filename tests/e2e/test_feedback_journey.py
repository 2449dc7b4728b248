"""Two trainees fill in their feedback after a session (one reloads mid-form and loses nothing,
thanks to the autosave script), neither reads the other's until both have submitted, then each
reads it, rates its usefulness and sets a goal that shows on the next session's page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from roleplay.models import PairingRole, Role, Session, SessionSeat, SessionStatus
from roleplay.services.feedback import feedback_requests_queue
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import make_pairing
from tests.roleplay.feedback_helpers import ensure_builtin_templates

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

LIKERT = [
    "heard",
    "understood",
    "feelings",
    "judged",
    "safe",
    "pace",
    "own_words",
    "respected",
    "checked",
    "go_on",
]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def session_with(pairing, ana, ben, start) -> Session:
    session = Session.objects.create(
        pairing=pairing,
        start=start,
        end=start + timedelta(minutes=50),
        status=SessionStatus.COMPLETED,
        proposed_by=ana,
    )
    for user, role in ((ana, PairingRole.CLIENT), (ben, PairingRole.THERAPIST)):
        SessionSeat.objects.create(
            session=session, user=user, role=role, start=session.start, end=session.end
        )
    return session


def rate(page: Page, keys: list[str], answer: str) -> None:
    for key in keys:
        page.locator(f"#field-item_{key}").get_by_label(answer, exact=True).check()


def open_request(page: Page, base: str) -> None:
    """From the notification "How did it go?" straight to the form."""
    page.goto(f"{base}/notifications/")
    page.get_by_role("link", name="How did it go? Your feedback is waiting").first.click()


def test_two_trainees_fill_in_reload_reveal_rate_and_set_a_goal(
    live_server, page: Page, new_context, cohort
):
    ensure_builtin_templates()
    base = live_server.url
    ana, ben = (
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name)
        ).user
        for name in ("Ana", "Ben")
    )
    now = timezone.now()
    pairing = make_pairing(cohort, ana, ben, opens=now - timedelta(days=3))
    session = session_with(pairing, ana, ben, now - timedelta(hours=2))
    feedback_requests_queue(session=session)

    # Ana (client role) starts, the script saves as she goes, and she reloads mid-form.
    sign_in(page, base, ana.email)
    open_request(page, base)
    expect(page.get_by_role("heading", name="Client role: how it felt")).to_be_visible()
    rate(page, LIKERT[:5], "4 · Mostly")
    page.get_by_label("How heard did you feel?").fill("8.5")
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")
    page.reload()
    expect(page.locator("#field-item_heard").get_by_label("4 · Mostly", exact=True)).to_be_checked()
    expect(page.get_by_label("How heard did you feel?")).to_have_value("8.5")
    # Submitting with items left shows the problem beside each one, keeping what was given.
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#id_item_pace_errors")).to_have_text("Please answer this item.")
    expect(page.get_by_label("How heard did you feel?")).to_have_value("8.5")
    rate(page, LIKERT[5:], "5 · Completely")
    for label in (
        "How much did we work on what you wanted to work on?",
        "How well did the therapist's way of working suit you?",
        "Overall, how right was this session for you?",
    ):
        page.get_by_label(label).fill("9")
    page.get_by_label("Anything else you want the therapist to know?").fill(
        "The pause after my sister came up helped."
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted. Thank you: it is locked now.")).to_be_visible()
    expect(page.get_by_text("once everyone has submitted")).to_be_visible()

    # Ben (therapist role) fills in his self-assessment in his own browser.
    ben_page = new_context().new_page()
    sign_in(ben_page, base, ben.email)
    open_request(ben_page, base)
    expect(ben_page.get_by_role("heading", name="Therapist role: self-assessment")).to_be_visible()
    rate(ben_page, LIKERT, "3 · Somewhat")
    ben_page.locator("#field-item_realism").get_by_label("4 · Mostly", exact=True).check()
    ben_page.get_by_label("What I learned from my client").fill("Silence can be an invitation.")
    ben_page.get_by_label("What I would try next time").fill("Reflect before asking.")
    ben_page.get_by_role("button", name="Submit").click()
    # Both have submitted: Ben reads Ana's words at once.
    expect(ben_page.get_by_text("The pause after my sister came up helped.")).to_be_visible()
    expect(ben_page.get_by_role("heading", name="Two perspectives")).to_be_visible()

    # Ana reads Ben's, rates its usefulness and sets a goal.
    page.goto(f"{base}/sessions/{session.pk}/")
    expect(page.get_by_text("Silence can be an invitation.")).to_be_visible()
    page.get_by_label("How useful was the feedback you received?").select_option("5")
    page.get_by_label("One goal for your next session").fill("Name the feeling first")
    page.get_by_role("button", name="Save reflection").click()
    expect(page.get_by_text("Your goal will be on your next session's page.")).to_be_visible()

    # Her next session's page carries the goal before it starts.
    later = make_pairing(cohort, ana, ben, opens=now - timedelta(days=1), name="Round B")
    upcoming = Session.objects.create(
        pairing=later,
        start=now + timedelta(days=2),
        end=now + timedelta(days=2, minutes=50),
        status=SessionStatus.SCHEDULED,
        proposed_by=ana,
    )
    SessionSeat.objects.create(
        session=upcoming, user=ana, role=PairingRole.CLIENT, start=upcoming.start, end=upcoming.end
    )
    page.goto(f"{base}/sessions/{upcoming.pk}/")
    expect(page.locator("#goal")).to_contain_text("Name the feeling first")
