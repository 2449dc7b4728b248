from django.conf import settings
from django.db import models

from .cohorts import Cohort


class PlanState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SOLVING = "solving", "Solving"
    READY = "ready", "Ready"
    FAILED = "failed", "No plan possible"


class TermPlan(models.Model):
    """The latest plan of a cohort's whole term, made by the term planner in a Celery task.

    ``schedule`` holds the planned rounds from round ``first_round`` (0-based; the rounds held
    before it are fixed), each a list of ``[client, therapist, observer or null]`` user ids.
    ``basis`` is what the plan was made from (held rounds, absences, do-not-pair, locks): when
    it no longer matches the cohort, the plan is out of date and is re-planned."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="term_plan")
    rounds = models.PositiveSmallIntegerField(help_text="Rounds in the term, held ones included.")
    state = models.CharField(max_length=10, choices=PlanState.choices, default=PlanState.QUEUED)
    source = models.CharField(max_length=10, blank=True)  # "solver" or "fallback"
    first_round = models.PositiveSmallIntegerField(default=0)
    schedule = models.JSONField(default=list, blank=True)
    basis = models.JSONField(default=dict, blank=True)
    first_repeat = models.PositiveSmallIntegerField(null=True, blank=True)
    proven = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=PlanState.values), name="term_plan_state_known"
            )
        ]

    def __str__(self) -> str:
        return f"Term plan {self.pk} ({self.get_state_display()})"


class TermPlanLock(models.Model):
    """A grid cell the supervisor locked: this trainee's group in this round is kept on re-plan."""

    plan = models.ForeignKey(TermPlan, on_delete=models.CASCADE, related_name="locks")
    round_number = models.PositiveSmallIntegerField()  # 0-based, as in the plan
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "round_number", "trainee"], name="term_plan_lock_once"
            )
        ]

    def __str__(self) -> str:
        return f"Lock in round {self.round_number + 1}"
