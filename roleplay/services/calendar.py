"""Calendar files: a private per-person feed behind a secret link, and one .ics per session.

The feed link is a bearer secret (calendar apps cannot log in), so it carries a random token of
256 bits and the database keeps only its sha256. A salt or a slow hash would add nothing: the
token is not guessable the way a password is, and a fast hash lets every poll be one indexed
lookup. Getting a new link overwrites the hash, which is what revokes the old one.

What an event says is chosen for every seat alike: partners (as ATTENDEEs, with whether each has
agreed to the time; only the viewer's own entry carries an email address, because trainees never
see each other's addresses in Dyad and a calendar file must not tell them either), where (room or video link), the scenario's title and its intake summary, all
of which every member may read; a 15-minute reminder rides along. The client brief is never
written, whoever asks — the therapist-role trainee must never see it, and a calendar app syncs
its events to places Dyad does not control. The feed's query even leaves the brief unloaded.
"""

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vCalAddress, vDuration

from accounts.models import User
from roleplay.models import CalendarFeed, Session, SessionSeat, SessionStatus
from roleplay.permissions import seated_sessions_of

PRODID = "-//Dyad//Dyad//EN"
# Cancelled sessions stay in the feed so that calendar apps take them off; no-shows are left out
# because nobody needs them in their diary afterwards.
FEED_STATUSES = [
    SessionStatus.PROPOSED,
    SessionStatus.SCHEDULED,
    SessionStatus.COMPLETED,
    SessionStatus.CANCELLED,
]
FEED_DAYS_BACK = 90
# How often a calendar app is asked to poll: bookings move, and an hour is as stale as we dare.
FEED_REFRESH = timedelta(hours=1)
# When calendar apps remind each participant; long enough to find the room or open the link.
ALARM_BEFORE = timedelta(minutes=15)

_ICAL_STATUS = {
    SessionStatus.PROPOSED: "TENTATIVE",
    SessionStatus.SCHEDULED: "CONFIRMED",
    SessionStatus.COMPLETED: "CONFIRMED",
    SessionStatus.NO_SHOW: "CONFIRMED",
    SessionStatus.CANCELLED: "CANCELLED",
}


# --- the secret link -------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> str:
    """A new secret feed token for `user`, replacing (and so revoking) any earlier one. The raw
    token is returned once and stored nowhere."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": _token_hash(token), "created_at": timezone.now()}
    )
    return token


def calendar_feed_revoke(*, user: User) -> None:
    """Stop `user`'s feed link working (after a password reset: whoever took over the account may
    have copied it). They can get a new one from the calendar page."""
    CalendarFeed.objects.filter(user=user).delete()


def calendar_feed_user(*, token: str) -> User | None:
    """Whose feed this token opens, or None for an unknown, replaced or deactivated one."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_token_hash(token), user__is_active=True)
        .first()
    )
    return feed.user if feed else None


def calendar_feed_url(*, token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("calendar_feed", args=[token])


# --- which sessions --------------------------------------------------------------------------


def _seats_with_people() -> Prefetch:
    return Prefetch("seats", queryset=SessionSeat.objects.select_related("user").order_by("role"))


def sessions_for_feed(*, user: User) -> QuerySet[Session]:
    """The sessions `user` sits in from FEED_DAYS_BACK ago on, in cohorts they still belong to,
    loaded in three queries whatever their number (sessions with their round, room and scenario;
    seats with their people)."""
    since = timezone.now() - timedelta(days=FEED_DAYS_BACK)
    return (
        seated_sessions_of(user)
        .filter(status__in=FEED_STATUSES, end__gte=since)
        .select_related("pairing__round", "pairing__scenario", "room")
        .defer("pairing__scenario__client_brief")
        .prefetch_related(_seats_with_people())
        .order_by("start", "pk")
    )


# --- writing iCalendar -----------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _session_page(session: Session) -> str:
    return _site_url(reverse("session_detail", args=[session.pk]))


def _uid(session: Session) -> str:
    """Stable for the life of the session, so a moved or cancelled session updates the event
    calendar apps already hold instead of adding another."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"session-{session.pk}@{domain}"


def _summary(session: Session, seat: SessionSeat | None) -> str:
    summary = f"Role-play: {session.pairing.round.name}"
    if seat is not None:
        summary += f" (you are the {seat.get_role_display().lower()})"
    return summary


def _description(session: Session, viewer: User) -> str:
    people = [
        f"{seat.user.name} ({seat.get_role_display().lower()})"
        for seat in session.seats.all()
        if seat.user_id != viewer.pk
    ]
    lines = [f"With: {', '.join(people)}" if people else "With: nobody else yet"]
    if session.video_url:
        lines.append(f"Video link: {session.video_url}")
    scenario = session.pairing.scenario
    if scenario is None:
        lines.append("Scenario: not chosen yet")
    else:
        lines += [f"Scenario: {scenario.title}", "", "Intake summary:", scenario.intake_summary]
    # URL holds the video link when there is one, so Dyad's own page is named here as well.
    lines += ["", f"In Dyad: {_session_page(session)}"]
    return "\n".join(lines)


def _address(uri: str, name: str, **params: str) -> vCalAddress:
    """A calendar user; icalendar quotes the name (a parameter value) when it needs quoting."""
    address = vCalAddress(uri)
    address.params["CN"] = name
    address.params.update(params)
    return address


def _organizer() -> vCalAddress:
    """Dyad itself: RFC 5545 wants an ORGANIZER wherever there are ATTENDEEs, and a trainee
    named as one would be offered by their calendar app to change or cancel it for everyone."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return _address(f"mailto:{email}", name or "Dyad")


def _person_uri(user: User, viewer: User) -> str:
    """The viewer's own address, and for anyone else a stable URN that reveals no email."""
    if user.pk == viewer.pk:
        return f"mailto:{user.email}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/people/{user.pk}").urn


def _attendee(session: Session, seat: SessionSeat, viewer: User) -> vCalAddress:
    agreed = seat.confirmed_sequence == session.sequence
    return _address(
        _person_uri(seat.user, viewer),
        seat.user.name,
        ROLE="REQ-PARTICIPANT",
        PARTSTAT="ACCEPTED" if agreed else "NEEDS-ACTION",
        # Answers are given in Dyad, not by a calendar app's reply email.
        RSVP="FALSE",
    )


def _alarm(summary: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -ALARM_BEFORE)
    return alarm


def _event(session: Session, viewer: User, stamp) -> Event:
    seat = next((s for s in session.seats.all() if s.user_id == viewer.pk), None)
    event = Event()
    event.add("uid", _uid(session))
    event.add("dtstamp", stamp)
    event.add("created", session.created_at.astimezone(UTC))
    event.add("last-modified", session.updated_at.astimezone(UTC))
    event.add("sequence", session.sequence)
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    summary = _summary(session, seat)
    event.add("summary", summary)
    event.add("description", _description(session, viewer))
    event.add("status", _ICAL_STATUS[session.status])
    if session.room is not None:
        event.add("location", session.room.name)
    elif session.video_url:
        event.add("location", session.video_url)
    event.add("url", session.video_url or _session_page(session))
    event.add("organizer", _organizer())
    for other in session.seats.all():
        event.add("attendee", _attendee(session, other, viewer))
    if session.status != SessionStatus.CANCELLED:
        event.add_component(_alarm(summary))
    return event


def ics_for_sessions(*, sessions: Iterable[Session], viewer: User, feed: bool = False) -> bytes:
    """An iCalendar file with one event per session, as `viewer` should see it. Sessions must
    come with their seats (and the seats' people) prefetched, or each costs extra queries."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if feed:
        calendar.add("x-wr-calname", "Dyad sessions")
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        # Outlook's name for the same hint.
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH).to_ical().decode())
    # With METHOD present, DTSTAMP is when this file was made (RFC 5545 §3.8.7.2).
    stamp = timezone.now().astimezone(UTC)
    for session in sessions:
        calendar.add_component(_event(session, viewer, stamp))
    return calendar.to_ical()


def ics_for_feed(*, user: User) -> bytes:
    return ics_for_sessions(sessions=sessions_for_feed(user=user), viewer=user, feed=True)


def ics_for_session(*, session: Session, viewer: User) -> bytes:
    """One session's file, for someone the caller has already allowed to see it."""
    prefetch_related_objects([session], _seats_with_people())
    return ics_for_sessions(sessions=[session], viewer=viewer)
