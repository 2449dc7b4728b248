from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.validators import validate_sane_date, validate_single_line

from .cohorts import Cohort
from .scenarios import Scenario


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"


class Round(models.Model):
    """One turn of practice: everyone present is in exactly one pairing, booked inside the window."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(max_length=120, validators=[validate_single_line])
    opens = models.DateTimeField(help_text="Booking window start.", validators=[validate_sane_date])
    closes = models.DateTimeField(help_text="Booking window end.", validators=[validate_sane_date])
    session_minutes = models.PositiveSmallIntegerField(default=50)
    status = models.CharField(max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    scenarios = models.ManyToManyField(
        Scenario,
        blank=True,
        related_name="+",
        help_text="This round's set, from which a client-role trainee may choose.",
    )
    guard_hours = models.PositiveSmallIntegerField(
        default=24,
        help_text="No booking, rescheduling or cancelling this close to the start without a supervisor.",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Free time kept between one trainee's sessions."
    )
    max_per_day = models.PositiveSmallIntegerField(
        default=2, help_text="Most sessions one trainee may have on one day."
    )
    max_per_week = models.PositiveSmallIntegerField(
        default=5, help_text="Most sessions one trainee may have in one week."
    )
    # The feedback forms of this round, per role; empty means the built-in one. Each names a
    # template family: a response uses the family's version current when it is started.
    client_template = models.ForeignKey(
        "roleplay.FeedbackTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"purpose": "client", "is_current": True},
    )
    therapist_template = models.ForeignKey(
        "roleplay.FeedbackTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"purpose": "therapist", "is_current": True},
    )
    observer_template = models.ForeignKey(
        "roleplay.FeedbackTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"purpose": "observer", "is_current": True},
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Rises with every change after publishing, so each change's notifications have their own key.
    revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="round_window_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(session_minutes__gte=10, session_minutes__lte=240),
                name="round_session_length_10_240",
            ),
        ]

    def __str__(self) -> str:
        # Not the cohort's name too: the admin calls this once per row and per option.
        return self.name

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.DRAFT


class RoundAbsence(models.Model):
    """A trainee who sits a round out (leave, illness): not paired, not counted as left out."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="absences")
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, validators=[validate_single_line])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "trainee"], name="absence_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.trainee} absent from {self.round}"


class PairingRole(models.TextChoices):
    CLIENT = "client", "Client"
    THERAPIST = "therapist", "Therapist"
    OBSERVER = "observer", "Observer"


class Pairing(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="pairings")
    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, null=True, blank=True, related_name="pairings"
    )
    client_chooses = models.BooleanField(
        default=False,
        help_text="The client-role trainee picks from the round's set before booking.",
    )
    locked = models.BooleanField(
        default=False, help_text="Kept as it is when the supervisor asks for suggestions."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "pk"]

    def __str__(self) -> str:
        return f"Pairing {self.pk}"


class PairingMember(models.Model):
    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="members")
    # Repeated from the pairing so the database can hold "one pairing per trainee per round".
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairing_memberships"
    )
    role = models.CharField(max_length=12, choices=PairingRole.choices)

    class Meta:
        ordering = ["pairing", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "trainee"], name="member_one_pairing_per_round"
            ),
            models.UniqueConstraint(fields=["pairing", "role"], name="member_one_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.trainee} as {self.get_role_display()}"


class BriefRead(models.Model):
    """A trainee was shown a scenario's client brief: they sat as client or observer in a pairing
    on it in a round trainees could see (published or closed). Recorded when that happens and
    kept whatever the pairing becomes later — what was read stays read — so the round editor can
    flag them when they are given the scenario as therapist (services.pairing.briefs_record)."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, choices=PairingRole.choices)
    first_shown_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "scenario", "role"], name="brief_read_once_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"Brief read ({self.get_role_display()})"


class DoNotPair(models.Model):
    """A dual relationship the supervisor recorded; the reason is for supervisors' eyes only."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="do_not_pair")
    trainee_a = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    trainee_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(trainee_a__lt=F("trainee_b")), name="do_not_pair_ordered"
            ),
            models.UniqueConstraint(
                fields=["cohort", "trainee_a", "trainee_b"], name="do_not_pair_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainee_a} ✕ {self.trainee_b}"
