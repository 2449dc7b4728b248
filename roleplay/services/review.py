"""The supervisor's review of a session: the queue's flags, worked out once each time a form is
submitted, and marking a session reviewed (which adds template 4 first and tells the trainees).

Flags (each with words a supervisor reads in the queue):
- low client-rated score: the client-role trainee's total, per item, sits in the bottom
  LOW_SCORE_FRACTION of its items' range;
- a large self-vs-client gap: the perspective gap (client minus therapist on their linked
  items) is at least GAP_PER_ITEM scale points per linked item, either way;
- a threshold rule hit: any rule of a template (the supervisor's own) met at submit;
- a missing submission past the window: worked out when the queue is read (it depends on time).
"""

from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    SCORED_KINDS,
    Aggregate,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    MessageKind,
    ResponseState,
    Session,
    SessionReview,
    SessionStatus,
)
from roleplay.permissions import Action, may
from roleplay.selectors.feedback import perspective_gap, with_details

from . import notify
from .feedback import FeedbackRefused, feedback_release, forms_owed, number_text

LOW_SCORE_FRACTION = Decimal("0.5")
GAP_PER_ITEM = Decimal("1.0")
TRAINEE_PURPOSES = (FeedbackPurpose.CLIENT, FeedbackPurpose.THERAPIST, FeedbackPurpose.OBSERVER)


def _latest_submitted(session: Session) -> dict[tuple[int, int, str], FeedbackResponse]:
    responses = with_details(
        FeedbackResponse.objects.filter(session=session, state=ResponseState.SUBMITTED)
    ).order_by("revision")
    return {(r.author_id, r.about_id, r.purpose): r for r in responses}


def _low_score_flag(client: FeedbackResponse) -> dict | None:
    total = next((s for s in client.scores.all() if s.subscale == ""), None)
    counted = [i for i in client.template.items.all() if i.scored and i.kind in SCORED_KINDS]
    if total is None or total.value is None or not total.items_used or not counted:
        return None
    per_item = (
        total.value / total.items_used
        if client.template.aggregate == Aggregate.SUM
        else total.value
    )
    low = sum((i.minimum or 0) for i in counted) / len(counted)
    high = sum((i.maximum or 1) for i in counted) / len(counted)
    if high <= low or (per_item - low) / (high - low) > LOW_SCORE_FRACTION:
        return None
    return {
        "kind": "low_score",
        "label": f"Low client-rated score: {number_text(total.value)} "
        f"(on {total.items_used} items)",
    }


def _gap_flag(client: FeedbackResponse, therapist: FeedbackResponse) -> dict | None:
    gap = perspective_gap(client, therapist)
    if gap is None or gap.gap is None:
        return None
    per_item = gap.gap / len(gap.rows) if client.template.aggregate == Aggregate.SUM else gap.gap
    if abs(per_item) < GAP_PER_ITEM:
        return None
    side = (
        "felt less understood than the therapist believed"
        if per_item < 0
        else "felt more understood than the therapist believed"
    )
    return {
        "kind": "gap",
        "label": f"Large self-vs-client gap: the client {side} "
        f"({number_text(gap.gap)} over {len(gap.rows)} items)",
    }


@transaction.atomic
def review_flags_refresh(*, session: Session) -> SessionReview:
    """Work out the session's queue flags from the stored scores (called after each submit)."""
    latest = _latest_submitted(session)
    owed = forms_owed(session)
    complete = bool(owed) and all((f.author.pk, f.about.pk, f.purpose) in latest for f in owed)
    by_purpose = {purpose: r for (_, _, purpose), r in latest.items()}
    client = by_purpose.get(FeedbackPurpose.CLIENT)
    therapist = by_purpose.get(FeedbackPurpose.THERAPIST)
    flags = []
    if client is not None and (low := _low_score_flag(client)):
        flags.append(low)
    if client is not None and therapist is not None and (gap := _gap_flag(client, therapist)):
        flags.append(gap)
    for response in latest.values():
        if response.purpose in TRAINEE_PURPOSES:
            flags.extend({"kind": "threshold", "label": label} for label in response.flags)
    review, _ = SessionReview.objects.update_or_create(
        session=session, defaults={"complete": complete, "flags": flags, "flagged": bool(flags)}
    )
    return review


@transaction.atomic
def session_review(*, session: Session, supervisor: User) -> SessionReview:
    """Mark a session reviewed: every present trainee must have a submitted supervisor form
    (template 4) first. Releases the feedback if it is still held back (the review is the
    supervisor's read), then tells each trainee once."""
    session = (
        Session.objects.select_for_update()
        .select_related("pairing__round__cohort")
        .get(pk=session.pk)
    )
    if not may(supervisor, Action.MANAGE, session.pairing.round.cohort):
        raise FeedbackRefused("Only the cohort's supervisors review its sessions.")
    if session.status != SessionStatus.COMPLETED:
        raise FeedbackRefused("Only a completed session can be reviewed.")
    review = SessionReview.objects.filter(session=session).first()
    if review is not None and review.reviewed_at is not None:
        raise FeedbackRefused("This session has been reviewed already.")
    trainees = {f.about for f in forms_owed(session)} | {f.author for f in forms_owed(session)}
    rated = set(
        FeedbackResponse.objects.filter(
            session=session, purpose=FeedbackPurpose.SUPERVISOR, state=ResponseState.SUBMITTED
        ).values_list("about_id", flat=True)
    )
    missing = sorted(t.name for t in trainees if t.pk not in rated)
    if missing:
        raise FeedbackRefused(
            "Add your supervisor feedback about " + " and ".join(missing) + " first."
        )
    if not FeedbackReveal.objects.filter(session=session).exists():
        feedback_release(session=session, supervisor=supervisor)
    if review is None:
        review = review_flags_refresh(session=session)
    review.reviewed_by = supervisor
    review.reviewed_at = timezone.now()
    review.save(update_fields=["reviewed_by", "reviewed_at"])
    Session.objects.filter(pk=session.pk).update(awaiting_review=False)
    link = reverse("session_detail", args=[session.pk]) + "#feedback"
    for trainee in sorted(trainees, key=lambda t: t.pk):
        notify.message_queue(
            kind=MessageKind.FEEDBACK_REVIEWED,
            recipient=trainee,
            dedupe_key=f"review:{session.pk}:{trainee.pk}",
            subject="Your supervisor has reviewed your session",
            body=f"{supervisor.name} has read the feedback on your session and added their own. "
            "It is on the session's page.",
            link=link,
        )
    return review
