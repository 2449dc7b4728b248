"""One date format for pages, emails and notification titles, in the reader's zone."""

import zoneinfo
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone

from roleplay import formats

MOMENT = datetime(2027, 12, 1, 14, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def in_2027():
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        yield


def test_a_moment_reads_the_same_everywhere_without_padding():
    assert formats.when(MOMENT, "Europe/London") == "Wednesday 1 December, 14:05"
    assert formats.when(MOMENT, "Asia/Tokyo") == "Wednesday 1 December, 23:05"


def test_another_year_is_named():
    assert (
        formats.when(datetime(2028, 1, 7, 9, tzinfo=UTC), "UTC") == "Friday 7 January 2028, 09:00"
    )
    assert formats.day(date(2026, 9, 14), "UTC") == "14 September 2026"
    assert formats.day(date(2027, 9, 14), "UTC") == "14 September"


def test_the_template_filters_use_the_viewers_zone():
    template = Template("{% load dyad_dates %}{{ moment|when }} · {{ moment|day }}")
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert (
            template.render(Context({"moment": MOMENT}))
            == "Wednesday 1 December, 09:05 · 1 December"
        )


def test_a_stored_title_is_filled_in_when_read():
    text = f"Reminder: {formats.WHEN_TOKEN}"
    assert (
        formats.fill_when(text, MOMENT, "Europe/London") == "Reminder: Wednesday 1 December, 14:05"
    )
    assert formats.fill_when(text, None) == text
