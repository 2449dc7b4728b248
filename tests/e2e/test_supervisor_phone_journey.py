"""On a phone (390 x 844), a supervisor creates a round, pairs and publishes it, and reaches its
booking overview from the round page and from the dashboard. Real browser, real worker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from roleplay.models import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_supervisor_on_a_phone_creates_a_round_and_reaches_its_bookings(
    live_server, live_worker, settings, new_context, supervisor, cohort
):
    settings.SITE_URL = live_server.url
    for name in ("Ana", "Ben", "Cleo", "Dan"):
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name))
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    opens = timezone.localtime(timezone.now() + timedelta(days=2))  # the supervisor is in London

    sign_in(page, live_server.url, supervisor.email)
    page.get_by_role("link", name=cohort.name).click()
    page.get_by_role("button", name="Rounds and pairings").click()
    page.get_by_role("button", name="New round").click()
    page.get_by_label("Name").fill("Round 1")
    page.get_by_label("Booking opens").fill(f"{opens:%Y-%m-%d}T09:00")
    page.get_by_label("Booking closes").fill(f"{opens + timedelta(days=14):%Y-%m-%d}T17:00")
    page.get_by_role("button", name="Create round").click()
    expect(page.get_by_role("status")).to_contain_text("Round 1 is created.")

    page.get_by_role("button", name="Suggest pairs").click()
    page.get_by_role("button", name="Accept these pairs").click()
    expect(page.get_by_role("status")).to_contain_text("2 pairings saved.")
    page.get_by_role("button", name="Publish and tell the trainees").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Published. A notice of their pairing is queued for 4 trainees."
    )

    page.get_by_role("link", name="Bookings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookings: Round 1")
    expect(page.get_by_text("0 of 2 booked")).to_be_visible()
    rows = page.get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two pairings
    expect(rows.nth(1)).to_contain_text("Unbooked")
    expect(rows.nth(1).get_by_role("link", name="Schedule now")).to_be_visible()
    assert fits_the_screen(page)

    page.get_by_role("button", name="Nudge").first.click()
    expect(page.get_by_role("status")).to_contain_text("Reminder queued for")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Round 1 (Year 1): 0 of 2 booked")).to_be_visible()
    page.get_by_role("link", name="Round 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bookings: Round 1")
