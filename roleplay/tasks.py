"""Celery tasks: thin wrappers that load by id and call a service. Each is safe to run twice."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from roleplay.services import invitations, notify, periodic, record, term_plans


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=invitations.MAX_SEND_ATTEMPTS - 1,
)
def invitation_send(invitation_id: int) -> bool:
    return invitations.invitation_send(invitation_id=invitation_id)


@shared_task
def invitations_send_pending() -> int:
    """The sweep: queue every invitation the database says is due, whatever the broker lost."""
    due = invitations.invitations_due()
    for invitation_id in due:
        invitation_send.delay(invitation_id)
    return len(due)


@shared_task
def message_send(message_id: int) -> bool:
    return notify.message_send(message_id=message_id)


@shared_task
def messages_send_due() -> int:
    """The outbox sweep: whatever is due is sent, whether or not the broker delivered its task."""
    due = notify.messages_due()
    for message_id in due:
        message_send.delay(message_id)
    return len(due)


@shared_task
def sessions_complete() -> int:
    return periodic.sessions_complete()


@shared_task
def feedback_reveals() -> int:
    return periodic.feedback_reveals_due()


@shared_task
def unbooked_nudges() -> int:
    return periodic.unbooked_nudges_queue()


@shared_task
def supervisor_digests() -> int:
    return periodic.supervisor_digests_queue()


@shared_task
def recordings_expire() -> int:
    return record.recordings_expire()


@shared_task(
    soft_time_limit=settings.PLANNER_TIME_LIMIT_SECONDS + 60,
    time_limit=settings.PLANNER_TIME_LIMIT_SECONDS + 120,
)
def term_plan_solve(plan_id: int) -> bool:
    """The solver stops itself at PLANNER_TIME_LIMIT_SECONDS; Celery's limits are the guard."""
    return term_plans.term_plan_solve(plan_id=plan_id)
