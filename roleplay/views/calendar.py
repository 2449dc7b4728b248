from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import ProfileForm
from roleplay.permissions import get_session_for
from roleplay.services import calendar

ICS = "text/calendar; charset=utf-8"


@login_required
@require_safe
@never_cache
def session_ics(request, pk: int):
    """One session as a file to import, for anyone who may see the session (404 for the rest)."""
    session = get_session_for(request.user, pk)
    response = HttpResponse(
        calendar.ics_for_session(session=session, viewer=request.user), content_type=ICS
    )
    response["Content-Disposition"] = f'attachment; filename="dyad-session-{session.pk}.ics"'
    return response


@require_safe
@never_cache
def calendar_feed(request, token: str):
    """The private feed a calendar app polls. Calendar apps cannot log in, so the secret link is
    the only key: an unknown or replaced token is a 404, like any page that does not exist."""
    user = calendar.calendar_feed_user(token=token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar.ics_for_feed(user=user), content_type=ICS)
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
@never_cache
def calendar_regenerate(request):
    """Create the feed link, or replace it (which stops the old one), and show it this once.

    The new link is rendered straight into this POST's response — the profile page — rather
    than flashed through a redirect: a flash message would put the secret in the message
    storage (a signed but readable cookie, or the session table) on its way to the next page.
    Rendered here it is stored nowhere, and `never_cache` keeps the browser from keeping the
    page. Reloading asks to resubmit, which would only make yet another new link."""
    token = calendar.calendar_feed_create(user=request.user)
    context = {
        "form": ProfileForm(instance=request.user),
        "calendar_feed_url": calendar.calendar_feed_url(token=token),
    }
    return render(request, "accounts/profile.html", context)
