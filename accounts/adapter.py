from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from .validators import one_line


class AccountAdapter(DefaultAccountAdapter):
    """Dyad's glue to allauth: sign-up can be closed for a programme that only admits by invitation
    (DYAD_OPEN_SIGNUP=false); invitations create accounts themselves and are not affected."""

    def is_open_for_signup(self, request) -> bool:
        return settings.DYAD_OPEN_SIGNUP

    def format_email_subject(self, subject: str) -> str:
        return one_line(super().format_email_subject(subject))
