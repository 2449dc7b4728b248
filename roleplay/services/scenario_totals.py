"""Each scenario's running totals (ScenarioTally): what the library shows, kept up to date by the
writes that change it, so the page reads one row per scenario whatever the feedback stored.

What the totals are — `tallies_from_scratch` is the definition, and the data migration, the
benchmark's seed and the tests use it:
- sessions run: the scenario's completed sessions;
- realism: the therapist-role form's "realism" answer (not N/A), and client score: the client-role
  form's total as stored at submit (when scorable) — each over every form's latest submitted
  revision only, as count, sum and sum of squares (so mean and spread follow exactly).

Who keeps them: `feedback_submit` (a first submission adds; an amendment's submission adds the
new revision and takes away the earlier revision's contribution, so nothing counts twice),
`sessions_complete` (+1 run) and `session_mark_no_show` on a completed session (-1 run), each in
its own transaction. Every change is an `UPDATE … SET x = x + d`, which PostgreSQL applies to the
row as it stands after any concurrent writer commits, so two submits at once lose nothing. A
pairing's scenario changing under recorded sessions (rare) recomputes the two scenarios' rows
from scratch, under a row lock.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps as installed_apps
from django.db import transaction
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Sum

from roleplay.models import (
    FeedbackAnswer,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackScore,
    ResponseState,
    ScenarioTally,
    Session,
)

REALISM_KEY = "realism"
COUNTED = (FeedbackPurpose.CLIENT, FeedbackPurpose.THERAPIST)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Contribution:
    """What one submitted response adds to its scenario's totals: `field` is "client" or
    "realism", `value` the stored client total or the realism answer."""

    field: str
    value: Decimal

    def deltas(self, sign: int) -> dict[str, Decimal | int]:
        return {
            f"{self.field}_n": sign,
            f"{self.field}_sum": sign * self.value,
            f"{self.field}_sum_sq": sign * self.value * self.value,
        }


# --- from scratch -----------------------------------------------------------------------------


def _latest_revisions(FeedbackResponse, prefix: str):
    """Excludes a submitted response that has a later submitted revision of the same form."""
    later = FeedbackResponse.objects.filter(
        session=OuterRef(f"{prefix}session"),
        author=OuterRef(f"{prefix}author"),
        about=OuterRef(f"{prefix}about"),
        purpose=OuterRef(f"{prefix}purpose"),
        state="submitted",
        revision__gt=OuterRef(f"{prefix}revision"),
    )
    return Exists(later)


def _square(field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) * F(field), output_field=DecimalField())


def tallies_from_scratch(apps=installed_apps, scenario_ids: Iterable[int] | None = None) -> dict:
    """scenario id → the totals' field values, recomputed from sessions, stored scores and
    answers in three grouped queries. `apps` is the app registry (a migration passes its own
    historical one); `scenario_ids` None means every scenario with anything to count."""
    Session = apps.get_model("roleplay", "Session")
    Response = apps.get_model("roleplay", "FeedbackResponse")
    Score = apps.get_model("roleplay", "FeedbackScore")
    Answer = apps.get_model("roleplay", "FeedbackAnswer")
    scenario = "response__session__pairing__scenario"
    scope = {} if scenario_ids is None else {f"{scenario}__in": list(scenario_ids)}
    run_scope = {} if scenario_ids is None else {"pairing__scenario__in": list(scenario_ids)}
    totals: dict[int, dict] = defaultdict(dict)
    runs = (
        Session.objects.filter(status="completed", pairing__scenario__isnull=False, **run_scope)
        .order_by()
        .values_list("pairing__scenario")
        .annotate(n=Count("pk"))
    )
    for scenario_id, n in runs:
        totals[scenario_id]["sessions_run"] = n
    sources = (
        (
            "client",
            Score.objects.filter(
                subscale="", response__purpose=FeedbackPurpose.CLIENT.value, **scope
            ),
        ),
        (
            "realism",
            Answer.objects.filter(
                item__key=REALISM_KEY,
                is_na=False,
                response__purpose=FeedbackPurpose.THERAPIST.value,
                **scope,
            ),
        ),
    )
    for field, rows in sources:
        grouped = (
            rows.filter(
                value__isnull=False,
                response__state="submitted",
                **{f"{scenario}__isnull": False},
            )
            .exclude(_latest_revisions(Response, "response__"))
            .order_by()
            .values_list(scenario)
            .annotate(n=Count("pk"), s=Sum("value"), ss=Sum(_square("value")))
        )
        for scenario_id, n, s, ss in grouped:
            totals[scenario_id] |= {f"{field}_n": n, f"{field}_sum": s, f"{field}_sum_sq": ss}
    return dict(totals)


@transaction.atomic
def scenario_totals_rebuild(apps=installed_apps, scenario_ids: Iterable[int] | None = None) -> int:
    """Write the from-scratch totals over the stored ones (every scenario, or those listed):
    the data migration's backfill, a bulk seed's last step, a pairing whose scenario changed.
    Returns how many rows were written; the rows stay locked until the caller's transaction ends."""
    Tally = apps.get_model("roleplay", "ScenarioTally")
    Scenario = apps.get_model("roleplay", "Scenario")
    scenarios = Scenario.objects.order_by("pk")
    if scenario_ids is not None:
        scenarios = scenarios.filter(pk__in=list(scenario_ids))
    ids = list(scenarios.values_list("pk", flat=True))
    Tally.objects.bulk_create([Tally(scenario_id=pk) for pk in ids], ignore_conflicts=True)
    list(Tally.objects.select_for_update().filter(scenario_id__in=ids).order_by("pk"))
    fresh = tallies_from_scratch(apps, ids if scenario_ids is not None else None)
    empty = {f.name: f.get_default() for f in Tally._meta.concrete_fields if not f.primary_key}
    rows = [Tally(scenario_id=pk, **(empty | fresh.get(pk, {}))) for pk in ids]
    Tally.objects.bulk_update(rows, list(empty), batch_size=1000)
    return len(rows)


# --- kept up to date --------------------------------------------------------------------------


def _bump(scenario_id: int, deltas: dict[str, Decimal | int]) -> None:
    changes = {field: F(field) + delta for field, delta in deltas.items() if delta}
    if not changes:
        return
    if not ScenarioTally.objects.filter(pk=scenario_id).update(**changes):
        ScenarioTally.objects.get_or_create(scenario_id=scenario_id)
        ScenarioTally.objects.filter(pk=scenario_id).update(**changes)


def contribution_of(response: FeedbackResponse) -> Contribution | None:
    """What a submitted response counts for, read from what was stored at its submit."""
    if response.purpose == FeedbackPurpose.CLIENT:
        field = "client"
        values = FeedbackScore.objects.filter(response=response, subscale="")
    elif response.purpose == FeedbackPurpose.THERAPIST:
        field = "realism"
        values = FeedbackAnswer.objects.filter(
            response=response, item__key=REALISM_KEY, is_na=False
        )
    else:
        return None
    value = values.filter(value__isnull=False).values_list("value", flat=True).first()
    return None if value is None else Contribution(field, value)


def scenario_totals_submitted(*, response: FeedbackResponse, scenario_id: int | None) -> None:
    """In feedback_submit's transaction, after the response is stored as submitted: add its
    contribution and, for an amendment, take away the revision it supersedes."""
    if scenario_id is None or response.purpose not in COUNTED:
        return
    deltas: dict[str, Decimal | int] = defaultdict(int)
    added = contribution_of(response)
    if added is not None:
        for field, delta in added.deltas(+1).items():
            deltas[field] += delta
    superseded = (
        FeedbackResponse.objects.filter(
            session_id=response.session_id,
            author_id=response.author_id,
            about_id=response.about_id,
            purpose=response.purpose,
            state=ResponseState.SUBMITTED,
            revision__lt=response.revision,
        )
        .order_by("-revision")
        .first()
    )
    removed = contribution_of(superseded) if superseded is not None else None
    if removed is not None:
        for field, delta in removed.deltas(-1).items():
            deltas[field] += delta
    _bump(scenario_id, deltas)


def scenario_totals_sessions_completed(*, session_ids: Iterable[int], sign: int = +1) -> None:
    """Sessions that have just completed (sign +1) or turned out not to have (-1)."""
    per_scenario = (
        Session.objects.filter(pk__in=list(session_ids), pairing__scenario__isnull=False)
        .order_by("pairing__scenario")
        .values_list("pairing__scenario")
        .annotate(n=Count("pk"))
    )
    for scenario_id, n in per_scenario:  # in scenario order, so two writers never deadlock
        _bump(scenario_id, {"sessions_run": sign * n})
