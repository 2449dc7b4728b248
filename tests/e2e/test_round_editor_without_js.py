"""The round editor without JavaScript: the role and scenario fields stay inputs offered their
choices by shared datalists, and the form posts what is typed. With JavaScript they are selects
(tests/e2e/test_pairing_journey.py)."""

import pytest
from playwright.sync_api import expect

from roleplay.models import Pairing, PairingRole, Role
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange
from tests.factories import PASSWORD, MembershipFactory, RoundFactory, ScenarioFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_without_javascript_sets_roles_and_scenarios_by_typing(
    live_server, new_context, supervisor, cohort
):
    ana, ben = (
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=n)).user
        for n in ("Ana", "Ben")
    )
    grief, chair = (ScenarioFactory(title=t, shared=True) for t in ("Grief at work", "Empty chair"))
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief, chair])
    arrangement = Arrangement()
    arrangement.members = {ana.pk: ("a", PairingRole.CLIENT), ben.pk: ("a", PairingRole.THERAPIST)}
    arrangement.options = {"a": SlotOptions()}
    round_arrange(round_=round_, arrangement=arrangement)
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(supervisor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/rounds/{round_.pk}/")

    # The key numbers the round's set in title order: 1 Empty chair, 2 Grief at work.
    expect(page.locator("#scenario-key li")).to_have_text(
        ["Empty chair (difficulty 2)", "Grief at work (difficulty 2)"]
    )
    assert (
        page.get_by_role("combobox", name="Ana role", exact=True).evaluate("field => field.tagName")
        == "INPUT"
    )
    page.get_by_role("combobox", name="Ana role", exact=True).fill("therapist")
    page.get_by_role("combobox", name="Ben role", exact=True).fill("Client")
    page.get_by_role("spinbutton", name="Pairing 1 Scenario", exact=True).fill("2")
    page.get_by_role("checkbox", name="Pairing 1 Locked", exact=True).check()
    page.get_by_role("button", name="Save pairings").click()
    expect(page.get_by_role("status")).to_contain_text("Pairings saved.")

    pairing = Pairing.objects.get(round=round_)
    assert (pairing.scenario, pairing.locked) == (grief, True)
    assert dict(pairing.members.values_list("trainee_id", "role")) == {
        ana.pk: PairingRole.THERAPIST,
        ben.pk: PairingRole.CLIENT,
    }
    expect(page.get_by_role("spinbutton", name="Pairing 1 Scenario", exact=True)).to_have_value("2")
