"""Reciprocal feedback: templates made of items, responses with answers, scores stored at submit,
the once-per-session reveal, and each trainee's reflection and goal.

A template with responses is never edited in place: editing makes a new version in the same
family (services.feedback.template_edit), so an old response is shown and scored with the items
it was given on (invariant 6). Scores are computed once, at submit, by roleplay.scoring."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from .sessions import Session


class FeedbackPurpose(models.TextChoices):
    """Whose form it is: the role in the session of the person who fills it in."""

    CLIENT = "client", "Client role"
    THERAPIST = "therapist", "Therapist role"
    OBSERVER = "observer", "Observer"
    SUPERVISOR = "supervisor", "Supervisor"
    PORTRAYAL = "portrayal", "Client-role portrayal"


class Aggregate(models.TextChoices):
    SUM = "sum", "Sum"
    MEAN = "mean", "Mean"


class MissingRule(models.TextChoices):
    EXCLUDE = "exclude", "Leave unanswered items out"
    IMPUTE = "impute", "Replace up to k unanswered items by the subscale's mean"


class FeedbackTemplate(models.Model):
    """One version of a form. `family` ties the versions together; exactly one is current."""

    family = models.SlugField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    purpose = models.CharField(max_length=12, choices=FeedbackPurpose.choices)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    licence_note = models.CharField(
        max_length=300, help_text="Where the items come from and under what licence."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for programme-wide templates.",
    )
    aggregate = models.CharField(max_length=4, choices=Aggregate.choices, default=Aggregate.MEAN)
    missing_rule = models.CharField(
        max_length=8, choices=MissingRule.choices, default=MissingRule.EXCLUDE
    )
    impute_max = models.PositiveSmallIntegerField(
        default=0, help_text="k: most unanswered items per subscale replaced by the mean."
    )
    thresholds = models.JSONField(
        default=list,
        blank=True,
        help_text='Supervisor\'s own rules: [{"target": "", "op": "<=", "value": 36, '
        '"label": "total ≤ 36: discuss"}]; target "" is the total, a subscale name, or '
        '"item:<key>".',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="template_version_once"),
            models.UniqueConstraint(
                fields=["family"], condition=Q(is_current=True), name="template_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ItemKind(models.TextChoices):
    LIKERT = "likert", "Likert scale"
    SLIDER = "slider", "Slider 0–10"
    CHOICE = "choice", "Single choice"
    YES_NO = "yes_no", "Yes / no"
    COUNT = "count", "Count"
    TEXT = "text", "Free text"


SCORED_KINDS = (ItemKind.LIKERT, ItemKind.SLIDER, ItemKind.YES_NO, ItemKind.COUNT)


class FeedbackItem(models.Model):
    template = models.ForeignKey(FeedbackTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=40)
    kind = models.CharField(max_length=8, choices=ItemKind.choices)
    prompt = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    minimum = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    maximum = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    anchors = models.JSONField(
        default=list, blank=True, help_text="Labels from the lowest to the highest value."
    )
    choices = models.JSONField(default=list, blank=True, help_text="Options of a single choice.")
    max_length = models.PositiveIntegerField(default=2000)
    required = models.BooleanField(default=True)
    allow_na = models.BooleanField(default=False)
    reverse = models.BooleanField(default=False)
    subscale = models.CharField(max_length=40, blank=True)
    scored = models.BooleanField(default=True, help_text="Counts towards the scores.")
    parallel_key = models.SlugField(
        max_length=40,
        blank=True,
        help_text="The client-role item measuring the same thing from the other side.",
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="item_key_once"),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(maximum__gt=F("minimum")),
                name="item_max_above_min",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def counts_in_score(self) -> bool:
        return self.scored and self.kind in SCORED_KINDS


class ResponseState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class FeedbackResponse(models.Model):
    """One person's form about one trainee in one session. An amendment is a new row with the next
    `revision`; the latest submitted revision is the one read."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_written"
    )
    about = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_received"
    )
    purpose = models.CharField(max_length=12, choices=FeedbackPurpose.choices)
    template = models.ForeignKey(FeedbackTemplate, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(
        max_length=10, choices=ResponseState.choices, default=ResponseState.DRAFT
    )
    flags = models.JSONField(default=list, blank=True, help_text="Threshold rules met at submit.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "purpose", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author", "about", "purpose", "revision"],
                name="response_revision_once",
            ),
            models.UniqueConstraint(
                fields=["session", "author", "about", "purpose"],
                condition=Q(state="draft"),
                name="response_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(submitted_at__isnull=False),
                name="response_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["about", "state"])]

    def __str__(self) -> str:
        return f"Feedback {self.pk} r{self.revision} ({self.state})"

    @property
    def is_submitted(self) -> bool:
        return self.state == ResponseState.SUBMITTED


class FeedbackAnswer(models.Model):
    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(FeedbackItem, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    text = models.TextField(blank=True)
    is_na = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="answer_once_per_item")
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk}"


class FeedbackScore(models.Model):
    """A score stored at submit; `value` NULL means "not scorable" (never 0)."""

    response = models.ForeignKey(FeedbackResponse, on_delete=models.CASCADE, related_name="scores")
    subscale = models.CharField(max_length=40, blank=True, help_text="Empty for the total.")
    value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    items_used = models.PositiveSmallIntegerField()
    imputed = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["response", "-subscale"]
        constraints = [
            models.UniqueConstraint(fields=["response", "subscale"], name="score_once_per_subscale")
        ]
        # The cohort view reads a cohort's mirrored scores by response: value included, so
        # PostgreSQL answers from the index alone (an index-only scan, no heap visit per score).
        indexes = [
            models.Index(
                fields=["response", "subscale"], include=["value"], name="score_response_cover"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscale or 'total'}: {self.value if self.value is not None else '—'}"


class RevealReason(models.TextChoices):
    BOTH_SUBMITTED = "both_submitted", "Everyone submitted"
    WINDOW_CLOSED = "window_closed", "The feedback window closed"
    SUPERVISOR = "supervisor", "Released by a supervisor"


class FeedbackReveal(models.Model):
    """The moment trainees may read what was written about them: once per session (the one-to-one
    is the database's guarantee that two submitters at once make one reveal)."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="reveal")
    revealed_at = models.DateTimeField()
    reason = models.CharField(max_length=16, choices=RevealReason.choices)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Reveal of session {self.session_id}"


class GoalTried(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "Not yet"


class Reflection(models.Model):
    """After the reveal: how useful the received feedback was (seen by its author's supervisors),
    a private reflection, and one goal shown on the trainee's next session."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="reflections")
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reflections"
    )
    usefulness = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(blank=True, max_length=4000)
    goal = models.CharField(max_length=300, blank=True)
    goal_tried = models.CharField(max_length=8, choices=GoalTried.choices, blank=True)
    goal_tried_note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "trainee"], name="reflection_once"),
            models.CheckConstraint(
                condition=Q(usefulness__isnull=True) | Q(usefulness__gte=1, usefulness__lte=5),
                name="reflection_usefulness_1_5",
            ),
        ]
        # The cohort view joins each form to its subject's reflection for the usefulness rating.
        indexes = [
            models.Index(
                fields=["session", "trainee"], include=["usefulness"], name="reflection_cover"
            )
        ]

    def __str__(self) -> str:
        return f"Reflection {self.pk}"
