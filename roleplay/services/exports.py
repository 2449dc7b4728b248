"""Cohort exports leave a line in the audit log: who took which cohort's sessions or feedback."""

from accounts.models import AuditEvent, User
from roleplay.models import Cohort

from .accounts import user_label


def cohort_export_record(*, cohort: Cohort, user: User, kind: str) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user_label(user),
        action=AuditEvent.Action.DATA_EXPORTED,
        subject_label=f"cohort {cohort.pk}",
        data={"export": kind},
    )
