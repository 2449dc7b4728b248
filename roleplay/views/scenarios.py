from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from roleplay.forms import ScenarioForm
from roleplay.permissions import may_read_brief_of, may_use_library, scenarios_visible_to
from roleplay.services import scenarios as scenario_services


def _require_supervisor(user) -> None:
    if not may_use_library(user):
        raise Http404("No scenario library here.")


@login_required
def scenario_list(request):
    _require_supervisor(request.user)
    return render(
        request,
        "roleplay/scenario_list.html",
        {"scenarios": scenarios_visible_to(request.user).select_related("owner")},
    )


@login_required
def scenario_detail(request, pk: int):
    _require_supervisor(request.user)
    scenario = scenarios_visible_to(request.user).filter(pk=pk).first()
    if scenario is None:
        raise Http404("No such scenario.")
    may_edit = scenario.owner_id == request.user.pk or request.user.is_programme_admin
    context = {
        "scenario": scenario,
        "may_edit": may_edit,
        "show_brief": may_read_brief_of(request.user, scenario),
    }
    return render(request, "roleplay/scenario_detail.html", context)


@login_required
def scenario_form(request, pk: int | None = None):
    _require_supervisor(request.user)
    scenario = None
    if pk is not None:
        scenario = scenarios_visible_to(request.user).filter(pk=pk).first()
        if scenario is None:
            raise Http404("No such scenario.")
        may_edit = scenario.owner_id == request.user.pk or request.user.is_programme_admin
        if not (may_edit and may_read_brief_of(request.user, scenario)):
            raise PermissionDenied
    form = ScenarioForm(request.POST or None, instance=scenario)
    if request.method == "POST" and form.is_valid():
        scenario = scenario_services.scenario_save(
            scenario=form.instance, owner=scenario.owner if scenario else request.user
        )
        messages.success(request, f"“{scenario.title}” is saved.")
        return redirect("scenario_detail", pk=scenario.pk)
    return render(request, "roleplay/scenario_form.html", {"form": form, "scenario": scenario})
