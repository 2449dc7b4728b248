"""Site-wide bits: the icon browsers ask for, the sign-in and sign-up pages in Dyad's words, and
`make run`'s emails printed readably."""

import io
import re

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_every_page_names_its_icon(client):
    page = client.get(reverse("account_login")).content.decode()
    assert re.search(
        r'<link rel="icon" href="/static/favicon[.\w]*svg" type="image/svg\+xml">', page
    )


def test_the_sign_in_page_speaks_like_the_rest_of_dyad(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "<title>Sign in · Dyad</title>" in page
    assert "<h1>Sign in</h1>" in page
    assert '<button type="submit">Sign in</button>' in page
    assert re.search(r'<label for="id_login">Email address', page)
    assert re.search(
        r"<label><input [^>]*name=\"remember\"[^>]*> Keep me signed in on this device</label>", page
    )
    assert "Remember Me" not in page and "Sign In" not in page


def test_the_sign_up_page_speaks_like_the_rest_of_dyad(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert "<h1>Create your account</h1>" in page
    assert '<button type="submit">Create account</button>' in page
    assert "Sign Up" not in page and "Signup" not in page


def test_make_run_prints_emails_readably():
    from config.console_email import EmailBackend

    message = EmailMultiAlternatives(
        subject="[Dyad] Chloé proposes Thursday 04 March, 10:00 (Europe/London)",
        body="Hello Ana,\n\nChloé proposes a time — confirm it here: http://127.0.0.1:8000/s/1/\n",
        from_email="Dyad <dyad@localhost>",
        to=["ana@example.org"],
    )
    message.attach_alternative("<p>Hello Ana</p>", "text/html")
    terminal = io.StringIO()
    EmailBackend(stream=terminal).send_messages([message])
    rule = "─" * 72
    assert terminal.getvalue() == (
        f"{rule}\n"
        "From:    Dyad <dyad@localhost>\n"
        "To:      ana@example.org\n"
        "Subject: [Dyad] Chloé proposes Thursday 04 March, 10:00 (Europe/London)\n"
        "\n"
        "Hello Ana,\n"
        "\n"
        "Chloé proposes a time — confirm it here: http://127.0.0.1:8000/s/1/\n"
        "\n"
        "(Also sent as text/html; not shown here.)\n"
        f"{rule}\n"
        "\n"
    )


def test_make_run_uses_the_readable_console_and_takes_extra_hosts(monkeypatch):
    import importlib

    import config.settings.local as local

    # The module sets these defaults in os.environ; set here, monkeypatch takes them back after.
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.setenv("SECRET_KEY", "local")
    monkeypatch.setenv("ALLOWED_HOSTS", "192.168.1.20")
    settings = importlib.reload(local)
    assert settings.EMAIL_BACKEND == "config.console_email.EmailBackend"
    assert settings.ALLOWED_HOSTS == ["127.0.0.1", "localhost", "[::1]", "192.168.1.20"]
