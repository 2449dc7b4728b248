"""A supervisor creates a cohort and invites a trainee; the trainee follows the emailed link,
creates an account and finds the cohort on their dashboard. Real browser, real worker."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, UserFactory
from tests.integration.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # celery 5.7's Redis result backend calls a method redis-py 8 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

COHORT = "Counselling Skills Spring 2026"
TRAINEE_EMAIL = "tess.trainee@example.org"
TRAINEE_NAME = "Tess Trainee"
TRAINEE_PASSWORD = "violet-kettle-harbour-92"


def test_supervisor_invites_a_trainee_who_joins_from_the_email(
    live_server, live_worker, settings, page: Page, new_context, tmp_path
):
    settings.SITE_URL = live_server.url
    supervisor = UserFactory(
        is_supervisor=True, display_name="Sam Supervisor", email="sam@example.org"
    )

    # The supervisor signs in.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(supervisor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello, Sam Supervisor")).to_be_visible()

    # ...creates a cohort...
    page.get_by_role("link", name="New cohort").click()
    expect(page.get_by_role("heading", name="New cohort")).to_be_visible()
    start = date.today()
    page.get_by_label("Name").fill(COHORT)
    page.get_by_label("Term starts").fill(start.isoformat())
    page.get_by_label("Term ends").fill((start + timedelta(days=90)).isoformat())
    page.get_by_label("Time zone").select_option("Europe/Dublin")
    page.get_by_role("button", name="Create cohort").click()

    # ...lands on its invite page and invites a trainee.
    expect(page.get_by_role("heading", name=f"Invite trainees to {COHORT}")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"{COHORT} is created.")
    page.get_by_label("Email addresses").fill(f"{TRAINEE_EMAIL}, {TRAINEE_NAME}")
    page.get_by_role("button", name="Send invitations").click()

    expect(page.get_by_role("status")).to_contain_text("1 invitation(s) queued to be emailed.")
    outcomes = page.get_by_role("region", name="What happened to each row")
    expect(outcomes.get_by_role("row")).to_have_count(2)  # header and one person
    expect(outcomes.get_by_role("row").nth(1)).to_contain_text(
        f"{TRAINEE_EMAIL} ✓ Invitation queued for {TRAINEE_EMAIL}."
    )

    # The worker sends the email; its link points at this server.
    (email,) = wait_for(lambda: list(mail.outbox), what="the invitation email")
    assert email.to == [TRAINEE_EMAIL]
    assert email.subject == f"You're invited to join {COHORT} on Dyad"
    link = re.search(rf"{re.escape(live_server.url)}/invitations/\S+/", email.body)
    assert link, email.body

    # The trainee opens the link in a browser of their own and creates an account.
    # ...whose browser is set to London time (the cohort meets in Dublin).
    trainee_page = new_context(timezone_id="Europe/London").new_page()
    trainee_page.goto(link.group(0))
    expect(trainee_page.get_by_role("heading", name=f"Join {COHORT}")).to_be_visible()
    expect(trainee_page.get_by_text(f"Sam Supervisor invited {TRAINEE_EMAIL}")).to_be_visible()
    expect(trainee_page.get_by_label("Your name")).to_have_value(TRAINEE_NAME)
    expect(trainee_page.get_by_label("Your time zone")).to_have_value("Europe/London")
    trainee_page.get_by_label("Your name").fill("Tess T.")
    trainee_page.get_by_label("Choose a password").fill(TRAINEE_PASSWORD)
    trainee_page.get_by_label("Password again").fill(TRAINEE_PASSWORD)
    trainee_page.get_by_role("button", name="Create account and join").click()

    # ...and lands, signed in, on a dashboard that lists the cohort.
    expect(trainee_page.get_by_role("heading", name="Hello, Tess T.")).to_be_visible()
    expect(trainee_page.get_by_role("status")).to_contain_text(f"Welcome to Dyad and to {COHORT}.")
    your_cohorts = trainee_page.get_by_role("region", name="Your cohorts")
    expect(your_cohorts.get_by_role("link", name=COHORT)).to_be_visible()
    expect(trainee_page.get_by_role("contentinfo")).to_contain_text("Times shown in Europe/London")

    screenshot = tmp_path / "trainee-dashboard.png"
    trainee_page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0
