"""Writing the session's record: one Event per change, in the transaction of the change.

Every service that changes a session calls `event_record`; services.feedback calls the three
named hooks below when a trainee submits feedback, when it is revealed, and when a supervisor
submits their own form on the session (their review). Care flags and private notes are never recorded here: the timeline is read by
everyone in the session.

`data` never holds a person's name or email: people are named by id under "people", and the
timeline looks their names up when shown, so a deleted account leaves no name behind here."""

from django.utils import timezone

from accounts.models import User
from roleplay.models import Event, EventKind, Session


def event_record(
    *, session: Session, kind: str, actor: User | None = None, data: dict | None = None
) -> Event:
    return Event.objects.create(
        session=session, kind=kind, actor=actor, data=data or {}, at=timezone.now()
    )


def event_feedback_submitted(*, session: Session, author: User) -> Event:
    return event_record(session=session, kind=EventKind.FEEDBACK_SUBMITTED, actor=author)


def event_revealed(*, session: Session, reason: str, actor: User | None = None) -> Event:
    """`reason` says what revealed it (a RevealReason); `actor`, the supervisor who released it."""
    return event_record(session=session, kind=EventKind.REVEALED, actor=actor, data={"by": reason})


def event_reviewed(*, session: Session, supervisor: User) -> Event:
    return event_record(session=session, kind=EventKind.REVIEWED, actor=supervisor)
