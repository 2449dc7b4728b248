"""The session page's own reads: the session with everything around it that every viewer sees,
loaded once and passed down, so the page runs a fixed number of queries whatever it holds
(pinned in tests/roleplay/views/test_session_page_queries.py).

One query loads the session with its cohort, room, scenario, reveal, the current recording and
its uploader, and the viewer's active role in the cohort (`viewer_role`); a second its seats
with each person and whether their consent to recording stands (`consents`). Later reads take
what they need from these objects instead of asking again."""

from django.db.models import Exists, FilteredRelation, OuterRef, Prefetch, Q
from django.http import Http404

from accounts.models import User
from roleplay.models import Consent, Session, SessionSeat
from roleplay.permissions import cohort_role_of, sessions_visible_to


def _seats_with_consent():
    standing = Consent.objects.filter(
        session=OuterRef("session"), user=OuterRef("user"), withdrawn_at__isnull=True
    )
    return SessionSeat.objects.select_related("user").annotate(consents=Exists(standing))


def session_for_page(user: User, pk: int) -> Session:
    """The session as its page shows it to `user`, or 404 if they may not see it (the same rule
    as permissions.get_session_for)."""
    session = (
        sessions_visible_to(user)
        .annotate(
            viewer_role=cohort_role_of(user),
            # At most one recording is current (a unique constraint), so this join is one row.
            current_recording=FilteredRelation(
                "recordings", condition=Q(recordings__deleted_at__isnull=True)
            ),
        )
        .select_related(
            "pairing__round__cohort",
            "room",
            "pairing__scenario",
            "cancelled_by",
            "reveal",
            "current_recording__uploaded_by",
        )
        .prefetch_related(Prefetch("seats", queryset=_seats_with_consent().order_by("role")))
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    session.viewer_for = user.pk  # whose role `viewer_role` is (permissions.supervises_session)
    return session


def page_seats(session: Session) -> list[SessionSeat]:
    """The seats loaded with the session (by role), or read now for a session that was not."""
    cache = getattr(session, "_prefetched_objects_cache", {})
    if "seats" in cache:
        return list(cache["seats"])
    return list(_seats_with_consent().filter(session=session).order_by("role"))
