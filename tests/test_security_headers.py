"""Security headers (issue 7, item 7): a Content-Security-Policy with no 'unsafe-inline' and a
Permissions-Policy on every page, and no template that would need either relaxed."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CSP = {
    "default-src 'self'",
    "base-uri 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "media-src 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/no/such/page/"])
def test_every_page_sends_the_policies(client, trainee, path):
    if path != "/accounts/login/":
        client.force_login(trainee)
    response = client.get(path)
    assert set(response["Content-Security-Policy"].split("; ")) == CSP
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


# What a browser would block under `script-src 'self'; style-src 'self'`: a <style> block, a
# style="" attribute, an on…="" handler, a javascript: link, or a <script> without src. A script
# element that only carries JSON data (type="application/json") runs nothing and is allowed.
INLINE = re.compile(
    r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:"
    r"|<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
    re.IGNORECASE,
)


def test_no_page_template_has_inline_script_or_style():
    """Email templates are left out: a mail client is not a browser under our policy and needs
    inline styles."""
    root = Path(settings.BASE_DIR) / "templates"
    pages = [p for p in root.rglob("*.html") if "emails" not in p.relative_to(root).parts]
    found = {
        str(p.relative_to(root)): INLINE.findall(p.read_text())
        for p in pages
        if INLINE.search(p.read_text())
    }
    assert pages
    assert found == {}
