from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.validators import validate_single_line


class Skill(models.TextChoices):
    REFLECTION_OF_FEELING = "reflection_of_feeling", "Reflection of feeling"
    OPEN_QUESTIONS = "open_questions", "Open questions"
    SUMMARISING = "summarising", "Summarising"
    RUPTURE_REPAIR = "rupture_repair", "Rupture repair"
    PARAPHRASING = "paraphrasing", "Paraphrasing"
    VALIDATION = "validation", "Validation"
    USING_SILENCE = "using_silence", "Using silence"
    EXPLORING_AMBIVALENCE = "exploring_ambivalence", "Exploring ambivalence"
    IMMEDIACY = "immediacy", "Immediacy"
    GOAL_SETTING = "goal_setting", "Goal setting"


def validate_skills(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one skill.")
    unknown = sorted(set(value) - set(Skill.values))
    if unknown:
        raise ValidationError("Unknown skills: %(skills)s", params={"skills": ", ".join(unknown)})


class Scenario(models.Model):
    """A client vignette. The intake summary is for the therapist; the client brief only for the
    client-role trainee, an observer and supervisors (see roleplay.permissions.may_read_brief)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scenarios",
        help_text="Empty for the starter scenarios that ship with Dyad.",
    )
    shared = models.BooleanField(
        default=False, help_text="Every supervisor in the programme may use it."
    )
    title = models.CharField(max_length=120, validators=[validate_single_line])
    presenting_concern = models.CharField(max_length=300, validators=[validate_single_line])
    difficulty = models.PositiveSmallIntegerField(
        choices=[(1, "1 — gentle"), (2, "2 — moderate"), (3, "3 — demanding")]
    )
    skills = models.JSONField(default=list, validators=[validate_skills])
    intake_summary = models.TextField(help_text="What the therapist-role trainee may read.")
    client_brief = models.TextField(
        help_text="History, affect, what the client wants, how to portray resistance. Only the "
        "client-role trainee, an observer and supervisors can read it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["difficulty", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=3), name="scenario_difficulty_1_3"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def skill_labels(self) -> list[str]:
        labels = dict(Skill.choices)
        return [labels.get(skill, skill) for skill in self.skills]


class ScenarioTally(models.Model):
    """Running totals of what a scenario's sessions said about it, so the library reads one row
    per scenario instead of aggregating every answer: completed sessions; the therapist-role
    trainees' portrayal realism answers and the client-role totals as stored at submit — each as
    count, sum and sum of squares (mean and spread follow) over each form's latest submitted
    revision. Written only by roleplay.services.scenario_totals, with F() updates in the same
    transaction as the submit or the completion; `scenario_totals_recompute` rebuilds them from
    scratch (the data migration and the tests compare with it)."""

    scenario = models.OneToOneField(
        Scenario, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    sessions_run = models.PositiveIntegerField(default=0)
    realism_n = models.PositiveIntegerField(default=0)
    realism_sum = models.DecimalField(max_digits=16, decimal_places=1, default=0)
    realism_sum_sq = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    client_n = models.PositiveIntegerField(default=0)
    client_sum = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    client_sum_sq = models.DecimalField(max_digits=24, decimal_places=4, default=0)

    def __str__(self) -> str:
        return f"Totals of scenario {self.scenario_id}"
