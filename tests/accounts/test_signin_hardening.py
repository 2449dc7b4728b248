"""Sign-in hardening (issue 7, items 4, 5 and 8): the admin's sign-in is allauth's, rate limits
that one person cannot turn against another, the client address behind a proxy, and what a
password reset ends."""

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from roleplay.services import calendar as calendar_service
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts. Try again later."


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def page_text(response) -> str:
    return response.content.decode()


def test_admin_sign_in_sends_everyone_to_the_rate_limited_sign_in(client, admin_user):
    """40 wrong passwords in a row at /admin/login/: the admin's own form never checks one, each
    is sent to allauth's sign-in, where the limits refuse them."""
    redirects = [
        client.post(
            "/admin/login/?next=/admin/", {"username": admin_user.email, "password": "wrong"}
        )
        for _ in range(40)
    ]
    assert {r.status_code for r in redirects} == {302}
    assert {r["Location"] for r in redirects} == {"/accounts/login/?next=%2Fadmin%2F"}

    answers = [sign_in(client, admin_user.email, "wrong") for _ in range(40)]
    assert [WRONG_PASSWORD in page_text(r) for r in answers[:5]] == [True] * 5
    assert [LOCKED in page_text(r) for r in answers[5:30]] == [True] * 25
    assert [r.status_code for r in answers[30:]] == [429] * 10
    assert "Too many attempts" in page_text(answers[-1])


def test_admin_signs_in_through_allauth_and_reaches_the_admin(client, admin_user):
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": admin_user.email, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/admin/"
    assert "Dyad administration" in page_text(response)


def test_failed_sign_ins_from_one_address_are_refused_across_accounts(client):
    """The per-address limit stays strict: 10 failures a minute, whichever accounts they try."""
    people = [UserFactory() for _ in range(11)]
    for person in people[:10]:
        assert WRONG_PASSWORD in page_text(sign_in(client, person.email, "wrong"))
    response = sign_in(client, people[10].email)
    assert LOCKED in page_text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_a_stranger_cannot_lock_the_owner_out_of_a_device_they_signed_in_on(client):
    """Five wrong passwords from strangers lock the account for unknown devices only; the owner's
    browser, which signed in before and has not failed since, still gets in."""
    owner = UserFactory(email="olu@example.org")
    sign_in(client, owner.email, REMOTE_ADDR="203.0.113.5")
    client.post(reverse("account_logout"))

    stranger = Client()
    for n in range(5):
        sign_in(stranger, owner.email, "wrong", REMOTE_ADDR=f"198.51.100.{n}")
    refused = sign_in(Client(), owner.email, REMOTE_ADDR="198.51.100.99")
    assert LOCKED in page_text(refused)

    response = client.post(
        reverse("account_login"),
        {"login": owner.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.5",
        follow=True,
    )
    assert f"Hello, {owner.name}" in page_text(response)


def test_a_known_device_that_keeps_failing_is_locked_too(client):
    owner = UserFactory(email="pia@example.org")
    sign_in(client, owner.email)
    client.post(reverse("account_logout"))
    for _ in range(5):
        assert WRONG_PASSWORD in page_text(sign_in(client, owner.email, "wrong"))
    response = sign_in(client, owner.email)
    assert LOCKED in page_text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(client):
    """With no trusted proxy (the default) the header is ignored: changing it does not make a
    new address."""
    people = [UserFactory() for _ in range(11)]
    for n, person in enumerate(people[:10]):
        sign_in(client, person.email, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = sign_in(client, people[10].email, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert LOCKED in page_text(response)


def test_behind_one_trusted_proxy_the_address_it_saw_is_counted(client, settings):
    """One proxy of ours appends the address it saw; whatever a client put before it is ignored,
    and two clients behind the same proxy are counted apart."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    people = [UserFactory() for _ in range(12)]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n, person in enumerate(people[:10]):
        sign_in(
            client,
            person.email,
            "wrong",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.1",
            **proxy,
        )
    locked = sign_in(client, people[10].email, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert LOCKED in page_text(locked)
    other = sign_in(Client(), people[11].email, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.wsgi_request.user == people[11]


def test_failures_in_another_web_process_count_here_with_the_production_cache(client, settings):
    """Production requires CACHE_URL to be Redis (tests/test_settings.py); this is why. Five wrong
    passwords typed at another web process — a real second process — lock the account here
    too. With a cache of each process's own, every process counted alone."""
    cache_url = django_settings.REDIS_URL  # this test run's own Redis database
    settings.CACHES = {"default": environ.Env.cache_url_config(cache_url)}
    # A fresh account and address, so that counters left in Redis by an earlier run do not count.
    email = f"vic{random.randrange(10**9)}@example.org"
    address = f"198.51.100.{random.randrange(1, 255)}"
    database = settings.DATABASES["default"]
    other_process = (
        "from django.test import Client\n"
        "for _ in range(5):\n"
        f"    Client(REMOTE_ADDR='{address}').post("
        f"'/accounts/login/', {{'login': '{email}', 'password': 'wrong'}})\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", other_process],
        cwd=Path(django_settings.BASE_DIR),
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CACHE_URL": cache_url,
            "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**database),
        },
        check=True,
        capture_output=True,
        timeout=120,
    )

    UserFactory(email=email)
    response = sign_in(client, email, REMOTE_ADDR="203.0.113.77")
    assert LOCKED in page_text(response)
    assert not response.wsgi_request.user.is_authenticated


# --- password reset and session lengths ----------------------------------------------------------


def reset_password(email: str, new_password: str = "brand-new-secret") -> None:
    client = Client()
    client.post(reverse("account_reset_password"), {"email": email})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": new_password, "password2": new_password})


def test_password_reset_revokes_the_calendar_feed_link(client):
    user = UserFactory(email="quinn@example.org")
    token = calendar_service.calendar_feed_create(user=user)
    feed_url = reverse("calendar_feed", args=[token])
    assert client.get(feed_url).status_code == 200

    reset_password(user.email)

    response = client.get(feed_url)
    assert (response.status_code, "BEGIN:VCALENDAR" in page_text(response)) == (404, False)


def test_password_reset_signs_out_every_other_session(client):
    """Django checks each session's password hash on every request: the reset changes the hash,
    so a session opened before it (a stolen cookie, say) is anonymous from then on."""
    user = UserFactory(email="rae@example.org")
    sign_in(client, user.email)
    assert f"Hello, {user.name}" in page_text(client.get(reverse("dashboard")))

    reset_password(user.email)

    response = client.get(reverse("dashboard"))
    assert response["Location"] == "/accounts/login/?next=/"


def test_sessions_last_the_configured_length(client, settings):
    settings.SESSION_COOKIE_AGE = 3 * 24 * 3600
    user = UserFactory()
    client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "remember": "on"}
    )
    assert client.session.get_expiry_age() == 3 * 24 * 3600


@pytest.mark.parametrize("remember", ["on", ""])
def test_admin_sessions_are_shorter(client, settings, admin_user, remember):
    settings.DYAD_ADMIN_SESSION_AGE = 8 * 3600
    client.post(
        reverse("account_login"),
        {"login": admin_user.email, "password": PASSWORD, "remember": remember},
    )
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.cookies["sessionid"]["max-age"] == 8 * 3600
