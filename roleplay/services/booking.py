"""Booking sessions: propose, confirm, counter-propose, schedule directly, reschedule, cancel.

Every rule is checked inside the transaction that writes the booking, with the members' user rows
locked (in id order, so two bookings never deadlock): a second booking for the same person waits
for the first and then sees it. On PostgreSQL the exclusion constraints of migration 0005 back
this up, so even a path that forgot to check could not double-book anyone or any room.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import User
from roleplay import formats
from roleplay.formats import WHEN_TOKEN
from roleplay.models import (
    ACTIVE_SESSION,
    EventKind,
    MessageKind,
    Pairing,
    PairingRole,
    Role,
    Room,
    RoundStatus,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import Action, may
from roleplay.selectors.cohorts import active_trainees

from . import notify
from .events import event_record
from .feedback import feedback_messages_withdraw
from .pairing import trainees_present
from .scenario_totals import scenario_totals_sessions_completed

LATE_CANCELLATION = timedelta(hours=24)


class BookingRefused(Exception):
    """`reason` in words for the person; `field` names the form field it is about, if one is."""

    def __init__(self, reason: str, *, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


# --- checks ----------------------------------------------------------------------------------


def _local(moment: datetime, user: User) -> datetime:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(user.time_zone))


def _check_time(*, pairing: Pairing, start: datetime, end: datetime, actor: User) -> None:
    round_ = pairing.round
    if round_.status != RoundStatus.PUBLISHED:
        raise BookingRefused(
            "Sessions can be booked once the round is published and until it closes."
        )
    if start < round_.opens or end > round_.closes:
        raise BookingRefused(
            f"Choose a time inside the booking window, {formats.when(round_.opens, actor.time_zone)} "
            f"to {formats.when(round_.closes, actor.time_zone)}.",
            field="start",
        )
    _check_guard(round_=round_, start=start, actor=actor, doing="book", field="start")


def _check_guard(
    *, round_, start: datetime, actor: User, doing: str, field: str | None = None
) -> None:
    if may(actor, Action.MANAGE, round_.cohort):
        return
    if start - timezone.now() < timedelta(hours=round_.guard_hours):
        raise BookingRefused(
            f"You cannot {doing} a session starting within {round_.guard_hours} hours; "
            "ask your supervisor.",
            field=field,
        )


def _lock_people(users: list[User]) -> None:
    list(User.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk"))


def _check_free(*, session: Session, people: list[tuple[User, str]]) -> None:
    """Nobody is in another active session then (with the round's buffer), within the daily and
    weekly limits in their own zone, and the room is free."""
    round_ = session.pairing.round
    buffer = timedelta(minutes=round_.buffer_minutes)
    for user, _role in people:
        seats = SessionSeat.objects.filter(user=user, active=True).exclude(session_id=session.pk)
        if seats.filter(start__lt=session.end + buffer, end__gt=session.start - buffer).exists():
            raise BookingRefused(
                f"{user.name} already has a session at that time "
                f"(or within {round_.buffer_minutes} minutes of it).",
                field="start",
            )
        local = _local(session.start, user)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        week = day - timedelta(days=day.weekday())
        if (
            seats.filter(start__gte=day, start__lt=day + timedelta(days=1)).count()
            >= round_.max_per_day
        ):
            raise BookingRefused(
                f"{user.name} already has {round_.max_per_day} sessions that day.", field="start"
            )
        if (
            seats.filter(start__gte=week, start__lt=week + timedelta(days=7)).count()
            >= round_.max_per_week
        ):
            raise BookingRefused(
                f"{user.name} already has {round_.max_per_week} sessions that week.", field="start"
            )
    if session.room_id:
        clash = Session.objects.filter(
            room_id=session.room_id,
            status=SessionStatus.SCHEDULED,
            start__lt=session.end,
            end__gt=session.start,
        ).exclude(pk=session.pk)
        if clash.exists():
            raise BookingRefused(f"{session.room} is booked at that time.", field="room")


def _people_of_pairing(pairing: Pairing) -> list[tuple[User, str]]:
    members = pairing.members.select_related("trainee").order_by("trainee_id")
    return [(member.trainee, member.role) for member in members]


def _people_of_session(session: Session) -> list[tuple[User, str]]:
    """Who sits in a session: the pairing's members, or after a re-match its new partner."""
    seats = session.seats.select_related("user").order_by("user_id")
    return [(seat.user, seat.role) for seat in seats]


def _require_member_or_supervisor(pairing: Pairing, user: User) -> None:
    if not (
        (
            pairing.members.filter(trainee=user).exists()
            and may(user, Action.VIEW, pairing.round.cohort)
        )
        or may(user, Action.MANAGE, pairing.round.cohort)
    ):
        raise BookingRefused("Only the pairing's members and supervisors can do that.")


def _require_seat_or_supervisor(session: Session, user: User) -> None:
    cohort = session.pairing.round.cohort
    if not (
        (session.seats.filter(user=user).exists() and may(user, Action.VIEW, cohort))
        or may(user, Action.MANAGE, cohort)
    ):
        raise BookingRefused("Only the session's participants and supervisors can do that.")


def _refuse_departed_members(pairing: Pairing) -> None:
    """Nobody books a session with someone removed from the cohort; a re-match replaces them."""
    departed = (
        pairing.members.exclude(trainee__in=active_trainees(pairing.round.cohort))
        .select_related("trainee")
        .first()
    )
    if departed is not None:
        raise BookingRefused(
            f"{departed.trainee.name} has left {pairing.round.cohort.name}; "
            "ask your supervisor to pair you again, or re-match from a cancelled session."
        )


# --- writing ---------------------------------------------------------------------------------


@transaction.atomic
def session_propose(
    *,
    pairing: Pairing,
    proposer: User,
    start: datetime,
    room: Room | None = None,
    video_url: str = "",
) -> Session:
    """Put a time on the table. The proposer agrees to it; every other member must confirm."""
    session, people = _session_create(
        pairing=pairing, actor=proposer, start=start, room=room, video_url=video_url
    )
    event_record(session=session, kind=EventKind.PROPOSED, actor=proposer, data=_at(session))
    _notify_waiting(session, people, proposer, MessageKind.PROPOSAL_WAITING)
    return session


def _session_create(*, pairing, actor, start, room, video_url):
    pairing = Pairing.objects.select_for_update().select_related("round__cohort").get(pk=pairing.pk)
    _require_member_or_supervisor(pairing, actor)
    _refuse_departed_members(pairing)
    if pairing.sessions.filter(status__in=ACTIVE_SESSION).exists():
        raise BookingRefused("This pairing already has a session; reschedule it instead.")
    people = _people_of_pairing(pairing)
    end = start + timedelta(minutes=pairing.round.session_minutes)
    _check_time(pairing=pairing, start=start, end=end, actor=actor)
    _check_room_belongs(pairing, room)
    session = Session(
        pairing=pairing, start=start, end=end, room=room, video_url=video_url, proposed_by=actor
    )
    _save_with_seats(session, people, proposer=actor)
    return session, people


def _save_with_seats(session: Session, people: list[tuple[User, str]], *, proposer: User) -> None:
    """Check everyone is free (their rows locked), then save the session and a seat each; the
    proposer has agreed to the time already."""
    _lock_people([user for user, _ in people])
    _check_free(session=session, people=people)
    session.save()
    SessionSeat.objects.bulk_create(
        SessionSeat(
            session=session,
            user=user,
            role=role,
            start=session.start,
            end=session.end,
            confirmed_sequence=session.sequence if user.pk == proposer.pk else None,
        )
        for user, role in people
    )


def _check_room_belongs(pairing: Pairing, room: Room | None) -> None:
    if room is not None and room.cohort_id != pairing.round.cohort_id:
        raise BookingRefused("Choose one of your cohort's rooms.", field="room")


@transaction.atomic
def session_confirm(*, session: Session, user: User) -> Session:
    """Agree to the time on the table; the last agreement schedules the session."""
    session = _locked(session)
    if session.status != SessionStatus.PROPOSED:
        raise BookingRefused("There is no proposed time waiting for confirmation.")
    seat = session.seats.filter(user=user).first()
    if seat is None:
        raise BookingRefused("Only the session's participants confirm a time.")
    seat.confirmed_sequence = session.sequence
    seat.save(update_fields=["confirmed_sequence"])
    event_record(session=session, kind=EventKind.CONFIRMED, actor=user, data=_at(session))
    if not session.seats.exclude(confirmed_sequence=session.sequence).exists():
        _schedule(session, actor=user)
    return session


@transaction.atomic
def session_schedule_directly(
    *, pairing: Pairing, supervisor: User, start: datetime, room=None, video_url: str = ""
) -> Session:
    """A supervisor books a pairing without asking for confirmations (and past the guard time)."""
    if not may(supervisor, Action.MANAGE, pairing.round.cohort):
        raise BookingRefused("Only the cohort's supervisors schedule sessions directly.")
    session, _ = _session_create(
        pairing=pairing, actor=supervisor, start=start, room=room, video_url=video_url
    )
    session.seats.update(confirmed_sequence=session.sequence)
    _schedule(session, actor=supervisor)
    return session


@transaction.atomic
def session_reschedule(
    *, session: Session, user: User, start: datetime, room=None, video_url: str | None = None
) -> Session:
    """Counter-propose or reschedule: a new time that everyone must confirm again."""
    session = _locked(session)
    pairing = session.pairing
    _require_seat_or_supervisor(session, user)
    if session.status not in (SessionStatus.PROPOSED, SessionStatus.SCHEDULED):
        raise BookingRefused("Only a proposed or scheduled session can be moved.")
    was_scheduled = session.status == SessionStatus.SCHEDULED
    if was_scheduled:
        _check_guard(round_=pairing.round, start=session.start, actor=user, doing="reschedule")
    end = start + timedelta(minutes=pairing.round.session_minutes)
    _check_time(pairing=pairing, start=start, end=end, actor=user)
    _check_room_belongs(pairing, room)
    people = _people_of_session(session)
    session.start, session.end, session.room = start, end, room
    if video_url is not None:
        session.video_url = video_url
    _lock_people([person for person, _ in people])
    _check_free(session=session, people=people)
    session.sequence += 1
    session.status = SessionStatus.PROPOSED
    session.proposed_by = user
    session.save()
    session.seats.update(start=start, end=end, active=False, confirmed_sequence=None)
    session.seats.filter(user=user).update(confirmed_sequence=session.sequence)
    event_record(session=session, kind=EventKind.RESCHEDULED, actor=user, data=_at(session))
    notify.messages_withdraw(dedupe_key_prefix=f"session:{session.pk}:")
    kind = MessageKind.SESSION_RESCHEDULED if was_scheduled else MessageKind.PROPOSAL_WAITING
    _notify_waiting(session, people, user, kind)
    return session


@transaction.atomic
def session_cancel(*, session: Session, user: User, reason: str) -> Session:
    session = _locked(session)
    pairing = session.pairing
    _require_seat_or_supervisor(session, user)
    if not reason.strip():
        raise BookingRefused(
            "Say why the session is cancelled; your partners will see it.", field="reason"
        )
    if session.status not in (SessionStatus.PROPOSED, SessionStatus.SCHEDULED):
        raise BookingRefused("This session cannot be cancelled any more.")
    _check_guard(round_=pairing.round, start=session.start, actor=user, doing="cancel")
    now = timezone.now()
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason.strip()
    session.cancelled_by = user
    session.cancelled_at = now
    session.late_cancellation = session.start - now < LATE_CANCELLATION
    session.sequence += 1
    session.save()
    session.seats.update(active=False)
    event_record(
        session=session,
        kind=EventKind.CANCELLED,
        actor=user,
        data={"reason": session.cancel_reason, "late": session.late_cancellation},
    )
    notify.messages_withdraw(dedupe_key_prefix=f"session:{session.pk}:")
    for person, _role in _people_of_session(session):
        if person.pk != user.pk:
            _queue(
                session,
                person,
                MessageKind.SESSION_CANCELLED,
                f"{WHEN_TOKEN} is cancelled",
                f"{user.name} cancelled the session: {session.cancel_reason}",
            )
    if session.late_cancellation:
        supervisors = User.objects.filter(
            memberships__cohort=pairing.round.cohort,
            memberships__role=Role.SUPERVISOR,
            memberships__ended_at__isnull=True,
        )
        for supervisor in supervisors:
            _queue(
                session,
                supervisor,
                MessageKind.LATE_CANCELLATION,
                f"Late cancellation: {WHEN_TOKEN}",
                f"{user.name} cancelled a session less than 24 hours before it starts. "
                f"Reason: {session.cancel_reason}",
            )
    return session


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("pairing__round__cohort", "room")
        .get(pk=session.pk)
    )


def _at(session: Session) -> dict:
    """The time an event is about, for the timeline to show in each viewer's zone."""
    return {"start": session.start.isoformat()}


def _schedule(session: Session, *, actor: User) -> None:
    people = _people_of_session(session)
    _lock_people([user for user, _ in people])
    _check_free(session=session, people=people)
    try:
        with transaction.atomic():
            session.seats.update(active=True)
            session.status = SessionStatus.SCHEDULED
            session.save(update_fields=["status", "updated_at"])
            event_record(session=session, kind=EventKind.SCHEDULED, actor=actor, data=_at(session))
    except IntegrityError as exc:  # the database's exclusion constraints: someone got there first
        raise BookingRefused(
            "Someone in this pairing (or the room) was booked at that time a moment ago.",
            field="start",
        ) from exc
    for user, role in people:
        _queue(
            session,
            user,
            MessageKind.SESSION_CONFIRMED,
            f"Confirmed: {WHEN_TOKEN}",
            f"Your {PairingRole(role).label.lower()} session is booked for {WHEN_TOKEN}.{_where(session)}",
        )
        for kind, before in (
            (MessageKind.REMINDER_24H, timedelta(hours=24)),
            (MessageKind.REMINDER_1H, timedelta(hours=1)),
        ):
            if session.start - before > timezone.now():
                _queue(
                    session,
                    user,
                    kind,
                    f"Reminder: {WHEN_TOKEN}",
                    f"Your session starts {WHEN_TOKEN}.{_where(session)}",
                    due_at=session.start - before,
                )


# --- messages --------------------------------------------------------------------------------


def _where(session: Session) -> str:
    if session.room:
        return f" Room: {session.room}."
    if session.video_url:
        return f" Video link: {session.video_url}"
    return ""


def _queue(session, user, kind, subject, body, due_at=None) -> None:
    notify.message_queue(
        kind=kind,
        recipient=user,
        dedupe_key=f"session:{session.pk}:{session.sequence}:{kind}:{user.pk}",
        subject=subject,
        body=body,
        link=reverse("session_detail", args=[session.pk]),
        due_at=due_at,
        when=session.start,
    )


def _notify_waiting(session, people, actor, kind) -> None:
    verb = "proposes" if kind == MessageKind.PROPOSAL_WAITING else "moved your session to"
    for person, _role in people:
        if person.pk == actor.pk:
            continue
        _queue(
            session,
            person,
            kind,
            f"{actor.name} {verb} {WHEN_TOKEN}",
            f"{actor.name} {verb} {WHEN_TOKEN}. Confirm it or suggest another time.",
        )


# --- attendance ------------------------------------------------------------------------------

CHECK_IN_OPENS = timedelta(minutes=15)


@transaction.atomic
def session_check_in(*, session: Session, user: User) -> SessionSeat:
    """'I'm here': from 15 minutes before the start until the end of a scheduled session."""
    session = _locked(session)
    seat = session.seats.filter(user=user).first()
    if seat is None:
        raise BookingRefused("Only the session's participants check in.")
    now = timezone.now()
    if session.status != SessionStatus.SCHEDULED or not (
        session.start - CHECK_IN_OPENS <= now < session.end
    ):
        raise BookingRefused("Check-in opens 15 minutes before the start and closes at the end.")
    if seat.checked_in_at is None:
        seat.checked_in_at = now
        seat.save(update_fields=["checked_in_at"])
        event_record(session=session, kind=EventKind.CHECKED_IN, actor=user)
    return seat


@transaction.atomic
def session_mark_no_show(*, session: Session, supervisor: User, absent: list[User]) -> Session:
    """A supervisor records who did not come (whatever the check-ins said)."""
    session = _locked(session)
    if not may(supervisor, Action.MANAGE, session.pairing.round.cohort):
        raise BookingRefused("Only the cohort's supervisors mark no-shows.")
    seats = session.seats.filter(user__in=absent)
    if not seats.exists():
        raise BookingRefused("Choose who did not come.")
    absent_ids = sorted(seats.values_list("user_id", flat=True))
    seats.update(no_show=True)
    if session.status == SessionStatus.COMPLETED:  # it no longer counts as run on its scenario
        scenario_totals_sessions_completed(session_ids=[session.pk], sign=-1)
    session.status = SessionStatus.NO_SHOW
    session.save(update_fields=["status", "updated_at"])
    session.seats.update(active=False)
    event_record(
        session=session, kind=EventKind.NO_SHOW, actor=supervisor, data={"people": absent_ids}
    )
    feedback_messages_withdraw(session=session)
    return session


def rematch_candidates(session: Session, user: User) -> list[User]:
    """Trainees of the same round who could stand in: present, not already in this session, and
    without an open session of their own in this round."""
    round_ = session.pairing.round
    taken = set(session.seats.values_list("user_id", flat=True))
    busy = set(
        SessionSeat.objects.filter(
            session__pairing__round=round_, session__status__in=ACTIVE_SESSION
        ).values_list("user_id", flat=True)
    )
    return [t for t in trainees_present(round_) if t.pk not in taken | busy]


def _missing_seat(session: Session) -> SessionSeat | None:
    """The seat whose person a re-match replaces: who did not come, or who left the cohort."""
    if session.status == SessionStatus.NO_SHOW:
        return session.seats.filter(no_show=True).first()
    if session.status == SessionStatus.CANCELLED:
        return session.seats.filter(left_cohort=True).first()
    return None


def rematch_offered_to(session: Session, user: User) -> bool:
    """Whether `user` was left behind in `session` (by a no-show or by a partner's removal from
    the cohort) and has not re-matched yet."""
    if _missing_seat(session) is None or session.rematches.exists():
        return False
    return session.seats.filter(user=user, no_show=False, left_cohort=False).exists()


@transaction.atomic
def session_rematch(*, session: Session, user: User, partner: User, start: datetime) -> Session:
    """The trainee left behind by a no-show, or by a partner removed from the cohort, proposes
    a session with another trainee of the round, who takes the missing person's role; it then
    goes through confirmation as usual."""
    session = _locked(session)
    missing = _missing_seat(session)
    if missing is None:
        raise BookingRefused(
            "A re-match is for a session someone did not come to or left the cohort before."
        )
    seat = session.seats.filter(user=user, no_show=False, left_cohort=False).first()
    if seat is None or not may(user, Action.VIEW, session.pairing.round.cohort):
        raise BookingRefused("Only the trainee who was left behind can ask for a re-match.")
    if partner.pk not in {c.pk for c in rematch_candidates(session, user)}:
        raise BookingRefused(f"{partner.name} is not free to stand in this round.", field="partner")
    pairing = session.pairing
    end = start + timedelta(minutes=pairing.round.session_minutes)
    _check_time(pairing=pairing, start=start, end=end, actor=user)
    people = [(user, seat.role), (partner, missing.role)]
    new = Session(
        pairing=pairing,
        start=start,
        end=end,
        room=session.room,
        video_url=session.video_url,
        proposed_by=user,
        rematch_of=session,
    )
    _save_with_seats(new, people, proposer=user)
    event_record(session=new, kind=EventKind.PROPOSED, actor=user, data=_at(new))
    _notify_waiting(new, people, user, MessageKind.PROPOSAL_WAITING)
    return new


@transaction.atomic
def sessions_free_for_departure(*, cohort, departed: User, by: User) -> int:
    """Cancel the open sessions of `cohort` that `departed` (just removed from it) sits in:
    every proposal, and every scheduled session that has not started. Their seats stop holding
    anyone's time, the messages queued about them are withdrawn, and the others are told and
    offered a re-match. Past sessions stay as they are. Returns how many were cancelled."""
    now = timezone.now()
    sessions = (
        Session.objects.filter(pairing__round__cohort=cohort, seats__user=departed)
        .filter(Q(status=SessionStatus.PROPOSED) | Q(status=SessionStatus.SCHEDULED, start__gt=now))
        .order_by("pk")
    )
    cancelled = 0
    for session in sessions:
        session = _locked(session)
        session.status = SessionStatus.CANCELLED
        session.cancel_reason = f"{capfirst(departed.name)} has left {cohort.name}."
        session.cancelled_by = by
        session.cancelled_at = now
        session.sequence += 1
        session.save()
        session.seats.update(active=False)
        session.seats.filter(user=departed).update(left_cohort=True)
        event_record(
            session=session,
            kind=EventKind.CANCELLED,
            actor=by,
            data={"reason": session.cancel_reason, "late": False},
        )
        notify.messages_withdraw(dedupe_key_prefix=f"session:{session.pk}:")
        for person, _role in _people_of_session(session):
            if person.pk != departed.pk:
                _queue(
                    session,
                    person,
                    MessageKind.SESSION_CANCELLED,
                    f"{WHEN_TOKEN} is cancelled",
                    f"{capfirst(departed.name)} has left {cohort.name}, so your session is cancelled. "
                    "Open it in Dyad to practise with another trainee of the round instead.",
                )
        cancelled += 1
    return cancelled
