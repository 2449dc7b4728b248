from allauth.account.utils import perform_login
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from roleplay.forms import InvitationSignupForm
from roleplay.services import invitations as services


def invitation_accept(request, token: str):
    """The page an emailed link opens. Works signed in or out, once."""
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationUnusable as exc:
        return render(
            request, "roleplay/invitation_unusable.html", {"reason": exc.reason}, status=410
        )
    user = request.user
    context = {"invitation": invitation}

    if user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=user)
            except services.InvitationUnusable as exc:
                messages.error(request, exc.reason)
            else:
                messages.success(request, f"Welcome to {invitation.cohort.name}.")
                return redirect("dashboard")
        context["wrong_account"] = user.email.lower() != invitation.email
        return render(request, "roleplay/invitation_accept.html", context)

    if services.account_exists(invitation.email):
        context["login_url"] = f"{reverse('account_login')}?next={request.path}"
        return render(request, "roleplay/invitation_accept.html", context)

    form = InvitationSignupForm(
        request.POST or None,
        email=invitation.email,
        initial={"display_name": invitation.name, "time_zone": invitation.cohort.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.invitation_accept_with_new_account(
                invitation=invitation,
                display_name=form.cleaned_data["display_name"],
                time_zone=form.cleaned_data["time_zone"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationUnusable as exc:
            messages.error(request, exc.reason)
            return redirect(request.path)
        messages.success(request, f"Welcome to Dyad and to {invitation.cohort.name}.")
        return perform_login(request, new_user, redirect_url=reverse("dashboard"))
    context["form"] = form
    return render(request, "roleplay/invitation_accept.html", context)
