from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from roleplay.forms import CohortForm, InviteForm, SupervisorAppointForm
from roleplay.models import CohortMembership, Invitation, Role
from roleplay.permissions import Action, get_cohort_for, may, may_create_cohort
from roleplay.selectors.cohorts import cohort_with_members, members_by_role, open_invitations
from roleplay.services import cohorts as cohort_services
from roleplay.services import invitations as invitation_services


@login_required
def cohort_create(request):
    if not may_create_cohort(request.user):
        raise PermissionDenied
    form = CohortForm(request.POST or None, initial={"time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        cohort = cohort_services.cohort_create(created_by=request.user, **form.cleaned_data)
        messages.success(request, f"{cohort.name} is created. Next, invite its trainees.")
        return redirect("cohort_invite", pk=cohort.pk)
    return render(request, "roleplay/cohort_form.html", {"form": form})


@login_required
def cohort_edit(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        cohort_services.cohort_update(cohort=cohort, **form.cleaned_data)
        messages.success(request, "The cohort is saved.")
        return redirect("cohort_detail", pk=cohort.pk)
    return render(request, "roleplay/cohort_form.html", {"form": form, "cohort": cohort})


@login_required
def cohort_detail(request, pk: int):
    return _cohort_page(request, get_cohort_for(request.user, pk))


def _cohort_page(request, cohort, *, appoint_form=None):
    """The cohort page; a refused appointment passes its bound form back in, with its errors."""
    cohort = cohort_with_members(cohort)
    manages = may(request.user, Action.MANAGE, cohort)
    context = {
        "cohort": cohort,
        "members": members_by_role(cohort),
        "manages": manages,
        "appoints": may(request.user, Action.APPOINT, cohort),
        "invitations": open_invitations(cohort) if manages else [],
        "appoint_form": appoint_form or SupervisorAppointForm(),
    }
    return render(request, "roleplay/cohort_detail.html", context)


@login_required
def cohort_invite(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    form = InviteForm(request.POST or None, request.FILES or None)
    outcomes = []
    if request.method == "POST" and form.is_valid():
        outcomes = invitation_services.invitations_create(
            cohort=cohort, invited_by=request.user, rows=form.cleaned_data["rows"]
        )
        invited = sum(outcome.invited for outcome in outcomes)
        refused = [outcome for outcome in outcomes if not outcome.invited]
        if invited:
            messages.success(request, f"{invited} invitation(s) queued to be emailed.")
        if refused:
            messages.error(request, f"{len(refused)} row(s) need your attention; see below.")
            # Offer the refused rows back for correction; the valid ones are already invited.
            retry = "\n".join(", ".join(filter(None, [o.email, o.name])) for o in refused)
            form = InviteForm(initial={"emails": retry})
        else:
            form = InviteForm()
    return render(
        request,
        "roleplay/cohort_invite.html",
        {"cohort": cohort, "form": form, "outcomes": outcomes},
    )


@login_required
@require_POST
def supervisor_appoint(request, pk: int):
    cohort = get_cohort_for(request.user, pk, Action.APPOINT)
    form = SupervisorAppointForm(request.POST)
    if not form.is_valid():
        return _cohort_page(request, cohort, appoint_form=form)
    try:
        text = cohort_services.supervisor_appoint(
            cohort=cohort, appointed_by=request.user, **form.cleaned_data
        )
    except cohort_services.AppointmentRefused as exc:
        form.add_error("email", str(exc))
        return _cohort_page(request, cohort, appoint_form=form)
    messages.success(request, text)
    return redirect("cohort_detail", pk=cohort.pk)


@login_required
def member_remove(request, pk: int, membership_id: int):
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    membership = get_object_or_404(
        CohortMembership.objects.active().select_related("user"), pk=membership_id, cohort=cohort
    )
    if membership.role == Role.SUPERVISOR and not may(request.user, Action.APPOINT, cohort):
        raise PermissionDenied
    if request.method == "POST":
        cohort_services.membership_end(membership=membership, ended_by=request.user)
        messages.success(
            request,
            f"{membership.user.name} is no longer in {cohort.name}. Their records are kept.",
        )
        return redirect("cohort_detail", pk=cohort.pk)
    return render(
        request, "roleplay/member_remove.html", {"cohort": cohort, "membership": membership}
    )


def _invitation(request, pk: int, invitation_id: int) -> Invitation:
    cohort = get_cohort_for(request.user, pk, Action.MANAGE)
    return get_object_or_404(Invitation, pk=invitation_id, cohort=cohort)


@login_required
@require_POST
def invitation_resend(request, pk: int, invitation_id: int):
    invitation = _invitation(request, pk, invitation_id)
    try:
        invitation_services.invitation_resend(invitation=invitation)
    except invitation_services.InvitationUnusable as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(
            request, f"The invitation to {invitation.email} is queued to be sent again."
        )
    return redirect("cohort_detail", pk=pk)


@login_required
@require_POST
def invitation_revoke(request, pk: int, invitation_id: int):
    invitation = _invitation(request, pk, invitation_id)
    invitation_services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("cohort_detail", pk=pk)
