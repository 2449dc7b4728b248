from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from roleplay.forms import BookingForm, ChooseScenarioForm
from roleplay.models import ACTIVE_SESSION, PairingRole, Room, RoundStatus
from roleplay.permissions import Action, get_pairing_for, may, may_read_brief
from roleplay.selectors.booking import booking_suggestions
from roleplay.selectors.cohorts import active_trainees
from roleplay.selectors.rounds import pairings_for_trainee
from roleplay.services import pairing as pairing_services


@login_required
def my_pairings(request):
    pairings = list(pairings_for_trainee(request.user))
    for pairing in pairings:
        pairing.mine = next(m for m in pairing.members.all() if m.trainee_id == request.user.pk)
        pairing.partners = [m for m in pairing.members.all() if m.trainee_id != request.user.pk]
    return render(request, "roleplay/my_pairings.html", {"pairings": pairings})


def _may_choose(user, pairing, members) -> bool:
    return (
        pairing.client_chooses
        and not pairing.round.is_draft
        and any(m.trainee_id == user.pk and m.role == PairingRole.CLIENT for m in members)
    )


@login_required
def pairing_detail(request, pk: int):
    pairing = get_pairing_for(request.user, pk)
    members = list(pairing.members.select_related("trainee"))
    form = None
    if _may_choose(request.user, pairing, members):
        form = ChooseScenarioForm(request.POST or None, scenarios=pairing.round.scenarios.all())
        if request.method == "POST" and form.is_valid():
            pairing_services.pairing_choose_scenario(
                pairing=pairing, trainee=request.user, scenario=form.cleaned_data["scenario"]
            )
            messages.success(request, f"You will play “{form.cleaned_data['scenario'].title}”.")
            return redirect("pairing_detail", pk=pk)
    return pairing_page(request, pairing, choose_form=form, members=members)


def pairing_page(request, pairing, *, choose_form=None, booking_form=None, members=None):
    """The pairing page; a refused booking passes its bound form back in, with its errors.

    Its queries stay bounded (pinned in tests/roleplay/views/test_pairing_page_queries.py): the
    members, the pairing's sessions and the viewer's role are read once and handed on to the
    booking suggestions and the brief check rather than read again by each."""
    if members is None:
        members = list(pairing.members.select_related("trainee"))
    ids = [m.trainee_id for m in members]
    cohort = pairing.round.cohort
    still_in = set(active_trainees(cohort).filter(pk__in=ids).values_list("pk", flat=True))
    for member in members:
        member.left = member.trainee_id not in still_in
    departed = [m.trainee.name for m in members if m.left]
    mine = next((m for m in members if m.trainee_id == request.user.pk), None)
    if choose_form is None and _may_choose(request.user, pairing, members):
        choose_form = ChooseScenarioForm(scenarios=pairing.round.scenarios.all())
    sessions = list(pairing.sessions.all())
    active_session = next((s for s in sessions if s.status in ACTIVE_SESSION), None)
    manages = may(request.user, Action.MANAGE, cohort)
    bookable = (
        bool(mine or manages)
        and not active_session
        and not departed
        and pairing.round.status == RoundStatus.PUBLISHED
    )
    if bookable and booking_form is None:
        booking_form = BookingForm(rooms=Room.objects.filter(cohort=cohort))
    context = {
        "suggestions": booking_suggestions(pairing, members=members) if bookable else [],
        "active_session": active_session,
        "past_sessions": [s for s in sessions if s.status not in ACTIVE_SESSION],
        "booking_form": booking_form if bookable else None,
        "schedule_directly": request.POST.get("directly") == "1",
        "manages": manages,
        "pairing": pairing,
        "members": members,
        "departed": departed,
        "mine": mine,
        "show_brief": may_read_brief(request.user, pairing, members=members, manages=manages),
        "choose_form": choose_form,
    }
    return render(request, "roleplay/pairing_detail.html", context)
