"""Two-factor sign-in (issue 7, item 6): an authenticator app and recovery codes for everyone,
required of supervisors and programme admins when DYAD_REQUIRE_MFA is on. Security keys
(WebAuthn) need a browser: tests/e2e/test_two_factor_journey.py."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from roleplay.models import Role
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _still_clock(time_machine):
    """A code computed in one 30-second period is checked in the same one."""
    time_machine.move_to("2026-11-30 09:00:00+00:00", tick=False)


def current_code(secret: str) -> str:
    """What the person's authenticator app shows now (RFC 6238, as allauth checks it)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def sign_in(client: Client, user, **extra):
    return client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, **extra
    )


def confirm_password(client: Client) -> None:
    """allauth asks for the password again before a second factor is added."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def activate_totp(client: Client) -> str:
    """Set up an authenticator app on the signed-in account the way a person does; the secret
    shown on the page is what they would scan."""
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    return secret


def test_anyone_can_add_an_authenticator_app_and_gets_recovery_codes(client):
    from allauth.mfa.models import Authenticator

    trainee = MembershipFactory(role=Role.TRAINEE).user
    sign_in(client, trainee)
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(
        reverse("mfa_activate_totp"), {"code": current_code(secret)}, follow=True
    )
    assert response.redirect_chain == [(reverse("mfa_view_recovery_codes"), 302)]
    assert "There are 10 out of 10 recovery codes available." in response.content.decode()
    kinds = set(Authenticator.objects.filter(user=trainee).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_signing_in_with_an_authenticator_app_asks_for_its_code(client, time_machine):
    """A day after setting the app up, the code of that moment signs in."""
    user = UserFactory(display_name="Tess")
    sign_in(client, user)
    secret = activate_totp(client)
    client.post(reverse("account_logout"))

    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    response = sign_in(client, user)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not client.get(reverse("dashboard")).wsgi_request.user.is_authenticated

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)}, follow=True)
    assert "Hello, Tess" in response.content.decode()


def test_a_recovery_code_signs_in_once(client):
    from allauth.mfa.models import Authenticator

    user = UserFactory(display_name="Uma")
    sign_in(client, user)
    activate_totp(client)
    client.post(reverse("account_logout"))
    code = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()[0]
    )

    sign_in(client, user)
    response = client.post(reverse("mfa_authenticate"), {"code": code}, follow=True)
    assert "Hello, Uma" in response.content.decode()
    client.post(reverse("account_logout"))

    sign_in(client, user)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert "Incorrect code." in response.content.decode()


@pytest.fixture
def require_mfa(settings):
    settings.DYAD_REQUIRE_MFA = True


def test_a_supervisor_without_mfa_is_sent_to_set_it_up(client, require_mfa, supervisor, cohort):
    sign_in(client, supervisor)
    response = client.get(reverse("dashboard"), follow=True)
    assert response.redirect_chain == [(reverse("mfa_index"), 302)]
    page = response.content.decode()
    assert (
        "Supervisors and admins protect their account with a second factor: add an "
        "authenticator app or a security key to continue." in page
    )
    assert "An authenticator app is not active." in page
    assert client.get(reverse("my_pairings"))["Location"] == reverse("mfa_index")


def test_a_programme_admin_without_mfa_is_sent_to_set_it_up(client, require_mfa, admin_user):
    sign_in(client, admin_user)
    response = client.get("/admin/")
    assert response["Location"] == reverse("mfa_index")


def test_a_supervisor_with_mfa_goes_on(client, require_mfa, supervisor, cohort):
    sign_in(client, supervisor)
    secret = activate_totp(client)
    client.post(reverse("account_logout"))
    sign_in(client, supervisor)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    response = client.get(reverse("dashboard"))
    assert f"Hello, {supervisor.name}" in response.content.decode()


def test_trainees_and_former_supervisors_are_not_asked(client, require_mfa, cohort):
    trainee = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    former = MembershipFactory(cohort=cohort, role=Role.SUPERVISOR, ended_at="2026-01-01T00:00Z")
    for person in (trainee, former.user):
        other = Client()
        sign_in(other, person)
        response = other.get(reverse("dashboard"))
        assert f"Hello, {person.name}" in response.content.decode()


def test_with_mfa_not_required_a_supervisor_goes_straight_on(client, settings, supervisor, cohort):
    settings.DYAD_REQUIRE_MFA = False
    sign_in(client, supervisor)
    response = client.get(reverse("dashboard"))
    assert f"Hello, {supervisor.name}" in response.content.decode()
