"""Time zones: any valid IANA name is accepted, but people choose from the canonical zones only.

tzdata carries about 600 names, a third of them aliases kept for backward compatibility
("US/Eastern", "Etc/GMT+5", "Asia/Calcutta"). The canonical zones are the ones the tz database
lists per country in zone.tab and zone1970.tab, plus "UTC"; forms offer those, grouped by region,
while validation still accepts every name zoneinfo knows (a stored alias keeps working and is shown).
"""

import zoneinfo
from functools import cache
from importlib import resources

from django import forms
from django.core.exceptions import ValidationError

from accounts.widgets import QuickSelectMixin

NOT_ZONES = {"localtime", "Factory"}


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA zone the system knows (aliases too), flat: what the model fields accept."""
    names = sorted(zoneinfo.available_timezones() - NOT_ZONES - {"UTC"})
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


@cache
def canonical_timezones() -> frozenset[str]:
    """The zones the tz database lists per country (zone.tab and zone1970.tab), plus UTC."""
    tables = resources.files("tzdata.zoneinfo")
    names = {"UTC"}
    for table in ("zone.tab", "zone1970.tab"):
        for line in tables.joinpath(table).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])
    return frozenset(names & zoneinfo.available_timezones())


@cache
def grouped_timezone_choices() -> list:
    """UTC, then one <optgroup> per region ("Europe": "London", "Paris"…), for a select box."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(canonical_timezones() - {"UTC"}):
        region, _, place = name.partition("/")
        regions.setdefault(region, []).append((name, place.replace("_", " ")))
    return [("UTC", "UTC"), *regions.items()]


def validate_timezone(value: str) -> None:
    if value not in dict(timezone_choices()):
        raise ValidationError("“%(value)s” is not a time zone we know.", params={"value": value})


class TimeZoneSelect(QuickSelectMixin, forms.Select):
    """The grouped canonical zones; a valid alias already chosen (say "US/Eastern") is shown too.
    Written without a template per option (see accounts.widgets): ~420 options."""

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        chosen = next((v for v in value if v), None)
        if chosen and chosen not in canonical_timezones() and chosen in dict(timezone_choices()):
            option = self.create_option(
                name, chosen, chosen.replace("_", " "), True, 0, attrs=attrs
            )
            groups.insert(0, (None, [option], 0))
        return groups


class TimeZoneField(forms.ChoiceField):
    """Offers the canonical zones grouped by region and accepts any valid IANA name."""

    widget = TimeZoneSelect

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", grouped_timezone_choices)
        super().__init__(**kwargs)

    def valid_value(self, value) -> bool:
        return str(value) in dict(timezone_choices())


def guess_zone_unless_bound(form: forms.BaseForm, field: str = "time_zone") -> None:
    """Let the browser preselect its own zone in `field`, only on a form nobody has submitted.

    The select then carries `data-guess-zone`, and static/js/timezone.js picks the browser's zone
    (the Intl API) when it is offered; otherwise the initial value (say, the cohort's zone)
    stays. A bound form is never touched, so a choice survives a re-render with errors.
    """
    if not form.is_bound:
        form.fields[field].widget.attrs["data-guess-zone"] = ""
