"""The site's URLs plus the floor: the smallest signed-in view, which every page is timed against."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def floor(request):
    """Passes every middleware and the sign-in check, reads the session and user, renders nothing."""
    return HttpResponse(f"signed in as {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("config.urls")),
]
