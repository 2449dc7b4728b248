"""Dyad on a phone (390 by 844): no page scrolls sideways, tables scroll inside their own box, the
round editor's selects show their whole choice, the menu stays compact; and on any screen the
skip link does not cover the site name and focus rings are plain to see. Real browser, the demo's
data (`seed_demo`) plus a draft round, a session and an open invitation."""

import itertools
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from roleplay.management.commands.seed_demo import DEMO_PASSWORD
from roleplay.models import Cohort, Pairing, Role, Round, Scenario, WeeklyHours
from roleplay.services import booking
from roleplay.services.invitations import invitation_token
from roleplay.services.pairing import pairings_accept, pairings_suggest
from roleplay.services.rounds import round_create
from tests.factories import InvitationFactory, ScenarioFactory
from tests.integration.worker import purge_broker

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # seed_demo writes feedback on its earlier round with the built-in forms.
    pytest.mark.usefixtures("builtin_feedback_forms"),
]

PHONE = {"width": 390, "height": 844}
TRAINEE, SUPERVISOR = "trainee1@dyad.test", "supervisor1@dyad.test"


@pytest.fixture
def demo(live_server):
    """The demo programme, a draft second round with suggested pairings, a proposed session and
    an open invitation: every page has something in it."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    cohort = Cohort.objects.get(name="Counselling Skills — Year 1")
    supervisor = User.objects.get(email=SUPERVISOR)
    # A shared one of our own: an earlier transactional test may have flushed the starter library.
    scenario = ScenarioFactory(owner=supervisor, shared=True, title="A long scenario title to show")
    draft = round_create(
        cohort=cohort,
        name="Round 2",
        opens=timezone.now() + timedelta(days=22),
        closes=timezone.now() + timedelta(days=43),
        scenarios=[scenario, *Scenario.objects.filter(owner=None)],
    )
    pairings_accept(round_=draft, groups=pairings_suggest(round_=draft))
    trainee = User.objects.get(email=TRAINEE)
    pairing = Pairing.objects.get(round__name="Round 1", members__trainee=trainee)
    session = booking.session_propose(
        pairing=pairing, proposer=trainee, start=timezone.now() + timedelta(days=3)
    )
    invitation = InvitationFactory(cohort=cohort, invited_by=supervisor)
    yield {
        "cohort": cohort,
        "round": Round.objects.get(name="Round 1"),
        "draft": draft,
        "pairing": pairing,
        "session": session,
        "block": WeeklyHours.objects.filter(user=trainee).first(),
        "scenario": scenario,
        "member": cohort.memberships.filter(role=Role.TRAINEE).first(),
        "invitation": reverse("invitation_accept", args=[invitation_token(invitation)]),
    }
    purge_broker()


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}{reverse('account_login')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def sideways(page: Page, base: str, paths: list[str]) -> dict[str, int]:
    """Each page whose document is wider than the screen, with how wide it is."""
    wide = {}
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.ok, (path, response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"] + 1:
            wide[path] = width
    return wide


def test_no_page_scrolls_sideways_on_a_phone(live_server, demo, browser):
    d = demo
    trainee_pages = [
        reverse("dashboard"),
        reverse("my_pairings"),
        reverse("pairing_detail", args=[d["pairing"].pk]),
        reverse("session_detail", args=[d["session"].pk]),
        reverse("my_availability"),
        reverse("weekly_hours_change", args=[d["block"].pk]),
        reverse("cohort_detail", args=[d["cohort"].pk]),
        reverse("notifications"),
        reverse("email_preferences"),
        reverse("profile"),
    ]
    supervisor_pages = [
        reverse("dashboard"),
        reverse("cohort_detail", args=[d["cohort"].pk]),
        reverse("cohort_edit", args=[d["cohort"].pk]),
        reverse("cohort_invite", args=[d["cohort"].pk]),
        reverse("cohort_booking_settings", args=[d["cohort"].pk]),
        reverse("do_not_pair", args=[d["cohort"].pk]),
        reverse("member_remove", args=[d["cohort"].pk, d["member"].pk]),
        reverse("round_list", args=[d["cohort"].pk]),
        reverse("round_create", args=[d["cohort"].pk]),
        reverse("round_detail", args=[d["round"].pk]),
        reverse("round_detail", args=[d["draft"].pk]),
        reverse("round_edit", args=[d["draft"].pk]),
        reverse("session_detail", args=[d["session"].pk]),
        reverse("scenario_list"),
        reverse("scenario_create"),
        reverse("scenario_detail", args=[d["scenario"].pk]),
        reverse("cohort_create"),
        reverse("notifications"),
        reverse("profile"),
    ]
    anonymous_pages = [
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        d["invitation"],
    ]
    base = live_server.url
    wide = {}
    for email, paths in (
        (None, anonymous_pages),
        (TRAINEE, trainee_pages),
        (SUPERVISOR, supervisor_pages),
    ):
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        if email:
            sign_in(page, base, email)
        wide |= {
            f"{email or 'anonymous'} {path}": w for path, w in sideways(page, base, paths).items()
        }
        context.close()
    assert wide == {}


CLIPPED_SELECTS = """() => [...document.querySelectorAll("main select")].filter((select) => {
  const style = getComputedStyle(select);
  const text = select.options[select.selectedIndex]?.text ?? "";
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(text).width > room + 1;
}).map((select) => select.options[select.selectedIndex].text)"""


def test_the_round_editor_shows_whole_choices_on_a_phone(live_server, demo, page: Page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, SUPERVISOR)
    page.goto(f"{live_server.url}{reverse('round_detail', args=[demo['draft'].pk])}")
    expect(page.locator("main select").first).to_be_visible()
    assert page.evaluate(CLIPPED_SELECTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_the_menu_takes_at_most_two_rows_on_a_phone(live_server, demo, page: Page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, SUPERVISOR)
    menu = page.get_by_role("navigation", name="Main")
    tops = (
        menu.locator("ul")
        .last.locator("li")
        .evaluate_all("items => items.map(item => item.getBoundingClientRect().top)")
    )
    rows = 1 + sum(1 for above, below in itertools.pairwise(tops) if below > above + 5)
    assert rows <= 2
    # The demo's supervisor has unread notifications (a care request among them): the wider link.
    expect(
        menu.get_by_role("link", name=re.compile(r"^Notifications, [1-9]\d* unread$"))
    ).to_be_visible()


def test_the_focused_skip_link_leaves_the_site_name_uncovered(live_server, demo, page: Page):
    sign_in(page, live_server.url, TRAINEE)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    a = skip.bounding_box()
    b = page.get_by_role("link", name="Dyad", exact=True).bounding_box()
    overlap = (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )
    assert not overlap, (a, b)


def test_a_button_focused_from_the_keyboard_has_a_solid_ring(live_server, page: Page):
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.get_by_label("Password").focus()
    button = page.get_by_role("button", name="Sign in")
    for _ in range(5):  # past the password's help link and the "keep me signed in" box
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    expect(button).to_be_focused()
    ring = button.evaluate(
        "b => { const s = getComputedStyle(b); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert ring == ["solid", "3px", "rgb(0, 95, 61)"]
