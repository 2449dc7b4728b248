from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.timezones import timezone_choices, validate_timezone
from accounts.validators import validate_sane_date, validate_single_line


class Role(models.TextChoices):
    TRAINEE = "trainee", "Trainee"
    SUPERVISOR = "supervisor", "Supervisor"


class RevealPolicy(models.TextChoices):
    AUTO = "auto", "When everyone has submitted, or the window closes"
    SUPERVISOR = "supervisor", "When a supervisor releases it"


class Cohort(models.Model):
    """A group of trainees who practise together over one term, with its supervisors."""

    name = models.CharField(max_length=120, validators=[validate_single_line])
    term_start = models.DateField(validators=[validate_sane_date])
    term_end = models.DateField(validators=[validate_sane_date])
    time_zone = models.CharField(
        max_length=64,
        choices=timezone_choices,
        validators=[validate_timezone],
        default="UTC",
        help_text="Where the programme meets; booking windows are set in this zone.",
    )
    feedback_window_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Days after a session in which its feedback is written.",
    )
    reveal_policy = models.CharField(
        max_length=12,
        choices=RevealPolicy.choices,
        default=RevealPolicy.AUTO,
        help_text="When trainees may read the feedback written about them.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-term_start", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=F("term_start")), name="cohort_term_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class CohortMembership(models.Model):
    """A person's role in one cohort. Ending a membership keeps the row, so history stays whole."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "role", "user__display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "user"],
                condition=Q(ended_at__isnull=True),
                name="membership_one_active_per_cohort",
            )
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.cohort}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def usable(self):
        return self.pending().filter(expires_at__gt=timezone.now())


# After this many failed sends an invitation is given up on ("failed") until someone resends it.
INVITATION_MAX_SEND_ATTEMPTS = 5


class Invitation(models.Model):
    """An emailed, single-use, expiring invitation to join a cohort.

    The link carries a token signed with SECRET_KEY (see services.invitations), so no secret is
    stored here; `sent_at` is claimed by a conditional update so the email goes out once."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True, validators=[validate_single_line])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TRAINEE)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            )
        ]
        indexes = [models.Index(fields=["sent_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.cohort}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.sent_at:
            return "sent"
        if self.send_attempts >= INVITATION_MAX_SEND_ATTEMPTS and self.sending_since is None:
            return "failed"
        return "queued"
