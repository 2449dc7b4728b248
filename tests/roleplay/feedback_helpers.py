"""Helpers for feedback tests: a session that has just ended, and answers to a whole form."""

import importlib
from datetime import timedelta
from decimal import Decimal

from django.apps import apps

from roleplay.models import FeedbackPurpose, FeedbackTemplate, ItemKind, Session
from roleplay.services import booking, periodic
from roleplay.services.feedback import AnswerValue, feedback_start, template_for
from tests.roleplay.booking_helpers import NOW

START = NOW + timedelta(days=2)


def complete(pairing, supervisor, start=START) -> Session:
    """Schedule the pairing's session and close it as completed; the clock must be at or after
    its end when this returns (callers travel there)."""
    session = booking.session_schedule_directly(pairing=pairing, supervisor=supervisor, start=start)
    return session


def close_sessions() -> None:
    periodic.sessions_complete()


def answers_for(template: FeedbackTemplate, *, likert=4, slider="8.0", count=3, text="Noted."):
    """A complete set of answers: every scored item at the given value, texts filled in."""
    answers = {}
    for item in template.items.all():
        if item.kind == ItemKind.LIKERT:
            answers[item.key] = AnswerValue(value=Decimal(likert))
        elif item.kind == ItemKind.SLIDER:
            answers[item.key] = AnswerValue(value=Decimal(slider))
        elif item.kind == ItemKind.COUNT:
            answers[item.key] = AnswerValue(value=Decimal(count))
        elif item.kind == ItemKind.YES_NO:
            answers[item.key] = AnswerValue(value=Decimal(1))
        elif item.kind == ItemKind.CHOICE:
            answers[item.key] = AnswerValue(text=item.choices[0])
        else:
            answers[item.key] = AnswerValue(text=text)
    return answers


def start_form(session, author, about, purpose):
    return feedback_start(session=session, author=author, about=about, purpose=purpose)


def client_and_therapist_drafts(session, client, therapist):
    return (
        start_form(session, client, therapist, FeedbackPurpose.CLIENT),
        start_form(session, therapist, client, FeedbackPurpose.THERAPIST),
    )


def template_of(session, purpose) -> FeedbackTemplate:
    return template_for(session, purpose)


def ensure_builtin_templates() -> None:
    """Transactional tests (a real worker, a browser, threads) flush the database when they end,
    and with it the built-in forms its data migration wrote; load them again if they are gone."""
    migration = importlib.import_module("roleplay.migrations.0021_builtin_feedback_templates")
    migration.load(apps, None)
