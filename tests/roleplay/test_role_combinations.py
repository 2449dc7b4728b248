"""Issue 7.2: the client brief never reaches a trainee who is (or will be) its therapist, whatever
other role they hold; and supervising is a capability that ends with the last supervision."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.models import CohortMembership, PairingRole, Role
from roleplay.permissions import may_create_cohort, may_use_library
from roleplay.services.cohorts import membership_end, supervisor_appoint
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange, round_publish
from roleplay.services.scenarios import scenario_save
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    RoundFactory,
    ScenarioFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
SECRET = "SECRET-BRIEF"


def pair_up(cohort, client_user, therapist, *, scenario, publish=True, client_chooses=False):
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([scenario])
    round_arrange(
        round_=round_,
        arrangement=Arrangement(
            members={
                client_user.pk: ("a", PairingRole.CLIENT),
                therapist.pk: ("a", PairingRole.THERAPIST),
            },
            options={
                "a": SlotOptions(
                    scenario=None if client_chooses else scenario, client_chooses=client_chooses
                )
            },
        ),
    )
    if publish:
        round_publish(round_=round_)
    return round_.pairings.get()


@pytest.fixture
def scenario(supervisor):
    return scenario_save(scenario=ScenarioFactory.build(shared=True), owner=supervisor)


def trainee_of(cohort):
    return MembershipFactory(cohort=cohort, role=Role.TRAINEE).user


def test_a_therapist_made_supervisor_elsewhere_never_reads_the_brief(
    client, cohort, admin_user, scenario
):
    x = trainee_of(cohort)
    pair_up(cohort, trainee_of(cohort), x, scenario=scenario)
    junior = CohortFactory(name="Junior")
    supervisor_appoint(cohort=junior, email=x.email, name="", appointed_by=admin_user)
    junior_pairing = pair_up(junior, trainee_of(junior), trainee_of(junior), scenario=scenario)

    client.force_login(x)
    page = client.get(reverse("pairing_detail", args=[junior_pairing.pk])).content.decode()
    assert scenario.title in page
    assert SECRET not in page
    library = client.get(reverse("scenario_detail", args=[scenario.pk])).content.decode()
    assert SECRET not in library
    client.force_login(admin_user)
    assert (
        SECRET in client.get(reverse("pairing_detail", args=[junior_pairing.pk])).content.decode()
    )


@pytest.mark.parametrize(
    ("publish", "client_chooses"),
    [(False, False), (True, True)],
    ids=["therapist-in-a-draft-round", "client-chooses-from-a-set-with-it"],
)
def test_a_future_therapist_on_the_scenario_cannot_read_its_brief(
    client, cohort, admin_user, scenario, publish, client_chooses
):
    x = trainee_of(cohort)
    pair_up(
        cohort,
        trainee_of(cohort),
        x,
        scenario=scenario,
        publish=publish,
        client_chooses=client_chooses,
    )
    junior = CohortFactory(name="Junior")
    supervisor_appoint(cohort=junior, email=x.email, name="", appointed_by=admin_user)

    client.force_login(x)
    page = client.get(reverse("scenario_detail", args=[scenario.pk])).content.decode()
    assert "Hidden: you play the therapist" in page
    assert SECRET not in page


def test_an_appointed_supervisor_may_create_cohorts_and_use_the_library_until_removed(
    client, admin_user, scenario
):
    junior = CohortFactory(name="Junior")
    x = trainee_of(CohortFactory())
    supervisor_appoint(cohort=junior, email=x.email, name="", appointed_by=admin_user)
    x.refresh_from_db()
    assert (may_create_cohort(x), may_use_library(x)) == (True, True)
    client.force_login(x)
    assert SECRET in client.get(reverse("scenario_detail", args=[scenario.pk])).content.decode()

    membership = CohortMembership.objects.active().get(cohort=junior, user=x)
    membership_end(membership=membership, ended_by=admin_user)
    x.refresh_from_db()

    assert (x.is_supervisor, may_create_cohort(x), may_use_library(x)) == (False, False, False)
    pages = [
        reverse("scenario_list"),
        reverse("scenario_detail", args=[scenario.pk]),
        reverse("cohort_create"),
    ]
    assert [client.get(url).status_code for url in pages] == [404, 404, 403]
    assert "Scenarios" not in client.get(reverse("dashboard")).content.decode()


def test_a_supervisor_of_two_cohorts_removed_from_one_keeps_the_library(
    cohort, supervisor, admin_user
):
    second = CohortFactory()
    MembershipFactory(cohort=second, user=supervisor, role=Role.SUPERVISOR)
    membership = CohortMembership.objects.active().get(cohort=second, user=supervisor)
    membership_end(membership=membership, ended_by=admin_user)
    supervisor.refresh_from_db()
    assert (may_create_cohort(supervisor), may_use_library(supervisor)) == (True, True)


def test_the_migration_takes_the_grant_from_those_removed_from_every_cohort_they_supervised(
    cohort, supervisor
):
    clear = importlib.import_module(
        "roleplay.migrations.0011_member_removal"
    ).clear_stale_supervisor_grants
    removed = UserFactory(is_supervisor=True)
    MembershipFactory(cohort=cohort, user=removed, role=Role.SUPERVISOR, ended_at=timezone.now())
    granted = UserFactory(is_supervisor=True)

    clear(apps, None)

    flags = {
        user.pk: user.is_supervisor
        for user in User.objects.filter(pk__in=[removed.pk, granted.pk, supervisor.pk])
    }
    assert flags == {removed.pk: False, granted.pk: True, supervisor.pk: True}
