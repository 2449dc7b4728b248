from .calendar import CalendarFeed
from .cohorts import Cohort, CohortMembership, Invitation, Role
from .events import Event, EventKind
from .messages import OPTIONAL_KINDS, EmailPreferences, Message, MessageKind, MessageState
from .record import CareFlag, Consent, Note, NoteKind, Recording, RecordingComment
from .rounds import DoNotPair, Pairing, PairingMember, PairingRole, Round, RoundAbsence, RoundStatus
from .scenarios import Scenario, Skill
from .sessions import (
    ACTIVE_SESSION,
    Room,
    Session,
    SessionSeat,
    SessionStatus,
    Unavailability,
    Weekday,
    WeeklyHours,
)

__all__ = [
    "ACTIVE_SESSION",
    "OPTIONAL_KINDS",
    "CalendarFeed",
    "CareFlag",
    "Cohort",
    "CohortMembership",
    "Consent",
    "DoNotPair",
    "EmailPreferences",
    "Event",
    "EventKind",
    "Invitation",
    "Message",
    "MessageKind",
    "MessageState",
    "Note",
    "NoteKind",
    "Pairing",
    "PairingMember",
    "PairingRole",
    "Recording",
    "RecordingComment",
    "Role",
    "Room",
    "Round",
    "RoundAbsence",
    "RoundStatus",
    "Scenario",
    "Session",
    "SessionSeat",
    "SessionStatus",
    "Skill",
    "Unavailability",
    "Weekday",
    "WeeklyHours",
]
