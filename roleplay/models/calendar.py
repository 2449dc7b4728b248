"""A person's private calendar feed: a secret link their calendar app polls without logging in."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CalendarFeed(models.Model):
    """Holds only a sha256 of the feed's secret token, never the token itself: a copy of the
    database does not hand out working feed links. Getting a new link replaces the hash, so the
    old link stops working at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Set again on every new link: it dates the link in use, not the first one.
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
