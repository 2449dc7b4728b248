"""What else a password reset ends. The signal is allauth's; the work is a service's."""

from allauth.account.signals import password_reset
from django.dispatch import receiver

from roleplay.services.calendar import calendar_feed_revoke


@receiver(password_reset, dispatch_uid="accounts.revoke_on_password_reset")
def revoke_on_password_reset(sender, request, user, **kwargs) -> None:
    """A reset means the password may have been known to someone else, so the calendar feed
    link (a bearer secret) stops working too. Other sessions need nothing here: the new password
    changes the session hash Django checks on every request, so they are signed out already."""
    calendar_feed_revoke(user=user)
