"""What Dyad holds about one person, as they may see it: the content of "Download my data".

It is what the person could read in Dyad, gathered in one place, and nothing more: partners appear
by the name Dyad shows them, never with their email or anything else of theirs; a client brief
only where the person may read it (never as therapist); do-not-pair records never, as their reason
is for supervisors' eyes; a draft round's pairing not before it is published.
"""

from allauth.mfa.models import Authenticator
from django.db.models import Prefetch, Q

from accounts.models import User
from roleplay.formats import fill_when
from roleplay.models import (
    CohortMembership,
    Consent,
    Event,
    FeedbackResponse,
    Invitation,
    Message,
    Note,
    NoteKind,
    Recording,
    RecordingComment,
    RoundAbsence,
    Scenario,
    Session,
    SessionSeat,
    Unavailability,
    WeeklyHours,
)
from roleplay.permissions import (
    feedback_visible_to,
    may_read_brief,
    reflections_visible_to,
    sessions_visible_to,
)

from .feedback import answer_rows, with_details
from .rounds import pairings_for_trainee


def personal_data(user: User) -> dict:
    """A JSON-ready dictionary, one key per kind of record; times are ISO 8601 in UTC."""
    return {
        "profile": _profile(user),
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in user.emailaddress_set.order_by("email")
        ],
        # Which second factors are set up and when they were used; never their secrets.
        "second_factors": [
            {
                "type": authenticator.get_type_display(),
                "created_at": authenticator.created_at,
                "last_used_at": authenticator.last_used_at,
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "memberships": [
            {
                "cohort": membership.cohort.name,
                "role": membership.get_role_display(),
                "joined_at": membership.joined_at,
                "ended_at": membership.ended_at,
            }
            for membership in CohortMembership.objects.filter(user=user)
            .select_related("cohort")
            .order_by("joined_at")
        ],
        "pairings": _pairings(user),
        "sessions": _sessions(user),
        "round_absences": [
            {
                "round": absence.round.name,
                "cohort": absence.round.cohort.name,
                "reason": absence.reason,
            }
            for absence in RoundAbsence.objects.filter(trainee=user).select_related("round__cohort")
        ],
        "weekly_availability": [
            {"weekday": hours.get_weekday_display(), "start": hours.start, "end": hours.end}
            for hours in WeeklyHours.objects.filter(user=user)
        ],
        "unavailability": [
            {"start": away.start, "end": away.end, "note": away.note}
            for away in Unavailability.objects.filter(user=user)
        ],
        "messages": [
            {
                "kind": message.get_kind_display(),
                "subject": fill_when(message.subject, message.when, user.time_zone),
                "body": fill_when(message.body, message.when, user.time_zone),
                "state": message.get_state_display(),
                "created_at": message.created_at,
                "sent_at": message.sent_at,
                "read_at": message.read_at,
            }
            for message in Message.objects.filter(recipient=user).order_by("created_at")
        ],
        "invitations": [
            {
                "cohort": invitation.cohort.name,
                "email": invitation.email,
                "name": invitation.name,
                "role": invitation.get_role_display(),
                "invited_by": invitation.invited_by.name,
                "created_at": invitation.created_at,
                "expires_at": invitation.expires_at,
                "accepted_at": invitation.accepted_at,
                "status": invitation.status,
            }
            for invitation in Invitation.objects.filter(
                Q(email__iexact=user.email) | Q(accepted_by=user)
            )
            .select_related("cohort", "invited_by")
            .order_by("created_at")
        ],
        **_feedback(user),
        **_record(user),
        "scenarios_written": [
            {"title": scenario.title, "shared": scenario.shared, "created_at": scenario.created_at}
            for scenario in Scenario.objects.filter(owner=user).order_by("created_at")
        ],
    }


def _feedback(user: User) -> dict:
    """Feedback the person wrote (drafts and every revision), feedback about them only once it
    was revealed (invariant 3: what permissions.feedback_visible_to lets them read, as on the
    session page), and their own reflections (through permissions.reflections_visible_to)."""
    written = with_details(FeedbackResponse.objects.filter(author=user)).select_related("session")
    received = with_details(
        feedback_visible_to(user).filter(about=user).exclude(author=user)
    ).select_related("session")

    def entry(response, who):
        return {
            "session_start": response.session.start,
            "form": response.template.name,
            "form_version": response.template.version,
            who: (response.about if who == "about" else response.author).name,
            "revision": response.revision,
            "state": response.get_state_display(),
            "submitted_at": response.submitted_at,
            "answers": {row.prompt: row.shown for row in answer_rows(response)},
            "scores": {
                (score.subscale or "total"): {
                    "value": score.value,
                    "items_used": score.items_used,
                }
                for score in response.scores.all()
            },
        }

    return {
        "feedback_written": [entry(r, "about") for r in written.order_by("created_at")],
        "feedback_received": [entry(r, "author") for r in received.order_by("submitted_at")],
        "reflections": [
            {
                "session_start": reflection.session.start,
                "usefulness": reflection.usefulness,
                "reflection": reflection.text,
                "goal": reflection.goal,
                "goal_tried": reflection.get_goal_tried_display(),
            }
            for reflection in reflections_visible_to(user)
            .filter(trainee=user)
            .select_related("session")
        ],
    }


def _record(user: User) -> dict:
    """What the person left in their sessions' record, and what of it they may read: their own
    process notes, the shared notes of the sessions they may see and those they wrote (every version), the recording
    comments and uploads they made, their consents and what they did in the sessions' timelines.
    Never a partner's process notes, and no care request, not even their own: a care request
    reaches their supervisors and no export (issue 11)."""
    # Shared notes of the sessions they may still see (a removed trainee sees none), and those
    # they wrote themselves wherever they are.
    visible = sessions_visible_to(user).values("pk")
    notes = (
        Note.objects.filter(
            Q(kind=NoteKind.PROCESS, owner=user)
            | Q(kind=NoteKind.SHARED, session__in=visible)
            | Q(kind=NoteKind.SHARED, author=user)
        )
        .select_related("session", "author")
        .order_by("session__start", "kind", "written_at", "pk")
    )
    return {
        "notes": [
            {
                "session_start": note.session.start,
                "kind": note.get_kind_display(),
                "written_by": note.author.name,
                "written_at": note.written_at,
                "text": note.text,
            }
            for note in notes
        ],
        "recording_comments": [
            {
                "session_start": comment.recording.session.start,
                "at": comment.timestamp,
                "text": comment.text,
                "written_at": comment.created_at,
            }
            for comment in RecordingComment.objects.filter(author=user)
            .select_related("recording__session")
            .order_by("created_at", "pk")
        ],
        "recordings_uploaded": [
            {
                "session_start": recording.session.start,
                "uploaded_at": recording.uploaded_at,
                "type": recording.content_type,
                "size_bytes": recording.size,
                "deleted_at": recording.deleted_at,
                "deleted_because": recording.deleted_because,
            }
            for recording in Recording.objects.filter(uploaded_by=user)
            .select_related("session")
            .order_by("uploaded_at")
        ],
        "recording_consents": [
            {
                "session_start": consent.session.start,
                "given_at": consent.given_at,
                "withdrawn_at": consent.withdrawn_at,
            }
            for consent in Consent.objects.filter(user=user)
            .select_related("session")
            .order_by("given_at", "pk")
        ],
        "session_events": [
            {
                "session_start": event.session.start,
                "what": event.get_kind_display(),
                "at": event.at,
            }
            for event in Event.objects.filter(actor=user)
            .select_related("session")
            .order_by("at", "pk")
        ],
    }


def _profile(user: User) -> dict:
    feed = getattr(user, "calendar_feed", None)
    preferences = getattr(user, "email_preferences", None)
    return {
        "email": user.email,
        "name": user.display_name,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "programme_admin": user.is_programme_admin,
        "may_create_cohorts": user.is_supervisor,
        "calendar_link_made_at": feed.created_at if feed else None,
        "email_muted_for": preferences.muted_kinds if preferences else [],
    }


def _pairings(user: User) -> list[dict]:
    rows = []
    for pairing in pairings_for_trainee(user):
        mine = next(m for m in pairing.members.all() if m.trainee_id == user.pk)
        scenario = pairing.scenario
        row = {
            "cohort": pairing.round.cohort.name,
            "round": pairing.round.name,
            "my_role": mine.get_role_display(),
            "partners": [
                {"name": m.trainee.name, "role": m.get_role_display()}
                for m in pairing.members.all()
                if m.trainee_id != user.pk
            ],
            "scenario": scenario.title if scenario else None,
        }
        if scenario:
            row["intake_summary"] = scenario.intake_summary
            if may_read_brief(user, pairing):
                row["client_brief"] = scenario.client_brief
        rows.append(row)
    return rows


def _sessions(user: User) -> list[dict]:
    seats = SessionSeat.objects.select_related("user").order_by("role")
    sessions = (
        Session.objects.filter(seats__user=user)
        .select_related("pairing__round__cohort", "room")
        .prefetch_related(Prefetch("seats", queryset=seats))
        .order_by("start")
        .distinct()
    )
    rows = []
    for session in sessions:
        mine = next(seat for seat in session.seats.all() if seat.user_id == user.pk)
        rows.append(
            {
                "cohort": session.pairing.round.cohort.name,
                "round": session.pairing.round.name,
                "start": session.start,
                "end": session.end,
                "status": session.get_status_display(),
                "room": session.room.name if session.room else None,
                "video_url": session.video_url,
                "my_role": mine.get_role_display(),
                "checked_in_at": mine.checked_in_at,
                "no_show": mine.no_show,
                "partners": [
                    {"name": seat.user.name, "role": seat.get_role_display()}
                    for seat in session.seats.all()
                    if seat.user_id != user.pk
                ],
                "cancel_reason": session.cancel_reason,
            }
        )
    return rows
