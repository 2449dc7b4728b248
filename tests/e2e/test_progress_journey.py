"""A trainee opens their progress from the dashboard and sees the empathy chart drawn with real
points (the client's line and their own), with its table of numbers; their supervisor reaches
the same page from the cohort's *Progress and attention* view. Real browser, real server."""

import pytest
from playwright.sync_api import Page, expect

from roleplay.models import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.roleplay.progress_helpers import practised

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Days after progress_helpers.BASE (1 March 2027): autumn 2026, before today, windows closed.
DAYS_AND_RATINGS = [(-150, 2, 5), (-143, 3, 4), (-136, 4, 4)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def test_progress_plots_render_with_data(
    live_server, page: Page, new_context, supervisor, cohort, builtin_feedback_forms
):
    tess, pat = (
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=n)).user
        for n in ("Tess", "Pat")
    )
    for day, client_likert, self_likert in DAYS_AND_RATINGS:
        practised(cohort, tess, pat, day=day, client_likert=client_likert, self_likert=self_likert)

    sign_in(page, live_server.url, tess.email)
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    chart = page.locator("#chart-empathy")
    expect(chart).to_be_visible()
    # Two lines (the client's rating and Tess's own), three points each, drawn with real size.
    expect(chart.locator("polyline")).to_have_count(2)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    points = chart.locator("polyline").first.get_attribute("points").split()
    assert len(points) == 3
    assert len({p.split(",")[1] for p in points}) > 1  # the client's rating rises: not flat
    table = page.locator("#table-empathy")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("Client's rating")

    # The supervisor reaches the same chart from the cohort's progress view.
    sup = new_context().new_page()
    sign_in(sup, live_server.url, supervisor.email)
    sup.goto(f"{live_server.url}/cohorts/{cohort.pk}/")
    sup.get_by_role("button", name="Progress and attention").click()
    expect(sup.get_by_role("heading", name=f"Progress of {cohort.name}")).to_be_visible()
    sup.get_by_role("row", name="Tess").get_by_role("link", name="Tess").click()
    expect(sup.get_by_role("heading", name="Progress of Tess")).to_be_visible()
    expect(sup.locator("#chart-empathy polyline")).to_have_count(2)
