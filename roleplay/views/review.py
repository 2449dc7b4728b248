"""The supervisor's review queue and the review of one session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from roleplay.models import SessionReview
from roleplay.permissions import Action, get_session_for, may, may_review
from roleplay.selectors.feedback import session_feedback
from roleplay.selectors.review import review_queue
from roleplay.services import review as review_services
from roleplay.services.feedback import FeedbackRefused


@login_required
@require_GET
def review_queue_page(request):
    if not may_review(request.user):
        raise Http404("No review queue here.")
    return render(request, "roleplay/review_queue.html", {"rows": review_queue(request.user)})


@login_required
def session_review(request, pk: int):
    """GET: both sides, the gap, the flags and the supervisor's own forms; POST marks the session
    reviewed (refused, with the reason, until every trainee has the supervisor's form)."""
    session = get_session_for(request.user, pk)
    if not may(request.user, Action.MANAGE, session.pairing.round.cohort):
        raise Http404("No such session.")
    if request.method == "POST":
        try:
            review_services.session_review(session=session, supervisor=request.user)
        except FeedbackRefused as exc:
            messages.error(request, exc.reason)
            return redirect("session_review", pk=pk)
        messages.success(request, "Reviewed. The trainees have been told.")
        return redirect("review_queue")
    fb = session_feedback(session, request.user, manages=True)
    review = SessionReview.objects.filter(session=session).select_related("reviewed_by").first()
    latest = {}
    for response in fb.everything:
        if response.is_submitted:
            latest[(response.author_id, response.about_id, response.purpose)] = response
    context = {
        "session": session,
        "fb": fb,
        "review": review,
        "responses": list(latest.values()),
    }
    return render(request, "roleplay/review_session.html", context)
