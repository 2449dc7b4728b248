import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone


class UserTimezoneMiddleware:
    """Shows every time in the signed-in user's own zone; times are stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Turns off browser features Dyad never uses (settings.PERMISSIONS_POLICY), so injected code
    cannot ask for the camera, the microphone or the location either. One fixed header needs no
    library."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequireMFAMiddleware:
    """With DYAD_REQUIRE_MFA on, a supervisor or programme admin with no second factor yet (an
    authenticator app or a security key) is sent to the two-factor page before anything else.
    Signing out, re-entering the password (which adding a factor asks for) and the two-factor
    pages themselves stay open. Costs one or two indexed queries per signed-in request, and none
    when the setting is off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DYAD_REQUIRE_MFA and self._must_set_up(request):
            messages.info(
                request,
                "Supervisors and admins protect their account with a second factor: add an "
                "authenticator app or a security key to continue.",
            )
            return redirect("mfa_index")
        return self.get_response(request)

    def _must_set_up(self, request) -> bool:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        from roleplay.permissions import must_use_mfa

        user = request.user
        if not user.is_authenticated:
            return False
        open_paths = (
            reverse("mfa_index"),
            reverse("account_logout"),
            reverse("account_reauthenticate"),
        )
        if request.path.startswith(open_paths):
            return False
        second_factors = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        return must_use_mfa(user, request) and not is_mfa_enabled(user, types=second_factors)


class StripNulMiddleware:
    """Removes NUL characters from every submitted key and value before any view or form sees them.

    PostgreSQL cannot store NUL in text, so one in any field (typed or forged) used to end in a
    DataError; no person means to type it, so it is dropped rather than explained. Uploaded files
    are read by their own parsers, which refuse NUL themselves (see rows_from_csv)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _without_nul(request.GET)
        if request.method == "POST":
            request.POST = _without_nul(request.POST)
        return self.get_response(request)


def _without_nul(data: QueryDict) -> QueryDict:
    if not any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        cleaned.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    cleaned._mutable = False
    return cleaned
