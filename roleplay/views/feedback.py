"""Filling in feedback, autosaving drafts, amending, releasing, reflecting and the goal check-in.

Every view fetches the session through get_session_for (404 for anyone not in it and not
supervising it) and asks services.feedback.form_allowed before showing a form (404 otherwise)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from roleplay.feedback_forms import FeedbackForm, GoalCheckinForm, ReflectionForm, initial_from
from roleplay.models import FeedbackPurpose, ResponseState
from roleplay.permissions import get_session_for, reflections_visible_to
from roleplay.selectors.feedback import answer_rows, with_details
from roleplay.services import feedback
from roleplay.services.feedback import FeedbackRefused, response_current
from roleplay.views.sessions import session_page


def _form_context(request, pk: int, purpose: str, about: int):
    session = get_session_for(request.user, pk)
    if purpose not in FeedbackPurpose.values:
        raise Http404("No such form.")
    seat = session.seats.select_related("user").filter(user_id=about).first()
    if seat is None or not feedback.form_allowed(session, request.user, seat.user, purpose):
        raise Http404("No such form.")
    return session, seat.user


def _page(request, session, about, purpose, *, form=None, response=None):
    response = response or response_current(
        session=session, author=request.user, about=about, purpose=purpose
    )
    if response is not None:
        response = with_details(type(response).objects.filter(pk=response.pk)).get()
    template = response.template if response else feedback.template_for(session, purpose)
    items = list(template.items.all())
    locked = response is not None and response.state == ResponseState.SUBMITTED
    if form is None and not locked:
        form = FeedbackForm(
            items=items, initial=initial_from(response.answers.all()) if response else {}
        )
    closes = feedback.window_closes_at(session)
    context = {
        "session": session,
        "about": about,
        "purpose": purpose,
        "purpose_label": FeedbackPurpose(purpose).label,
        "template": template,
        "form": form,
        "response": response,
        "locked": locked,
        "rows": answer_rows(response) if locked else [],
        "closes_at": closes,
        "window_open": purpose == FeedbackPurpose.SUPERVISOR or timezone.now() < closes,
        "may_amend": locked
        and timezone.now() - response.submitted_at < feedback.AMEND_WITHIN
        and not feedback.is_revealed(session),
    }
    return render(request, "roleplay/feedback_form.html", context)


@login_required
def feedback_form(request, pk: int, purpose: str, about: int):
    """GET shows the draft (or the submitted form, locked); POST saves a draft ("Save draft",
    for browsers without JavaScript) or submits. A refused submit re-renders every answer with
    the errors beside their items; nothing of it is stored."""
    session, about_user = _form_context(request, pk, purpose, about)
    if request.method != "POST":
        return _page(request, session, about_user, purpose)
    try:
        response = feedback.feedback_start(
            session=session, author=request.user, about=about_user, purpose=purpose
        )
    except FeedbackRefused as exc:
        messages.error(request, exc.reason)
        return redirect("feedback_form", pk=pk, purpose=purpose, about=about)
    if response.state == ResponseState.SUBMITTED:
        messages.error(request, "This form has been submitted already; it is locked.")
        return redirect("feedback_form", pk=pk, purpose=purpose, about=about)
    items = list(response.template.items.all())
    form = FeedbackForm(request.POST, items=items)
    form.is_valid()
    answers = form.answers()
    try:
        if request.POST.get("action") == "submit":
            form.add_item_errors(feedback.answers_check(items, answers, complete=True))
            if form.errors:
                raise FeedbackRefused("Some answers need another look; nothing was submitted.")
            feedback.feedback_submit(response=response, author=request.user, answers=answers)
            messages.success(request, "Submitted. Thank you: it is locked now.")
            return redirect("session_detail", pk=pk)
        form.add_item_errors(
            feedback.feedback_save_draft(response=response, author=request.user, answers=answers)
        )
    except FeedbackRefused as exc:
        form.add_item_errors(exc.errors)
        messages.error(request, exc.reason)
        return _page(request, session, about_user, purpose, form=form, response=response)
    if form.errors:
        messages.error(request, "Draft saved, except the answers marked below.")
        return _page(request, session, about_user, purpose, form=form, response=response)
    messages.success(request, "Draft saved.")
    return redirect("feedback_form", pk=pk, purpose=purpose, about=about)


@login_required
@require_POST
def feedback_draft(request, pk: int, purpose: str, about: int):
    """The autosave endpoint (static/js/feedback-autosave.js): keeps what is valid, answers JSON
    with the time saved and any item errors."""
    session, about_user = _form_context(request, pk, purpose, about)
    try:
        response = feedback.feedback_start(
            session=session, author=request.user, about=about_user, purpose=purpose
        )
        form = FeedbackForm(request.POST, items=list(response.template.items.all()))
        form.is_valid()
        errors = {
            name.removeprefix("item_"): " ".join(e) for name, e in form.errors.items()
        } | feedback.feedback_save_draft(
            response=response, author=request.user, answers=form.answers()
        )
    except FeedbackRefused as exc:
        return JsonResponse({"saved": False, "error": exc.reason}, status=409)
    local = timezone.localtime(timezone.now())
    return JsonResponse({"saved": True, "saved_at": f"{local:%H:%M:%S}", "errors": errors})


@login_required
@require_POST
def feedback_amend(request, pk: int, purpose: str, about: int):
    session, about_user = _form_context(request, pk, purpose, about)
    current = response_current(
        session=session, author=request.user, about=about_user, purpose=purpose
    )
    if current is None:
        raise Http404("No such form.")
    try:
        feedback.feedback_amend(response=current, author=request.user)
    except FeedbackRefused as exc:
        messages.error(request, exc.reason)
    else:
        messages.info(request, "A new revision is open; the one you submitted stays on record.")
    return redirect("feedback_form", pk=pk, purpose=purpose, about=about)


@login_required
@require_POST
def feedback_release(request, pk: int):
    session = get_session_for(request.user, pk)
    try:
        feedback.feedback_release(session=session, supervisor=request.user)
    except FeedbackRefused as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, "Released: each trainee can now read the feedback about them.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def reflection_save(request, pk: int):
    session = get_session_for(request.user, pk)
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        return session_page(request, session, reflection_form=form)
    try:
        feedback.reflection_save(session=session, trainee=request.user, **form.cleaned_data)
    except FeedbackRefused as exc:
        form.add_error(None, exc.reason)
        return session_page(request, session, reflection_form=form)
    messages.success(request, "Saved. Your goal will be on your next session's page.")
    return redirect("session_detail", pk=pk)


@login_required
@require_POST
def goal_checkin(request, pk: int, reflection_id: int):
    session = get_session_for(request.user, pk)
    reflection = get_object_or_404(
        reflections_visible_to(request.user).filter(trainee=request.user), pk=reflection_id
    )
    form = GoalCheckinForm(request.POST)
    if not form.is_valid():
        return session_page(request, session, goal_form=form)
    try:
        feedback.goal_checkin(reflection=reflection, trainee=request.user, **form.cleaned_data)
    except FeedbackRefused as exc:
        form.add_error(None, exc.reason)
        return session_page(request, session, goal_form=form)
    messages.success(request, "Thanks — noted with your goal.")
    return redirect("session_detail", pk=pk)
