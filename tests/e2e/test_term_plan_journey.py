"""A supervisor plans a 15-trainee term, marks an absence, re-plans, and publishes the next round
from the plan. Real browser, real worker (the solver runs in its Celery task), real Redis."""

import pytest
from playwright.sync_api import Page, expect

from roleplay.models import PairingMember, Role, TermPlan
from tests.e2e.test_pairing_journey import sign_in
from tests.factories import MembershipFactory, RoundFactory, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]

NAMES = [
    "Ana", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou", "Mo",
    "Ned", "Oz",
]  # fmt: skip


def test_plan_mark_absent_replan_publish_from_the_plan(
    live_server, live_worker, settings, page: Page, supervisor, cohort
):
    settings.SITE_URL = live_server.url
    settings.PLANNER_TIME_LIMIT_SECONDS = 3
    for name in NAMES:
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name))
    round_ = RoundFactory(cohort=cohort, name="Week 1")
    sign_in(page, live_server.url, supervisor.email)

    page.goto(f"{live_server.url}/cohorts/{cohort.pk}/rounds/")
    page.get_by_role("button", name="Term plan").click()
    page.get_by_label("Rounds in the term (held ones included)").fill("6")
    page.get_by_role("button", name="Plan the term").click()
    expect(page.get_by_text("The planner is working")).to_be_visible()
    expect(page.get_by_text("First repeat pairing:")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("columnheader", name="Round 6")).to_be_visible()
    expect(page.get_by_role("button", name="Lock Ana in round 1")).to_be_visible()

    # Ana will be away in week 1: the plan is out of date until re-planned.
    page.goto(f"{live_server.url}/rounds/{round_.pk}/")
    page.get_by_label("Mark a trainee absent from this round").select_option(label="Ana")
    page.get_by_role("button", name="Mark absent").click()
    expect(page.locator("#term-plan-notice")).to_contain_text("is out of date")
    page.locator("#term-plan-notice").get_by_role("link", name="term plan").click()
    page.get_by_role("button", name="Re-plan").click()
    expect(page.get_by_text("First repeat pairing:")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Something has changed")).to_have_count(0)
    plan = TermPlan.objects.get(cohort=cohort)
    ana_row = page.locator("tr", has=page.get_by_role("rowheader", name="Ana", exact=True))
    ana_week1 = ana_row.get_by_role("cell").nth(0)
    expect(ana_week1).to_contain_text("absent")

    # Suggest pairs follows the plan; accept and publish.
    page.goto(f"{live_server.url}/rounds/{round_.pk}/")
    expect(page.locator("#term-plan-notice")).to_have_text("Suggestions follow the term plan")
    page.get_by_role("button", name="Suggest pairs").click()
    page.get_by_role("button", name="Accept these pairs").click()
    expect(page.get_by_role("status")).to_contain_text("7 pairings saved.")
    page.get_by_role("button", name="Publish and tell the trainees").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Published. A notice of their pairing is queued for 14 trainees."
    )
    saved = {}
    for member in PairingMember.objects.filter(round=round_):
        saved.setdefault(member.pairing_id, {})[member.role] = member.trainee_id
    planned = [
        {k: v for k, v in zip(("client", "therapist", "observer"), row, strict=True) if v}
        for row in plan.schedule[0]
    ]
    assert sorted(map(sorted, (g.items() for g in saved.values()))) == sorted(
        map(sorted, (g.items() for g in planned))
    )
