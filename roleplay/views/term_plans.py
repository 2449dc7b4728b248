"""The term plan page: plan the term, watch the solver, see the grid, lock cells, re-plan."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from roleplay.models import PlanState, TermPlan
from roleplay.permissions import Action, get_cohort_for
from roleplay.selectors.cohorts import active_trainees
from roleplay.selectors.term_plans import term_plan_grid
from roleplay.services import term_plans as plan_services


class PlanForm(forms.Form):
    rounds = forms.IntegerField(
        min_value=1, max_value=60, label="Rounds in the term (held ones included)"
    )


class LockForm(forms.Form):
    round_number = forms.IntegerField(min_value=0, max_value=60)
    trainee = forms.IntegerField(min_value=1)


def _plan(cohort) -> TermPlan | None:
    return TermPlan.objects.filter(cohort=cohort).first()


@login_required
def term_plan(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    plan = _plan(cohort)
    initial = plan.rounds if plan else plan_services.default_rounds(cohort)
    form = PlanForm(request.POST or None, initial={"rounds": initial})
    if request.method == "POST" and form.is_valid():
        plan_services.term_plan_request(cohort=cohort, rounds=form.cleaned_data["rounds"])
        messages.success(request, "The planner is laying out the term. This page updates itself.")
        return redirect("term_plan", pk=pk)
    numbers, rows = term_plan_grid(cohort, plan)
    current = plan is not None and plan_services.plan_is_current(plan)
    return render(
        request,
        "roleplay/term_plan.html",
        {
            "cohort": cohort,
            "plan": plan,
            "form": form,
            "numbers": numbers,
            "rows": rows,
            "current": current,
            "working": plan is not None and plan.state in (PlanState.QUEUED, PlanState.SOLVING),
        },
    )


@login_required
@require_GET
def term_plan_status(request, pk: int):
    """What the page polls while the solver works."""
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    plan = _plan(cohort)
    return JsonResponse({"state": plan.state if plan else ""})


@login_required
@require_POST
def term_plan_lock(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    plan = _plan(cohort)
    form = LockForm(request.POST)
    trainees = {user.pk: user for user in active_trainees(cohort)}
    if plan is None or not form.is_valid() or form.cleaned_data["trainee"] not in trainees:
        raise Http404
    trainee = trainees[form.cleaned_data["trainee"]]
    number = form.cleaned_data["round_number"]
    locked = plan_services.term_plan_lock_toggle(plan=plan, round_number=number, trainee=trainee)
    state = "locked" if locked else "unlocked"
    messages.success(
        request, f"{trainee.name}'s group in round {number + 1} is {state}. Re-plan to apply it."
    )
    return redirect("term_plan", pk=pk)
