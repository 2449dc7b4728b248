"""On a phone (390 by 844), a trainee goes from their invitation to a booked session: creates an
account with the browser's zone preselected, is asked for their availability and gives Monday to
Friday in one go, finds the new pairing under "Sessions to book", proposes a suggested time, and
sees it scheduled once their partner confirms. No page scrolls sideways on the way."""

import zoneinfo
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from roleplay.models import Role, Session, SessionStatus
from roleplay.services import booking
from roleplay.services.availability import weekly_hours_add
from roleplay.services.invitations import invitation_token
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.integration.worker import purge_broker
from tests.roleplay.booking_helpers import make_pairing

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, page.url


@pytest.fixture
def broker_left_clean():
    yield
    purge_broker()  # the booking emails nobody sends here


def test_a_trainee_goes_from_invitation_to_a_booked_session_on_a_phone(
    live_server, settings, new_context, cohort, supervisor, broker_left_clean
):
    settings.SITE_URL = live_server.url
    cohort.time_zone = "Europe/Dublin"
    cohort.save(update_fields=["time_zone"])
    ben = MembershipFactory(
        cohort=cohort,
        role=Role.TRAINEE,
        user=UserFactory(display_name="Ben", time_zone="Europe/London"),
    ).user
    weekly_hours_add(owner=ben, weekdays=range(5), start=time(9), end=time(17))
    invitation = InvitationFactory(cohort=cohort, email="tess@example.org", name="Tess")

    page = new_context(viewport=PHONE, timezone_id="Europe/London").new_page()

    # The emailed link: the browser's zone (London) is preselected over the cohort's (Dublin).
    page.goto(f"{live_server.url}/invitations/{invitation_token(invitation)}/")
    expect(page.get_by_role("heading", name=f"Join {cohort.name}")).to_be_visible()
    expect(page.get_by_label("Your time zone")).to_have_value("Europe/London")
    fits(page)
    page.get_by_label("Choose a password").fill("violet-kettle-harbour-92")
    page.get_by_label("Password again").fill("violet-kettle-harbour-92")
    page.get_by_role("button", name="Create account and join").click()

    # The dashboard asks for availability first.
    expect(page.get_by_role("heading", name="Hello, Tess")).to_be_visible()
    expect(page.get_by_role("heading", name="Next: when are you usually free?")).to_be_visible()
    fits(page)
    page.get_by_role("link", name="Set my availability").click()
    expect(page.get_by_role("heading", name="My availability", level=1)).to_be_visible()
    every_week = page.get_by_role("region", name="Every week")
    for day in WEEKDAYS:
        every_week.get_by_label(day).check()
    every_week.get_by_label("From").fill("09:00")
    every_week.get_by_label("Until").fill("17:00")
    fits(page)
    page.get_by_role("button", name="Add weekly time").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Added to your weekly availability: " + ", ".join(f"{day} 09:00–17:00" for day in WEEKDAYS)
    )
    expect(every_week.get_by_role("listitem")).to_have_count(5)
    fits(page)

    # The supervisor publishes a round pairing Tess with Ben.
    tess = User.objects.get(email="tess@example.org")
    assert tess.time_zone == "Europe/London"
    now = timezone.now()
    make_pairing(cohort, tess, ben, opens=now, closes=now + timedelta(days=30), name="Round 1")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Next: when are you usually free?")).to_have_count(0)
    to_book = page.get_by_role("region", name="Sessions to book")
    expect(to_book).to_contain_text("Round 1: you are the client with Ben")
    fits(page)
    to_book.get_by_role("link", name="propose a time").click()

    # A suggested time, one tap.
    suggestion = page.locator(".suggestions").get_by_role("button").first
    expect(suggestion).to_be_visible()
    fits(page)
    suggestion.click()
    expect(page.get_by_role("status")).to_contain_text(
        "Proposed. A request to confirm is queued for your partners."
    )
    fits(page)
    session = Session.objects.get()
    local = session.start.astimezone(zoneinfo.ZoneInfo("Europe/London"))
    assert local.weekday() < 5 and time(9) <= local.time() and local.time() < time(17)

    # Ben confirms; Tess sees the session scheduled and nothing left to book.
    booking.session_confirm(session=session, user=ben)
    page.get_by_role("link", name="Dashboard").click()
    sessions = page.get_by_role("region", name="Your sessions")
    expect(sessions.get_by_role("listitem")).to_contain_text("Round 1 with Ben")
    expect(sessions.get_by_role("listitem")).to_contain_text("Scheduled")
    expect(page.get_by_role("region", name="Sessions to book")).to_have_count(0)
    fits(page)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
