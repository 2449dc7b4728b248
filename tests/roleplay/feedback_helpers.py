"""Helpers for feedback tests: answers to a whole form, both trainees' drafts, the built-in forms."""

import importlib
from datetime import timedelta
from decimal import Decimal

from django.apps import apps

from roleplay.models import FeedbackPurpose, FeedbackTemplate, ItemKind
from roleplay.services.feedback import AnswerValue, feedback_start
from tests.roleplay.booking_helpers import NOW

START = NOW + timedelta(days=2)


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


def client_and_therapist_drafts(session, client, therapist):
    return (
        feedback_start(
            session=session, author=client, about=therapist, purpose=FeedbackPurpose.CLIENT
        ),
        feedback_start(
            session=session, author=therapist, about=client, purpose=FeedbackPurpose.THERAPIST
        ),
    )


def ensure_builtin_templates() -> None:
    """Transactional tests (a real worker, a browser, threads) flush the database when they end,
    and with it the built-in forms its data migration wrote; load them again if they are gone."""
    migration = importlib.import_module("roleplay.migrations.0021_builtin_feedback_templates")
    migration.load(apps, None)
