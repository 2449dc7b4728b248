from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Dyad's glue to allauth: sign-up can be closed for a programme that only admits by invitation
    (DYAD_OPEN_SIGNUP=false); invitations create accounts themselves and are not affected."""

    def is_open_for_signup(self, request) -> bool:
        return settings.DYAD_OPEN_SIGNUP
