from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from roleplay.feedback_forms import GoalCheckinForm, ReflectionForm
from roleplay.forms import BookingForm, CancelForm, RematchForm
from roleplay.models import Room, SessionStatus
from roleplay.permissions import Action, get_pairing_for, get_session_for, may, may_in_role
from roleplay.selectors.feedback import goal_question_due, page_reflections, session_feedback
from roleplay.selectors.session_page import session_for_page
from roleplay.services import booking
from roleplay.views.pairings import pairing_page
from roleplay.views.session_record import record_context


def _refused(form, exc: booking.BookingRefused):
    """Put a refusal beside the field it is about (or atop the form), keeping what was typed."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
    return form


def _rooms(cohort):
    return Room.objects.filter(cohort=cohort)


@login_required
@require_POST
def pairing_book(request, pk: int):
    """Propose a time (members), or schedule it outright (supervisors ticking "schedule now")."""
    pairing = get_pairing_for(request.user, pk)
    form = BookingForm(request.POST, rooms=_rooms(pairing.round.cohort))
    if not form.is_valid():
        return pairing_page(request, pairing, booking_form=form)
    try:
        if request.POST.get("directly") and may(request.user, Action.MANAGE, pairing.round.cohort):
            session = booking.session_schedule_directly(
                pairing=pairing, supervisor=request.user, **form.cleaned_data
            )
            messages.success(
                request, "The session is scheduled; a confirmation is queued for everyone."
            )
        else:
            session = booking.session_propose(
                pairing=pairing, proposer=request.user, **form.cleaned_data
            )
            messages.success(request, "Proposed. A request to confirm is queued for your partners.")
    except booking.BookingRefused as exc:
        return pairing_page(request, pairing, booking_form=_refused(form, exc))
    return redirect("session_detail", pk=session.pk)


@login_required
def session_detail(request, pk: int):
    return session_page(request, session_for_page(request.user, pk))


def session_page(
    request,
    session,
    *,
    booking_form=None,
    rematch_form=None,
    reflection_form=None,
    goal_form=None,
    record_forms=None,
    status=200,
):
    """The session page; a refused form is passed back in bound, with its errors on it (and the
    status that says why, for the record's refusals: 403, 413, 415).

    Everything is read once and passed down (selectors.session_page): at most 15 queries for
    any viewer, however many notes, comments, events and answers the session holds."""
    if getattr(session, "viewer_for", None) != request.user.pk:
        session = session_for_page(request.user, session.pk)  # a POST's session, re-read
    seats = list(session.seats.all())
    mine = next((seat for seat in seats if seat.user_id == request.user.pk), None)
    open_ = session.status in (SessionStatus.PROPOSED, SessionStatus.SCHEDULED)
    now = timezone.now()
    manages = may_in_role(request.user, Action.MANAGE, session.viewer_role)
    context = {
        "session": session,
        # A stored link could have any scheme a URLField allows (ftp://…); only the web's are
        # made clickable.
        "video_link_is_web": urlsplit(session.video_url).scheme in ("http", "https"),
        "seats": seats,
        "manages": manages,
        "may_check_in": bool(
            mine
            and session.status == SessionStatus.SCHEDULED
            and mine.checked_in_at is None
            and session.start - booking.CHECK_IN_OPENS <= now < session.end
        ),
        "rematch_form": (
            rematch_form
            or RematchForm(candidates=booking.rematch_candidates(session, request.user))
        )
        if booking.rematch_offered_to(session, request.user)
        else None,
        "may_confirm": bool(
            mine
            and session.status == SessionStatus.PROPOSED
            and mine.confirmed_sequence != session.sequence
        ),
        "may_change": open_,
        "booking_form": booking_form
        or BookingForm(
            rooms=_rooms(session.pairing.round.cohort),
            initial={"start": session.start, "room": session.room, "video_url": session.video_url},
        ),
        **_feedback_context(request, session, mine, manages, reflection_form, goal_form),
        **record_context(request, session, seats, **(record_forms or {})),
    }
    return render(request, "roleplay/session_detail.html", context, status=status)


def _feedback_context(request, session, mine, manages, reflection_form, goal_form) -> dict:
    """The feedback section: forms to fill in, what may be read, the reflection, and the goal
    set after the previous session ("did you try it?" once this one has started)."""
    reflections = page_reflections(session, request.user, seated=mine is not None)
    fb = session_feedback(session, request.user, manages=manages, reflections=reflections)
    goal = reflections.goal
    reflection = fb.reflection
    return {
        "fb": fb,
        "reflection_form": reflection_form
        or ReflectionForm(
            initial={
                "usefulness": reflection.usefulness,
                "text": reflection.text,
                "goal": reflection.goal,
            }
            if reflection
            else None
        ),
        "goal": goal,
        "goal_question": bool(goal and goal_question_due(session)),
        "goal_form": goal_form or GoalCheckinForm(),
    }


@login_required
@require_POST
def session_confirm(request, pk: int):
    session = get_session_for(request.user, pk)
    try:
        session = booking.session_confirm(session=session, user=request.user)
    except booking.BookingRefused as exc:
        messages.error(request, exc.reason)
    else:
        if session.status == SessionStatus.SCHEDULED:
            messages.success(request, "Everyone has confirmed: the session is scheduled.")
        else:
            messages.success(request, "Confirmed. Waiting for your partners.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def session_reschedule(request, pk: int):
    session = get_session_for(request.user, pk)
    form = BookingForm(request.POST, rooms=_rooms(session.pairing.round.cohort))
    if not form.is_valid():
        return session_page(request, session, booking_form=form)
    try:
        booking.session_reschedule(session=session, user=request.user, **form.cleaned_data)
    except booking.BookingRefused as exc:
        return session_page(request, session, booking_form=_refused(form, exc))
    messages.success(request, "New time proposed; everyone confirms again.")
    return redirect("session_detail", pk=pk)


def _cancel_page(request, session, form):
    """The confirmation step: what cancelling does and who is told, with the reason asked for
    (kept as typed, its error beside it, when refused)."""
    partners = [
        seat.user.name
        for seat in session.seats.select_related("user").order_by("user_id")
        if seat.user_id != request.user.pk
    ]
    return render(
        request,
        "roleplay/session_cancel.html",
        {"session": session, "form": form, "partners": partners},
    )


@login_required
def session_cancel(request, pk: int):
    """Asks first, saying who will be told; the reason is asked for on the same page."""
    session = get_session_for(request.user, pk)
    form = CancelForm(request.POST or None)
    if not (request.method == "POST" and form.is_valid()):
        return _cancel_page(request, session, form)
    try:
        booking.session_cancel(session=session, user=request.user, **form.cleaned_data)
    except booking.BookingRefused as exc:
        return _cancel_page(request, session, _refused(form, exc))
    messages.success(request, "The session is cancelled; a notice is queued for your partners.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def session_check_in(request, pk: int):
    session = get_session_for(request.user, pk)
    try:
        booking.session_check_in(session=session, user=request.user)
    except booking.BookingRefused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, "Checked in. Have a good session.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def session_no_show(request, pk: int):
    session = get_session_for(request.user, pk)
    absent = session.seats.filter(
        user_id__in=[v for v in request.POST.getlist("absent") if v.isdecimal()]
    ).values_list("user", flat=True)
    try:
        booking.session_mark_no_show(
            session=session,
            supervisor=request.user,
            absent=list(User.objects.filter(pk__in=absent)),
        )
    except booking.BookingRefused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, "Recorded as a no-show.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def session_rematch(request, pk: int):
    session = get_session_for(request.user, pk)
    form = RematchForm(request.POST, candidates=booking.rematch_candidates(session, request.user))
    if not form.is_valid():
        return session_page(request, session, rematch_form=form)
    try:
        new = booking.session_rematch(session=session, user=request.user, **form.cleaned_data)
    except booking.BookingRefused as exc:
        return session_page(request, session, rematch_form=_refused(form, exc))
    messages.success(
        request, f"Proposed to {new.seats.exclude(user=request.user).get().user.name}."
    )
    return redirect("session_detail", pk=new.pk)
