"""The round editor at the size of a big cohort: its HTML grows with the cohort, not its square,
and its queries do not grow at all."""

import pytest
from django.urls import reverse

from accounts.models import User
from roleplay.models import CohortMembership, Pairing, PairingMember, PairingRole, Role
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

SET_SIZE = 6  # scenarios in the round's set


def paired_round(cohort, size: int):
    """A draft round of `size` trainees in dyads, each pairing with a scenario from a set of
    SET_SIZE, next to a library of 40 scenarios outside the set. Names and titles are as long as
    common real ones."""
    users = User.objects.bulk_create(
        User(email=f"t{n}.{cohort.pk}@example.org", display_name=f"Alex Morgan-{n:04d}")
        for n in range(size)
    )
    CohortMembership.objects.bulk_create(
        CohortMembership(cohort=cohort, user=user, role=Role.TRAINEE) for user in users
    )
    in_set = [
        ScenarioFactory(title=f"Grief at work, part {n}", shared=True) for n in range(SET_SIZE)
    ]
    ScenarioFactory.create_batch(40, shared=True)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set(in_set)
    pairings = Pairing.objects.bulk_create(
        Pairing(round=round_, scenario=in_set[n % SET_SIZE]) for n in range(size // 2)
    )
    PairingMember.objects.bulk_create(
        PairingMember(pairing=pairing, round=round_, trainee=user, role=role)
        for pairing, pair in zip(pairings, zip(users[::2], users[1::2], strict=True), strict=True)
        for user, role in zip(pair, (PairingRole.CLIENT, PairingRole.THERAPIST), strict=True)
    )
    return round_


@pytest.mark.parametrize("size", [10, 200])
def test_the_editor_page_costs_the_same_queries_at_10_and_200_trainees(
    client, supervisor, cohort, size, django_assert_num_queries
):
    round_ = paired_round(cohort, size)
    client.force_login(supervisor)

    with django_assert_num_queries(15):  # 14, and the term plan notice's one
        response = client.get(reverse("round_detail", args=[round_.pk]))

    assert response.content.decode().count('name="role_') == size


def test_the_editors_html_grows_linearly_with_the_cohort(client, supervisor, cohort):
    """Each trainee adds a line to their pairing's row and each pairing a row, nothing per pair of
    them: 1.16 MB at 200 trainees before the first rebuild, 185 KB with a select on every row, 89 KB
    with a row per pairing and the choices in shared datalists."""
    client.force_login(supervisor)
    small = len(client.get(reverse("round_detail", args=[paired_round(cohort, 10).pk])).content)
    big_round = paired_round(RoundFactory().cohort, 200)
    MembershipFactory(cohort=big_round.cohort, user=supervisor, role=Role.SUPERVISOR)

    big = len(client.get(reverse("round_detail", args=[big_round.pk])).content)

    per_trainee = (big - small) / 190
    assert per_trainee < 450, f"{per_trainee:,.0f} bytes per trainee"
    assert big < 100_000, f"{big:,} bytes"
