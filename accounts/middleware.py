import zoneinfo

from django.http import QueryDict
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
