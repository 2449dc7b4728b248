import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from roleplay.models import Role
from roleplay.permissions import Action, get_cohort_for, may, may_create_cohort
from roleplay.services.cohorts import membership_end
from tests.factories import CohortFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "view", "manage", "appoint"),
    [
        ("admin_user", True, True, True),
        ("supervisor", True, True, False),
        ("trainee", True, False, False),
        ("outsider", False, False, False),
    ],
)
def test_may_on_a_cohort(request, cohort, who, view, manage, appoint):
    user = request.getfixturevalue(who)
    assert may(user, Action.VIEW, cohort) is view
    assert may(user, Action.MANAGE, cohort) is manage
    assert may(user, Action.APPOINT, cohort) is appoint


def test_a_supervisor_of_one_cohort_cannot_manage_another(supervisor):
    other = CohortFactory()
    assert not may(supervisor, Action.VIEW, other)
    with pytest.raises(Http404):
        get_cohort_for(supervisor, other.pk, Action.MANAGE)


def test_an_invitation_is_only_for_those_who_manage_its_cohort(cohort, supervisor, trainee):
    invitation = InvitationFactory(cohort=cohort)
    assert may(supervisor, Action.MANAGE, invitation)
    assert not may(trainee, Action.VIEW, invitation)


def test_a_removed_trainee_no_longer_sees_the_cohort(cohort, supervisor):
    membership = MembershipFactory(cohort=cohort)
    membership_end(membership=membership, ended_by=supervisor)
    with pytest.raises(Http404):
        get_cohort_for(membership.user, cohort.pk)


def test_get_cohort_for_answers_403_only_to_those_who_can_see_it(cohort, trainee, outsider):
    assert get_cohort_for(trainee, cohort.pk) == cohort
    with pytest.raises(PermissionDenied):
        get_cohort_for(trainee, cohort.pk, Action.MANAGE)
    with pytest.raises(Http404):
        get_cohort_for(outsider, cohort.pk)


def test_who_may_create_cohorts(admin_user, supervisor, trainee):
    assert may_create_cohort(admin_user)
    assert may_create_cohort(supervisor)
    assert not may_create_cohort(trainee)


def test_a_trainee_who_supervises_a_junior_cohort_has_both_roles(cohort, trainee):
    junior = CohortFactory()
    MembershipFactory(cohort=junior, user=trainee, role=Role.SUPERVISOR)
    assert may(trainee, Action.MANAGE, junior)
    assert not may(trainee, Action.MANAGE, cohort)


def test_may_refuses_objects_it_has_no_rule_for(supervisor):
    with pytest.raises(TypeError):
        may(supervisor, Action.VIEW, UserFactory())
