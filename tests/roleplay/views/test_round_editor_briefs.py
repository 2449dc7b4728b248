"""The round editor flags a therapist who has read the scenario's client brief — including a
brief read in this very round (a published round's earlier arrangement) and one read in a
pairing that was rearranged since: what a trainee has read stays read."""

import pytest

from roleplay.models import Pairing
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange
from tests.factories import RoundFactory, ScenarioFactory
from tests.html import item_of, row_of
from tests.roleplay.views.test_round_editor import (
    CLIENT,
    THERAPIST,
    arrange,
    earlier_round,
    number_of,
    open_editor,
    people,
)

pytestmark = pytest.mark.django_db

ANA_READ_GRIEF = "Ana has read the client brief of Grief at work before (as client)."


def swap_roles(round_, scenario):
    """Rearrange the round's one pairing (keeping it) so its client becomes the therapist."""
    pairing = Pairing.objects.get(round=round_)
    slot = str(pairing.pk)
    arrangement = Arrangement()
    for member in pairing.members.all():
        arrangement.members[member.trainee_id] = (
            slot,
            THERAPIST if member.role == CLIENT else CLIENT,
        )
    arrangement.options[slot] = SlotOptions(scenario=scenario)
    return round_arrange(round_=round_, arrangement=arrangement)


def test_a_client_made_therapist_in_the_same_published_round_is_flagged(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    arrange(round_, (ana, ben), scenarios={0: grief}, publish=True)  # Ana reads the brief

    warnings = swap_roles(round_, grief)

    assert ANA_READ_GRIEF in warnings
    pairing = Pairing.objects.get(round=round_)
    page = open_editor(client, supervisor, round_)
    assert item_of(page, f"n{ana.pk}").endswith(ANA_READ_GRIEF)
    assert row_of(page, f"p{number_of(pairing)}").endswith(ANA_READ_GRIEF)


def test_a_brief_read_in_a_pairing_rearranged_since_still_counts(client, supervisor, cohort):
    ana, ben, cleo, dan = people(cohort, "Ana", "Ben", "Cleo", "Dan")
    grief, other = (
        ScenarioFactory(title="Grief at work", shared=True),
        ScenarioFactory(title="Other", shared=True),
    )
    earlier = earlier_round(cohort, (ana, ben), scenarios={0: grief})
    swap_roles(earlier, other)  # Ana is no longer the client on Grief there
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    arrange(round_, (cleo, ana), (dan, ben), scenarios={0: grief})

    page = open_editor(client, supervisor, round_)

    assert item_of(page, f"n{ana.pk}").endswith(ANA_READ_GRIEF)


def test_rearranging_a_draft_round_reads_nothing(client, supervisor, cohort):
    ana, ben = people(cohort, "Ana", "Ben")
    grief = ScenarioFactory(title="Grief at work", shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([grief])
    arrange(round_, (ana, ben), scenarios={0: grief})  # a draft: nobody has seen it

    warnings = swap_roles(round_, grief)

    assert not [w for w in warnings if "client brief" in w]
    assert "client brief" not in open_editor(client, supervisor, round_).content.decode()
