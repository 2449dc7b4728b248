from .calendar import CalendarFeed
from .cohorts import Cohort, CohortMembership, Invitation, Role
from .messages import OPTIONAL_KINDS, EmailPreferences, Message, MessageKind, MessageState
from .plans import PlanState, TermPlan, TermPlanLock
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
    "Cohort",
    "CohortMembership",
    "DoNotPair",
    "EmailPreferences",
    "Invitation",
    "Message",
    "MessageKind",
    "MessageState",
    "Pairing",
    "PairingMember",
    "PairingRole",
    "PlanState",
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
    "TermPlan",
    "TermPlanLock",
    "Unavailability",
    "Weekday",
    "WeeklyHours",
]
