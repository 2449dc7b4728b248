import zoneinfo
from functools import cache


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA zone the system knows, for a select box; "UTC" first, then by name."""
    names = sorted(zoneinfo.available_timezones() - {"UTC", "localtime", "Factory"})
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def validate_timezone(value: str) -> None:
    from django.core.exceptions import ValidationError

    if value not in dict(timezone_choices()):
        raise ValidationError("“%(value)s” is not a time zone we know.", params={"value": value})
