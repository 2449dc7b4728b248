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
    FeedbackResponse,
    Invitation,
    Message,
    RoundAbsence,
    Scenario,
    Session,
    SessionSeat,
    Unavailability,
    WeeklyHours,
)
from roleplay.permissions import feedback_visible_to, may_read_brief, reflections_visible_to

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
