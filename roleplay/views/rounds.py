import json
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from roleplay.forms import AcceptSuggestionForm, DoNotPairForm, RoundForm
from roleplay.models import DoNotPair, RoundStatus
from roleplay.permissions import Action, get_cohort_for, get_round_for, scenarios_visible_to
from roleplay.selectors.cohorts import active_trainees
from roleplay.selectors.rounds import round_with_pairings, rounds_of_cohort, scenario_choices
from roleplay.services import pairing as pairing_services
from roleplay.services import rounds as round_services

from .round_editor import arrangement_from_post, editor_rows, scenario_key
from .round_editor_html import rows_html


@login_required
def round_list(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    return render(
        request, "roleplay/round_list.html", {"cohort": cohort, "rounds": rounds_of_cohort(pk)}
    )


@login_required
def round_create(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    form = RoundForm(
        request.POST or None, scenarios=scenarios_visible_to(request.user), cohort=cohort
    )
    if request.method == "POST" and form.is_valid():
        round_ = round_services.round_create(cohort=cohort, **form.cleaned_data)
        messages.success(request, f"{round_.name} is created. Next, pair the trainees.")
        return redirect("round_detail", pk=round_.pk)
    return render(request, "roleplay/round_form.html", {"form": form, "cohort": cohort})


@login_required
def round_edit(request, pk: int):
    round_ = get_round_for(request.user, pk)
    form = RoundForm(
        request.POST or None,
        instance=round_,
        scenarios=scenarios_visible_to(request.user),
        cohort=round_.cohort,
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_services.round_update(round_=round_, **form.cleaned_data)
        except pairing_services.ArrangementRefused as exc:
            messages.error(request, " ".join(exc.errors))
        else:
            messages.success(request, "The round is saved.")
        return redirect("round_detail", pk=round_.pk)
    return render(
        request,
        "roleplay/round_form.html",
        {"form": form, "cohort": round_.cohort, "round": round_},
    )


def _detail_context(
    request,
    round_,
    arrangement: pairing_services.Arrangement | None = None,
    refused: pairing_services.ArrangementRefused | None = None,
    **extra,
) -> dict:
    """The round page. With an `arrangement` (a refused save), the editor shows what was posted,
    not what is stored, with each error beside the pairing it is about. A closed round shows its
    pairings read-only, so only it loads them with their people."""
    context = {
        "round": round_,
        "cohort": round_.cohort,
        "arrange_errors": refused.general if refused else [],
        **extra,
    }
    if round_.status == RoundStatus.CLOSED:
        return context | {"round": round_with_pairings(round_.pk)}
    absent = set(round_.absences.values_list("trainee_id", flat=True))
    trainees = list(active_trainees(round_.cohort))
    if arrangement is None:
        arrangement = pairing_services.stored_arrangement(round_=round_)
        existing = list(arrangement.options)  # every pairing of the round, by id
    else:
        pairing_ids = round_.pairings.order_by("pk").values_list("pk", flat=True)
        existing = [str(pk) for pk in pairing_ids]
    present = [trainee for trainee in trainees if trainee.pk not in absent]
    warnings = pairing_services.arrangement_check(
        round_=round_, arrangement=arrangement, present=present
    )[1]
    by_slot = defaultdict(list)
    by_trainee = defaultdict(list)
    for warning in warnings:
        by_slot[warning.slot].append(warning.text)
        for trainee_id in warning.trainees:
            by_trainee[trainee_id].append(warning.text)
    scenarios = list(scenario_choices(round_))
    rows = editor_rows(
        existing=existing,
        trainees=trainees,
        absent=absent,
        arrangement=arrangement,
        scenarios=scenarios,
        slot_errors=refused.by_slot if refused else {},
        slot_warnings=by_slot,
        trainee_warnings=by_trainee,
    )
    return context | {
        "names": {t.pk: t.name for t in trainees},  # for the suggestion, without another query
        "present": [(str(t.pk), t.name) for t in present],
        "absentees": [trainee for trainee in trainees if trainee.pk in absent],
        "rows_html": rows_html(rows),
        "pairing_ids": ",".join(existing),
        "scenarios": scenario_key(scenarios),
        "scenario_ids": ",".join(str(s.pk) for s in scenarios),
        "round_warnings": by_slot.get("", []),
    }


@login_required
def round_detail(request, pk: int):
    round_ = get_round_for(request.user, pk)
    return render(request, "roleplay/round_detail.html", _detail_context(request, round_))


@login_required
@require_POST
def round_suggest(request, pk: int):
    """Show suggested pairs; nothing is saved until the supervisor accepts them."""
    round_ = get_round_for(request.user, pk)
    try:
        groups = pairing_services.pairings_suggest(round_=round_)
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
        return redirect("round_detail", pk=pk)
    except pairing_services.PairingImpossible as exc:
        messages.error(request, str(exc))
        return redirect("round_detail", pk=pk)
    payload = json.dumps([[g.client, g.therapist, g.observer] for g in groups])
    context = _detail_context(request, round_, suggestion_payload=payload)
    names = context.pop("names")
    context["suggestion"] = [
        {
            "client": names[g.client],
            "therapist": names[g.therapist],
            "observer": names.get(g.observer),
        }
        for g in groups
    ]
    return render(request, "roleplay/round_detail.html", context)


@login_required
@require_POST
def round_accept(request, pk: int):
    round_ = get_round_for(request.user, pk)
    form = AcceptSuggestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, AcceptSuggestionForm.UNREADABLE)
        return redirect("round_detail", pk=pk)
    groups = form.cleaned_data["groups"]
    try:
        warnings = pairing_services.pairings_accept(round_=round_, groups=groups)
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
    else:
        saved = f"{len(groups)} pairings saved. Adjust them below, then publish."
        _report_saved(request, saved, warnings)
    return redirect("round_detail", pk=pk)


@login_required
@require_POST
def round_arrange(request, pk: int):
    """The one-page editor: each trainee's pairing number and role, each pairing's scenario and
    lock (see round_editor)."""
    round_ = get_round_for(request.user, pk)
    arrangement, unreadable = arrangement_from_post(
        request.POST,
        trainees=active_trainees(round_.cohort),
        existing={str(pairing_id) for pairing_id in round_.pairings.values_list("pk", flat=True)},
        scenarios={str(s.pk): s for s in scenario_choices(round_)},
    )
    try:
        if unreadable:
            raise pairing_services.ArrangementRefused(unreadable)
        warnings = pairing_services.round_arrange(round_=round_, arrangement=arrangement)
    except pairing_services.ArrangementRefused as exc:
        context = _detail_context(request, round_, arrangement=arrangement, refused=exc)
        return render(request, "roleplay/round_detail.html", context)
    _report_saved(request, "Pairings saved.", warnings)
    return redirect("round_detail", pk=pk)


def _report_saved(request, saved: str, warnings: list[str]) -> None:
    """One message after saving; the warnings themselves are on the page's rows (which show
    them on every visit), so the message only says how many there are."""
    if not warnings:
        messages.success(request, saved)
        return
    count = "1 warning needs" if len(warnings) == 1 else f"{len(warnings)} warnings need"
    messages.warning(request, f"{saved} {count} a look: each is shown below, where it applies.")


@login_required
@require_POST
def round_publish(request, pk: int):
    round_ = get_round_for(request.user, pk)
    try:
        count = pairing_services.round_publish(round_=round_)
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
    else:
        messages.success(
            request, f"Published. A notice of their pairing is queued for {count} trainees."
        )
    return redirect("round_detail", pk=pk)


@login_required
def round_close(request, pk: int):
    """Asks first (what closing does, and that it can be undone), then closes on POST."""
    round_ = get_round_for(request.user, pk)
    if request.method != "POST":
        return render(request, "roleplay/round_close.html", {"round": round_})
    try:
        pairing_services.round_close(round_=round_)
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
    else:
        messages.success(request, f"{round_.name} is closed; its pairings are now in the record.")
    return redirect("round_detail", pk=pk)


@login_required
@require_POST
def round_reopen(request, pk: int):
    round_ = get_round_for(request.user, pk)
    try:
        pairing_services.round_reopen(round_=round_, by=request.user)
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
    else:
        messages.success(
            request, f"{round_.name} is open again: trainees can book until the window closes."
        )
    return redirect("round_detail", pk=pk)


@login_required
@require_POST
def round_absence(request, pk: int):
    round_ = get_round_for(request.user, pk)
    trainee_id = request.POST.get("trainee", "")
    if not trainee_id.isdecimal():
        raise Http404("No such trainee.")
    trainee = get_object_or_404(active_trainees(round_.cohort), pk=int(trainee_id))
    absent = request.POST.get("absent") == "1"
    try:
        round_services.absence_set(
            round_=round_,
            trainee=trainee,
            absent=absent,
            reason=request.POST.get("reason", "")[:200],
        )
    except pairing_services.ArrangementRefused as exc:
        messages.error(request, " ".join(exc.errors))
    else:
        state = "absent from" if absent else "back in"
        messages.success(request, f"{trainee.name} is {state} {round_.name}.")
    return redirect("round_detail", pk=pk)


@login_required
def do_not_pair(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    form = DoNotPairForm(request.POST or None, trainees=active_trainees(cohort))
    if request.method == "POST" and form.is_valid():
        round_services.do_not_pair_add(cohort=cohort, created_by=request.user, **form.cleaned_data)
        messages.success(request, "Saved. Suggestions will never pair these two.")
        return redirect("do_not_pair", pk=pk)
    constraints = DoNotPair.objects.filter(cohort=cohort).select_related("trainee_a", "trainee_b")
    return render(
        request,
        "roleplay/do_not_pair.html",
        {"cohort": cohort, "form": form, "constraints": constraints},
    )


@login_required
@require_POST
def do_not_pair_delete(request, pk: int, constraint_id: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    get_object_or_404(DoNotPair, pk=constraint_id, cohort=cohort).delete()
    messages.success(request, "The constraint is removed.")
    return redirect("do_not_pair", pk=pk)
