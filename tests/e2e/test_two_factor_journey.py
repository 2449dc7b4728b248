"""Two-factor sign-in in a real browser, under the real Content-Security-Policy: allauth's pages
(the QR code, the recovery codes' script, the security-key scripts) must work with no inline
script or style, and the browser must report no violation on any page visited."""

import time

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Every Content-Security-Policy violation Chromium reports on `page`."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def confirm_password(page: Page) -> None:
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()


def current_code(secret: str) -> str:
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def test_a_supervisor_sets_up_an_authenticator_app_when_required_and_signs_in_with_it(
    live_server, settings, page: Page, csp_violations, time_machine
):
    """The clock stands still so that a code cannot cross into the next 30-second period between
    being computed and being checked."""
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    settings.DYAD_REQUIRE_MFA = True
    UserFactory(is_supervisor=True, display_name="Sam Supervisor", email="sam@example.org")

    sign_in(page, live_server.url, "sam@example.org")
    expect(page.get_by_role("status")).to_contain_text(
        "add an authenticator app or a security key to continue"
    )
    page.get_by_role("link", name="Activate").click()
    confirm_password(page)
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    qr = page.locator("img[src^='data:image/svg+xml']")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    expect(page.get_by_text("There are 10 out of 10 recovery codes available.")).to_be_visible()

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign Out").click()
    sign_in(page, live_server.url, "sam@example.org")
    page.get_by_label("Code").fill(current_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello, Sam Supervisor")).to_be_visible()
    assert csp_violations == []


def test_a_trainee_adds_a_security_key_and_signs_in_with_it(
    live_server, page: Page, csp_violations
):
    """Chromium's virtual authenticator (DevTools protocol) stands in for a USB key or a phone."""
    UserFactory(display_name="Tess Trainee", email="tess@example.org")
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    sign_in(page, live_server.url, "tess@example.org")
    page.get_by_role("link", name="Tess Trainee").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.get_by_role("link", name="Add").click()
    confirm_password(page)
    page.get_by_label("Name").fill("My key")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_contain_text("Security key added.")
    expect(page.get_by_text("There are 10 out of 10 recovery codes available.")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Manage").click()
    expect(page.get_by_role("cell", name="My key")).to_be_visible()

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign Out").click()
    sign_in(page, live_server.url, "tess@example.org")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Hello, Tess Trainee")).to_be_visible()
    assert csp_violations == []
