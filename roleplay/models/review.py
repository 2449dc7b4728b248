"""The supervisor's review of a session's feedback: the flags worked out once when feedback is
submitted (so the review queue reads them, never re-derives them), and who reviewed it when."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .sessions import Session


class SessionReview(models.Model):
    """One row per session once any of its feedback is submitted. `flags` holds the reasons a
    supervisor should look first ([{"kind": ..., "label": ...}]); "a submission is missing after
    the window" depends on the clock, so the queue works that one out when it is read."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="review")
    complete = models.BooleanField(default=False, help_text="Every trainee's form is submitted.")
    flags = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False),
                name="review_has_reviewer",
            )
        ]
        indexes = [models.Index(fields=["reviewed_at", "flagged"])]

    def __str__(self) -> str:
        return f"Review of session {self.session_id}"
