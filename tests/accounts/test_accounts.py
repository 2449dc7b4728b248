import re
import zoneinfo
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_signup_asks_to_verify_the_email_before_signing_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Ada@Example.org",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
            "display_name": "Ada Lovelace",
            "time_zone": "Europe/Paris",
        },
        follow=True,
    )
    assert "Verify Your Email Address" in response.content.decode()
    user = User.objects.get()
    assert (user.email, user.display_name, user.time_zone) == (
        "ada@example.org",
        "Ada Lovelace",
        "Europe/Paris",
    )
    assert not EmailAddress.objects.get(user=user).verified

    (message,) = mail.outbox
    confirm_page = client.get(link_in(message))
    assert confirm_page.status_code == 200
    client.post(link_in(message))
    assert EmailAddress.objects.get(user=user).verified


def test_login_is_by_email_and_case_insensitive(client):
    user = UserFactory(email="ben@example.org")
    response = client.post(
        reverse("account_login"), {"login": "BEN@example.org", "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == user
    assert f"Hello, {user.name}" in response.content.decode()


def test_failed_logins_are_rate_limited(client):
    UserFactory(email="carol@example.org")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "carol@example.org", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "carol@example.org", "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_password_reset_by_email(client):
    user = UserFactory(email="dev@example.org")
    client.post(reverse("account_reset_password"), {"email": "dev@example.org"})
    (message,) = mail.outbox
    form_url = client.get(link_in(message), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": "brand-new-secret", "password2": "brand-new-secret"})
    user.refresh_from_db()
    assert user.check_password("brand-new-secret")


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another-secret-1", "password2": "another-secret-1"},
    )
    user.refresh_from_db()
    assert user.check_password("another-secret-1")


def test_profile_changes_name_and_time_zone(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("profile"), {"display_name": "New Name", "time_zone": "Asia/Tokyo"}, follow=True
    )
    assert "Your profile is saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.time_zone) == ("New Name", "Asia/Tokyo")


def test_profile_refuses_an_unknown_time_zone(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"display_name": "X", "time_zone": "Mars/Olympus"})
    assert "Select a valid choice." in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Europe/London"


def test_times_are_shown_in_the_viewers_zone(client, rf):
    """Stored in UTC; the middleware switches to the signed-in user's zone for the request."""
    user = UserFactory(time_zone="America/New_York")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert "Times shown in America/New_York" in response.content.decode()
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
        shown = Template("{{ t|date:'H:i' }}").render(Context({"t": moment}))
    assert shown == "08:00"


def test_email_addresses_are_stored_lower_case_and_unique():
    UserFactory(email="Eve@Example.org")
    assert User.objects.get().email == "eve@example.org"
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="EVE@example.org", password="x")


def test_superuser_is_a_programme_admin():
    user = User.objects.create_superuser(email="root@example.org", password="x")
    assert user.is_programme_admin and user.is_staff


def test_signup_can_be_closed_while_invitations_still_work(client, settings):
    settings.DYAD_OPEN_SIGNUP = False
    response = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode()
