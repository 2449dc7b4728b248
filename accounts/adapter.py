import hashlib
import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing

from .validators import one_line

# A browser that has signed in to an account carries this signed cookie; see pre_authenticate.
KNOWN_DEVICE_COOKIE = "dyad_device"
KNOWN_DEVICE_SALT = "dyad.accounts.known-device"
KNOWN_DEVICE_AGE = 365 * 24 * 3600


def _account_fingerprint(login_key: str) -> str:
    """The cookie names its account by a hash, so it does not carry the email address around."""
    return hashlib.sha256(login_key.encode()).hexdigest()[:32]


def session_length_for(user) -> int:
    """Seconds a new session lasts: shorter for the people who can see every cohort."""
    if user.is_programme_admin or user.is_staff:
        return settings.DYAD_ADMIN_SESSION_AGE
    return settings.SESSION_COOKIE_AGE


class AccountAdapter(DefaultAccountAdapter):
    """Dyad's glue to allauth: sign-up can be closed for a programme that only admits by invitation
    (DYAD_OPEN_SIGNUP=false); invitations create accounts themselves and are not affected.

    It also keeps allauth's per-account limit on failed sign-ins from becoming a way to lock
    someone out, and shortens admins' sessions."""

    def is_open_for_signup(self, request) -> bool:
        return settings.DYAD_OPEN_SIGNUP

    def _known_device(self, request, login_key: str) -> str | None:
        """The id of this browser if it has signed in to this account before, else None."""
        try:
            value = request.get_signed_cookie(
                KNOWN_DEVICE_COOKIE, salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_AGE
            )
        except (KeyError, signing.BadSignature):
            return None
        device, _, account = value.partition(":")
        return device if account == _account_fingerprint(login_key) else None

    def pre_authenticate(self, request, **credentials) -> None:
        """Count a failed sign-in against the client address (always) and against the account.

        allauth's per-account limit (5 failures in 5 minutes) stops guessing one person's
        password from many addresses, but it also let anyone lock anyone out by typing wrong
        passwords for them. So the account's count is kept apart for each browser that has signed
        in to it before: a stranger's failures lock the account for unknown browsers only, while
        the owner's own browser — as long as it has not itself failed 5 times — still gets in with
        the right password. The per-address limit applies to every try either way. We chose this
        over a CAPTCHA (a third party on the sign-in page) and over a growing back-off (which an
        attacker can keep at its maximum just the same).
        """
        key = self._get_login_attempts_cache_key(request, **credentials)
        device = self._known_device(request, key)
        if device:
            key = f"{key}:device:{device}"
        self._login_failed_rl_usage = ratelimit.consume(
            request, app="allauth.account", action="login_failed", key=key
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")

    def login(self, request, user) -> None:
        super().login(request, user)
        request.session.set_expiry(session_length_for(user))

    def post_login(self, request, user, **kwargs):
        """Remember this browser as one that signed in to this account (see pre_authenticate)."""
        response = super().post_login(request, user, **kwargs)
        key = self._get_login_attempts_cache_key(request, email=user.email)
        device = self._known_device(request, key) or secrets.token_urlsafe(16)
        response.set_signed_cookie(
            KNOWN_DEVICE_COOKIE,
            f"{device}:{_account_fingerprint(key)}",
            salt=KNOWN_DEVICE_SALT,
            max_age=KNOWN_DEVICE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def format_email_subject(self, subject: str) -> str:
        return one_line(super().format_email_subject(subject))
