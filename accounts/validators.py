"""Shared checks on what people type, used by forms and model fields (so the admin is covered too).

Single-line text (names, titles) refuses line breaks, because names end up in email subjects where a
line break breaks the header; it also refuses other control characters, bidi overrides (which can
make a name display as something else) and zero-width characters (which make two names that look
the same differ). Multi-line text refuses only NUL, which PostgreSQL cannot store.

Dates and times are bounded to a sane range: far-future or year-1 values overflow when they are
shifted into a viewer's zone or have a session length added, and no practice session needs them.
"""

import unicodedata
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Bidi embeddings, overrides and isolates, the marks, and the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Zero-width space, non-joiner, joiner, word joiner, BOM and the Mongolian vowel separator.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
# Line and paragraph separators count as line breaks alongside CR, LF, VT, FF and NEL.
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x85\u2028\u2029")

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def _describe(char: str) -> str:
    return unicodedata.name(char, f"U+{ord(char):04X}").lower()


@deconstructible
class SingleLineValidator:
    """One line of plain text: no line breaks, control, bidi or zero-width characters."""

    def __call__(self, value: str) -> None:
        if any(char in LINE_BREAKS for char in value):
            raise ValidationError("Use one line: no line breaks.", code="line_break")
        for char in value:
            if unicodedata.category(char) == "Cc":
                raise ValidationError(
                    "Remove the invisible control character from the text.", code="control"
                )
            if char in BIDI_CONTROLS:
                raise ValidationError(
                    f"Remove the text-direction character ({_describe(char)}).", code="bidi"
                )
            if char in ZERO_WIDTH:
                raise ValidationError(
                    f"Remove the invisible character ({_describe(char)}).", code="zero_width"
                )

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineValidator)


validate_single_line = SingleLineValidator()


def validate_no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Remove the NUL character from the text.", code="null_characters")


def validate_sane_date(value: date | datetime) -> None:
    """Refuse dates no practice session needs, before they overflow in a zone shift."""
    if not EARLIEST_YEAR <= value.year < LATEST_YEAR:
        raise ValidationError(
            f"Choose a date between {EARLIEST_YEAR} and {LATEST_YEAR - 1}.", code="date_range"
        )


def one_line(text: str) -> str:
    """`text` with every run of whitespace and invisible characters collapsed to one space: safe
    for an email header even when the text was stored before line breaks were refused."""
    cleaned = (
        " "
        if char in LINE_BREAKS
        or char in BIDI_CONTROLS
        or char in ZERO_WIDTH
        or unicodedata.category(char) == "Cc"
        else char
        for char in text
    )
    return " ".join("".join(cleaned).split())
