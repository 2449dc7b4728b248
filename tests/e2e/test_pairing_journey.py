"""A supervisor asks for suggested pairs, adjusts them and publishes; the client-role trainee reads
the brief, the therapist-role trainee does not. Real browser, real worker, real Redis."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from roleplay.models import PairingMember, PairingRole, Role
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    RoundFactory,
    ScenarioFactory,
    UserFactory,
)
from tests.integration.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning"),
]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello,")).to_be_visible()


def test_suggest_adjust_publish_then_trainees_see_their_pairing(
    live_server, live_worker, settings, page: Page, new_context, supervisor, cohort
):
    settings.SITE_URL = live_server.url
    trainees = [
        MembershipFactory(
            cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=name)
        ).user
        for name in ("Ana", "Ben", "Cleo", "Dan")
    ]
    scenario = ScenarioFactory(title="The empty chair at Sunday lunch", difficulty=1, shared=True)
    round_ = RoundFactory(cohort=cohort, name="Round 1")
    round_.scenarios.set([scenario])

    sign_in(page, live_server.url, supervisor.email)
    page.goto(f"{live_server.url}/rounds/{round_.pk}/")
    page.get_by_role("button", name="Suggest pairs").click()
    suggestion = page.get_by_role("region", name="Suggested pairs")
    expect(suggestion.get_by_role("row")).to_have_count(3)  # header and two pairs
    page.get_by_role("button", name="Accept these pairs").click()
    expect(page.get_by_role("status")).to_contain_text("2 pairings saved.")

    # Adjust: give both pairings the scenario, then save. (The page's script made the scenario
    # and role fields selects, named from the row and column.)
    assert (
        page.get_by_role("combobox", name="Ana role", exact=True).evaluate("field => field.tagName")
        == "SELECT"
    )
    for n in (1, 2):
        page.get_by_role("combobox", name=f"Pairing {n} Scenario", exact=True).select_option(
            label=f"{scenario.title} (difficulty 1)"
        )
    page.get_by_role("button", name="Save pairings").click()
    expect(page.get_by_role("status")).to_contain_text("Pairings saved.")

    page.get_by_role("button", name="Publish and tell the trainees").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Published. A notice of their pairing is queued for 4 trainees."
    )
    emails = wait_for(lambda: len(mail.outbox) == 4 and list(mail.outbox), what="4 emails")
    assert sorted(e.to[0] for e in emails) == sorted(t.email for t in trainees)

    client_member = PairingMember.objects.get(
        role=PairingRole.CLIENT, pairing__members__trainee=trainees[0]
    )
    therapist_member = client_member.pairing.members.get(role=PairingRole.THERAPIST)

    # The client-role trainee finds the pairing and the brief.
    client_page = new_context().new_page()
    sign_in(client_page, live_server.url, client_member.trainee.email)
    client_page.get_by_role("link", name="My pairings").click()
    client_page.get_by_role("link", name="Round 1").click()
    expect(client_page.get_by_text("You play the client.")).to_be_visible()
    expect(client_page.get_by_role("heading", name="Client brief")).to_be_visible()
    expect(client_page.get_by_text("History:").first).to_be_visible()

    # The therapist-role trainee sees the intake summary but never the brief.
    therapist_page = new_context().new_page()
    sign_in(therapist_page, live_server.url, therapist_member.trainee.email)
    therapist_page.goto(f"{live_server.url}/pairings/{client_member.pairing_id}/")
    expect(therapist_page.get_by_text("You play the therapist.")).to_be_visible()
    expect(therapist_page.get_by_role("heading", name="Intake summary")).to_be_visible()
    expect(therapist_page.get_by_role("heading", name="Client brief")).to_have_count(0)
    assert scenario.client_brief[:60] not in therapist_page.content()
