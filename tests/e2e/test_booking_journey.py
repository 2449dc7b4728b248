"""Two trainees in different time zones book a session: one proposes, the other confirms from
their dashboard, both are emailed; the proposer's calendar feed shows the session and follows it
when the other reschedules. Real browser, real worker, real Redis, real current time."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from roleplay.models import Role, Session
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.integration.worker import wait_for
from tests.roleplay.booking_helpers import make_pairing

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    # celery 5.7's Redis result backend calls a method redis-py 8 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ROUND = "Round 1"


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def shown(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """As pages and emails show a time: "Thursday 4 March, 05:00" (the year only if not this one)."""
    local = moment.astimezone(zone)
    year = "" if local.year == timezone.localtime(timezone.now(), zone).year else f" {local.year}"
    return f"{local:%A} {local.day} {local:%B}{year}, {local:%H:%M}"


def field_value(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """What a datetime-local field takes: "2027-03-04T10:00"."""
    return f"{moment.astimezone(zone):%Y-%m-%dT%H:%M}"


def emails(to, subject: str) -> list:
    return [e for e in mail.outbox if e.to == [to.email] and e.subject == f"[Dyad] {subject}"]


def feed_event(page: Page, url: str):
    response = page.request.get(url)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.body()).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_propose_confirm_subscribe_then_reschedule_across_time_zones(
    live_server, live_worker, settings, page: Page, new_context, cohort
):
    settings.SITE_URL = live_server.url
    ana, ben = (
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name, time_zone=tz)
        ).user
        for name, tz in (("Ana", LONDON.key), ("Ben", NEW_YORK.key))
    )
    now = timezone.now()
    # make_pairing drops the "you are paired" messages it queued; inside one transaction their
    # tasks are published only after that, so the worker finds nothing to send (no race).
    with transaction.atomic():
        make_pairing(cohort, ana, ben, opens=now, closes=now + timedelta(days=30), name=ROUND)

    day = now.astimezone(LONDON).date() + timedelta(days=3)
    start = datetime.combine(day, time(10, 0), tzinfo=LONDON).astimezone(UTC)

    # Ana proposes 10:00 her time, three days ahead.
    sign_in(page, live_server.url, ana.email)
    page.get_by_role("link", name="My pairings").click()
    page.get_by_role("link", name=ROUND).click()
    expect(page.get_by_text("You play the client.")).to_be_visible()
    page.get_by_label("Start").fill(field_value(start, LONDON))
    page.get_by_role("button", name="Propose this time").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Proposed. A request to confirm is queued for your partners."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{ROUND}: {shown(start, LONDON)}–"
    )
    expect(page.get_by_text("times in Europe/London")).to_be_visible()
    session = Session.objects.get()
    assert session.start == start

    # Ben is emailed, in his own zone, and confirms from his dashboard.
    proposal = f"Ana proposes {shown(start, NEW_YORK)}"
    wait_for(lambda: emails(ben, proposal), what="the proposal email to Ben")
    ben_page = new_context().new_page()
    sign_in(ben_page, live_server.url, ben.email)
    sessions = ben_page.get_by_role("region", name="Your sessions")
    entry = sessions.get_by_role("listitem").filter(has_text=ROUND)
    expect(entry).to_contain_text(f"{shown(start, NEW_YORK)} — {ROUND} with Ana")
    expect(entry).to_contain_text("Proposed")
    expect(entry).to_contain_text("waiting for your confirmation")
    entry.get_by_role("link", name=shown(start, NEW_YORK)).click()
    expect(ben_page.get_by_role("heading", level=1)).to_contain_text(shown(start, NEW_YORK))
    expect(ben_page.get_by_text("times in America/New_York")).to_be_visible()
    ben_page.get_by_role("button", name="Confirm this time").click()
    expect(ben_page.get_by_role("status")).to_contain_text(
        "Everyone has confirmed: the session is scheduled."
    )
    expect(ben_page.get_by_role("button", name="Confirm this time")).to_have_count(0)
    expect(ben_page.get_by_role("link", name="Add to my calendar (.ics)")).to_be_visible()
    wait_for(
        lambda: (
            emails(ana, f"Confirmed: {shown(start, LONDON)}")
            and emails(ben, f"Confirmed: {shown(start, NEW_YORK)}")
        ),
        what="the confirmation emails to Ana and Ben",
    )

    # Ana's dashboard shows it scheduled, with nothing left for her to confirm.
    page.get_by_role("link", name="Dashboard").click()
    entry = page.get_by_role("region", name="Your sessions").get_by_role("listitem")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(f"{shown(start, LONDON)} — {ROUND} with Ben")
    expect(entry).to_contain_text("Scheduled")
    expect(entry).not_to_contain_text("waiting for your confirmation")

    # Ana subscribes to her calendar feed; the session is in it, confirmed.
    page.get_by_role("link", name="Ana", exact=True).click()
    page.get_by_role("button", name="Create my calendar link").click()
    expect(page.get_by_role("status")).to_contain_text("Here is your new link.")
    feed_url = page.get_by_label("Your calendar link").input_value()
    assert feed_url.startswith(f"{live_server.url}/calendar/")
    first = feed_event(page, feed_url)
    assert first.decoded("dtstart") == start
    assert first.decoded("dtend") == start + timedelta(minutes=50)
    assert int(first["sequence"]) == 0
    assert str(first["status"]) == "CONFIRMED"
    assert str(first["summary"]) == f"Role-play: {ROUND} (you are the client)"

    # Ben moves it a day later (typed in his zone); everyone confirms again.
    moved = start + timedelta(days=1)
    ben_page.reload()
    ben_page.get_by_text("Suggest another time").click()
    ben_page.get_by_label("Start").fill(field_value(moved, NEW_YORK))
    ben_page.get_by_role("button", name="Propose this time").click()
    expect(ben_page.get_by_role("status")).to_contain_text(
        "New time proposed; everyone confirms again."
    )
    expect(ben_page.get_by_role("heading", level=1)).to_contain_text(shown(moved, NEW_YORK))
    wait_for(
        lambda: emails(ana, f"Ben moved your session to {shown(moved, LONDON)}"),
        what="the reschedule email to Ana",
    )

    # Ana's feed follows: same event, new time, a higher sequence, tentative again.
    second = feed_event(page, feed_url)
    assert str(second["uid"]) == str(first["uid"])
    assert second.decoded("dtstart") == moved
    assert int(second["sequence"]) > int(first["sequence"])
    assert str(second["status"]) == "TENTATIVE"
    page.get_by_role("link", name="Dashboard").click()
    entry = page.get_by_role("region", name="Your sessions").get_by_role("listitem")
    expect(entry).to_contain_text(shown(moved, LONDON))
    expect(entry).to_contain_text("waiting for your confirmation")
