"""How Dyad writes dates and times, once, for pages, emails and notification titles.

A moment reads "Tuesday 1 December, 14:00" and a day "1 December", both in the reader's zone (the
active time zone, or the one given); the year is added only when it is not the current one. Pure:
models, services and template filters all import it.
"""

import zoneinfo
from datetime import date, datetime, tzinfo

from django.utils import timezone
from django.utils.dateformat import format as date_format

WHEN_TOKEN = "{when}"


def _zone(zone: str | tzinfo | None) -> tzinfo:
    if zone is None:
        return timezone.get_current_timezone()
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone


def _this_year(zone: tzinfo) -> int:
    return timezone.localtime(timezone.now(), zone).year


def when(moment: datetime, zone: str | tzinfo | None = None) -> str:
    """A moment in the reader's zone: "Tuesday 1 December, 14:00"."""
    zone = _zone(zone)
    local = timezone.localtime(moment, zone)
    pattern = "l j F, H:i" if local.year == _this_year(zone) else "l j F Y, H:i"
    return date_format(local, pattern)


def day(value: date | datetime, zone: str | tzinfo | None = None) -> str:
    """A calendar day: "1 December". A datetime is first put in the reader's zone."""
    zone = _zone(zone)
    if isinstance(value, datetime):
        value = timezone.localtime(value, zone).date()
    return date_format(value, "j F" if value.year == _this_year(zone) else "j F Y")


def fill_when(text: str, moment: datetime | None, zone: str | tzinfo | None = None) -> str:
    """Put a stored moment into a message text that was written with WHEN_TOKEN in its place."""
    if moment is None:
        return text
    return text.replace(WHEN_TOKEN, when(moment, zone))
