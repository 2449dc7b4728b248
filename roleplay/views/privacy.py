"""A person's own data: download it, or delete the account."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import AccountDeleteForm
from roleplay.services import accounts as account_services


@login_required
@require_POST
@never_cache
def profile_export(request):
    """A POST, because each download is written to the audit log."""
    data = account_services.account_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"dyad-my-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def profile_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            account_services.account_delete(user=user, by=user)
        except account_services.AccountDeletionRefused as exc:
            form.add_error(None, exc.reason)
        else:
            user.refresh_from_db()
            logout(request)
            messages.success(
                request,
                "Your account is deleted. Your partners' records of sessions with you now say "
                f"“{user.name}”.",
            )
            return redirect("account_login")
    return render(request, "accounts/profile_delete.html", {"form": form})
