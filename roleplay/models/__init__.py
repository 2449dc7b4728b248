from .cohorts import Cohort, CohortMembership, Invitation, Role
from .messages import Message, MessageKind, MessageState
from .rounds import DoNotPair, Pairing, PairingMember, PairingRole, Round, RoundAbsence, RoundStatus
from .scenarios import Scenario, Skill

__all__ = [
    "Cohort",
    "CohortMembership",
    "DoNotPair",
    "Invitation",
    "Message",
    "MessageKind",
    "MessageState",
    "Pairing",
    "PairingMember",
    "PairingRole",
    "Role",
    "Round",
    "RoundAbsence",
    "RoundStatus",
    "Scenario",
    "Skill",
]
