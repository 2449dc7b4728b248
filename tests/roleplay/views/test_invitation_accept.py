import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.models import CohortMembership
from roleplay.services.invitations import invitation_token
from tests.factories import PASSWORD, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db


def accept_url(invitation) -> str:
    return reverse("invitation_accept", args=[invitation_token(invitation)])


def test_a_newcomer_creates_an_account_and_lands_on_their_dashboard(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="new@example.org", name="Nia")
    page = client.get(accept_url(invitation)).content.decode()
    assert "Join Year 1" in page and "new@example.org" in page
    assert 'value="Nia"' in page

    response = client.post(
        accept_url(invitation),
        {
            "display_name": "Nia Okoro",
            "time_zone": "Africa/Lagos",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Welcome to Dyad and to Year 1." in page
    assert "Your cohorts" in page and "Year 1" in page
    user = User.objects.get(email="new@example.org")
    assert response.context["user"] == user
    assert CohortMembership.objects.filter(cohort=cohort, user=user).exists()


def test_the_signup_form_explains_each_problem(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="new@example.org")
    response = client.post(
        accept_url(invitation),
        {"display_name": "", "time_zone": "Nowhere/City", "password1": "abc", "password2": "abd"},
    )
    page = response.content.decode()
    assert "This field is required." in page
    assert "Select a valid choice." in page
    assert "The two passwords are not the same." in page
    assert not User.objects.filter(email="new@example.org").exists()


def test_a_weak_password_is_refused(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="new@example.org")
    response = client.post(
        accept_url(invitation),
        {"display_name": "N", "time_zone": "UTC", "password1": "password", "password2": "password"},
    )
    assert "This password is too common." in response.content.decode()


def test_someone_with_an_account_is_asked_to_sign_in_then_joins(client, cohort):
    user = UserFactory(email="known@example.org")
    invitation = InvitationFactory(cohort=cohort, email="known@example.org")
    url = accept_url(invitation)
    page = client.get(url).content.decode()
    assert "You already have a Dyad account." in page
    assert f"{reverse('account_login')}?next={url}" in page

    client.force_login(user)
    response = client.post(url, follow=True)
    assert "Welcome to Year 1." in response.content.decode()
    assert CohortMembership.objects.filter(cohort=cohort, user=user).exists()


def test_signed_in_as_someone_else_is_told_so(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="meant@example.org")
    client.force_login(UserFactory(email="other@example.org"))
    page = client.get(accept_url(invitation)).content.decode()
    assert "You are signed in as other@example.org, but this invitation is for" in page
    page = client.post(accept_url(invitation), follow=True).content.decode()
    assert "This invitation is for meant@example.org" in page
    assert not CohortMembership.objects.filter(cohort=cohort, user__email="other@example.org")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"accepted_at": timezone.now()}, "This invitation was already used."),
        ({"revoked_at": timezone.now()}, "This invitation was withdrawn."),
        ({"expires_at": timezone.now()}, "This invitation has expired."),
    ],
)
def test_an_unusable_link_says_why(client, cohort, change, reason):
    invitation = InvitationFactory(cohort=cohort, **change)
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert reason in response.content.decode()


def test_a_forged_link_is_refused(client):
    response = client.get(reverse("invitation_accept", args=["garbage"]))
    assert response.status_code == 410
    assert "This invitation link is not valid." in response.content.decode()


def test_an_account_created_meanwhile_is_not_overwritten(client, cohort):
    invitation = InvitationFactory(cohort=cohort, email="race@example.org")
    form = client.get(accept_url(invitation))
    assert form.status_code == 200
    UserFactory(email="race@example.org")
    response = client.post(
        accept_url(invitation),
        {"display_name": "R", "time_zone": "UTC", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert "You already have a Dyad account." in response.content.decode()
    assert len(mail.outbox) == 0
