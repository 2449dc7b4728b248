"""Feedback: who owes which form, drafts, submit (validate, lock, score), amendments, the
double-blind reveal, the outbox messages around them, reflections and goals, and template versions.

Concurrency: every write that can end in a reveal first locks the session row, so two partners
submitting in the same instant are serialised — the second sees the first's submission and makes
the one reveal; FeedbackReveal's one-to-one on the session backs that up in the database. A
response is submitted with a conditional lock on its own row, so two tabs submitting the same
form store one submission.

Messages: the request ("How did it go?"), nudges at 24 h and 72 h and the notice 24 h before the
window closes are written when the session is completed (so a cancelled session never gets them
and a no-show's are withdrawn), each with a dedupe key; submitting withdraws the author's nudges.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from roleplay import scoring
from roleplay.models import (
    FeedbackAnswer,
    FeedbackItem,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    FeedbackScore,
    FeedbackTemplate,
    GoalTried,
    ItemKind,
    MessageKind,
    PairingRole,
    Reflection,
    ResponseState,
    RevealPolicy,
    RevealReason,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.permissions import Action, may, may_edit_template

from . import notify
from .events import event_feedback_submitted, event_revealed, event_reviewed
from .scenario_totals import scenario_totals_submitted

AMEND_WITHIN = timedelta(hours=24)
NUDGES = (("24h", timedelta(hours=24)), ("72h", timedelta(hours=72)))
CLOSING_NOTICE = timedelta(hours=24)
BUILTIN_FAMILY = {purpose: f"builtin-{purpose}" for purpose in FeedbackPurpose.values}


class FeedbackRefused(Exception):
    """`reason` in words for the person; `errors` maps an item key to what is wrong with it."""

    def __init__(self, reason: str, *, errors: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}


@dataclass(frozen=True)
class AnswerValue:
    value: Decimal | None = None
    text: str = ""
    is_na: bool = False

    @property
    def given(self) -> bool:
        return self.is_na or self.value is not None or bool(self.text.strip())


@dataclass(frozen=True)
class OwedForm:
    """One form a person is to fill in about someone in a session."""

    author: User
    about: User
    purpose: str

    @property
    def purpose_label(self) -> str:
        return FeedbackPurpose(self.purpose).label


def number_text(value: Decimal) -> str:
    """7.0 → "7", 7.5 → "7.5", 10 → "10" (Decimal's own formats give "7.0" or "1E+1")."""
    return format(value.normalize(), "f")


# --- who writes what --------------------------------------------------------------------------


def window_closes_at(session: Session) -> datetime:
    return session.end + timedelta(days=session.pairing.round.cohort.feedback_window_days)


def present_seats(session: Session) -> dict[str, SessionSeat]:
    """The seats of those who came, by role (a page reads them once and passes them on; a list
    prefetches `seats__user`)."""
    cache = getattr(session, "_prefetched_objects_cache", {})
    seats = cache["seats"] if "seats" in cache else session.seats.select_related("user")
    return {seat.role: seat for seat in sorted(seats, key=lambda s: s.role) if not seat.no_show}


def forms_owed(session: Session, seats: dict[str, SessionSeat] | None = None) -> list[OwedForm]:
    """The trainees' forms of a completed session: the client-role trainee and an observer write
    about the therapist, the therapist about the client (their self-assessment and what they
    learned from them). A no-show session owes nothing."""
    if session.status != SessionStatus.COMPLETED:
        return []
    seats = present_seats(session) if seats is None else seats
    client, therapist = seats.get(PairingRole.CLIENT), seats.get(PairingRole.THERAPIST)
    if client is None or therapist is None:
        return []
    owed = [
        OwedForm(client.user, therapist.user, FeedbackPurpose.CLIENT),
        OwedForm(therapist.user, client.user, FeedbackPurpose.THERAPIST),
    ]
    if observer := seats.get(PairingRole.OBSERVER):
        owed.append(OwedForm(observer.user, therapist.user, FeedbackPurpose.OBSERVER))
    return owed


def form_allowed(session: Session, author: User, about: User, purpose: str) -> bool:
    """May `author` write a form of `purpose` about `about` in this session?"""
    if session.status != SessionStatus.COMPLETED:
        return False
    if any(
        (f.author.pk, f.about.pk, f.purpose) == (author.pk, about.pk, purpose)
        for f in forms_owed(session)
    ):
        return True
    seats = present_seats(session)
    trainees = {seat.user_id for seat in seats.values()}
    client = seats.get(PairingRole.CLIENT)
    if purpose == FeedbackPurpose.SUPERVISOR:
        return about.pk in trainees and may(author, Action.MANAGE, session.pairing.round.cohort)
    if purpose == FeedbackPurpose.PORTRAYAL and client and about.pk == client.user_id:
        therapist = seats.get(PairingRole.THERAPIST)
        return (therapist is not None and therapist.user_id == author.pk) or may(
            author, Action.MANAGE, session.pairing.round.cohort
        )
    return False


def template_for(session: Session, purpose: str) -> FeedbackTemplate:
    """The current version of the family the round chose for this role (or the built-in one)."""
    chosen = getattr(session.pairing.round, f"{purpose}_template", None)
    family = chosen.family if chosen else BUILTIN_FAMILY[purpose]
    return FeedbackTemplate.objects.get(family=family, is_current=True)


# --- filling in -------------------------------------------------------------------------------


def _check_open(session: Session, author: User, about: User, purpose: str) -> None:
    if not form_allowed(session, author, about, purpose):
        raise FeedbackRefused("This form is not yours to fill in for this session.")
    if purpose != FeedbackPurpose.SUPERVISOR and timezone.now() >= window_closes_at(session):
        raise FeedbackRefused("The feedback window for this session has closed.")


def response_current(
    *, session: Session, author: User, about: User, purpose: str
) -> FeedbackResponse | None:
    """The open draft if there is one, else the latest submitted revision, else None."""
    responses = FeedbackResponse.objects.filter(
        session=session, author=author, about=about, purpose=purpose
    ).select_related("template")
    return (
        responses.filter(state=ResponseState.DRAFT).first()
        or responses.order_by("-revision").first()
    )


@transaction.atomic
def feedback_start(
    *, session: Session, author: User, about: User, purpose: str
) -> FeedbackResponse:
    """The draft to type into: the open one, or a new one on the template's current version."""
    _check_open(session, author, about, purpose)
    existing = response_current(session=session, author=author, about=about, purpose=purpose)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return FeedbackResponse.objects.create(
                session=session,
                author=author,
                about=about,
                purpose=purpose,
                template=template_for(session, purpose),
            )
    except IntegrityError:  # a second tab started it a moment ago
        return response_current(session=session, author=author, about=about, purpose=purpose)


def _items(response: FeedbackResponse) -> list[FeedbackItem]:
    return list(response.template.items.all())


def answers_check(
    items: list[FeedbackItem], answers: dict[str, AnswerValue], *, complete: bool
) -> dict[str, str]:
    """What is wrong with each answer, by item key; `complete` also asks for every required one."""
    errors = {}
    for item in items:
        answer = answers.get(item.key, AnswerValue())
        if answer.is_na and not item.allow_na:
            errors[item.key] = "“Not applicable” is not offered for this item."
        elif answer.value is not None and not answer.is_na:
            if item.minimum is not None and not item.minimum <= answer.value <= item.maximum:
                errors[item.key] = (
                    f"Give a value from {number_text(item.minimum)} to {number_text(item.maximum)}."
                )
            elif answer.value != answer.value.quantize(Decimal("0.1")):
                errors[item.key] = "Use at most one decimal place."
        elif item.kind == ItemKind.CHOICE and answer.text and answer.text not in item.choices:
            errors[item.key] = "Choose one of the options listed."
        elif item.kind == ItemKind.TEXT and len(answer.text) > item.max_length:
            errors[item.key] = (
                f"Keep this to {item.max_length} characters (it has {len(answer.text)})."
            )
        if complete and item.required and not answer.given and item.key not in errors:
            errors[item.key] = "Please answer this item."
    return errors


def _write_answers(
    response: FeedbackResponse, items: list[FeedbackItem], answers: dict[str, AnswerValue]
) -> None:
    by_key = {item.key: item for item in items}
    for key, answer in answers.items():
        if key not in by_key:
            continue
        FeedbackAnswer.objects.update_or_create(
            response=response,
            item=by_key[key],
            defaults={"value": answer.value, "text": answer.text, "is_na": answer.is_na},
        )


def _locked_response(response: FeedbackResponse, author: User) -> FeedbackResponse:
    locked = (
        FeedbackResponse.objects.select_for_update(of=("self",))
        .select_related("template")
        .filter(pk=response.pk, author=author)
        .first()
    )
    if locked is None:
        raise FeedbackRefused("This form is not yours to fill in.")
    if locked.state != ResponseState.DRAFT:
        raise FeedbackRefused("This form has been submitted already; it is locked.")
    return locked


@transaction.atomic
def feedback_save_draft(
    *, response: FeedbackResponse, author: User, answers: dict[str, AnswerValue]
) -> dict[str, str]:
    """Keep what is valid of a draft; returns the errors of what was not kept (nothing partial
    within one item: an out-of-range value is not stored at all)."""
    response = _locked_response(response, author)
    session = _locked_session(response.session_id)
    _check_open(session, author, response.about, response.purpose)
    items = _items(response)
    errors = answers_check(items, answers, complete=False)
    _write_answers(response, items, {k: v for k, v in answers.items() if k not in errors})
    response.save(update_fields=["updated_at"])
    return errors


def _locked_session(session_id: int) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("pairing__round__cohort")
        .get(pk=session_id)
    )


@transaction.atomic
def feedback_submit(
    *, response: FeedbackResponse, author: User, answers: dict[str, AnswerValue]
) -> FeedbackResponse:
    """Validate every item (all errors at once, nothing saved if any), store the answers, score
    them with the response's own template version, lock the form, withdraw the author's nudges,
    and reveal the session if this was the last form it waited for."""
    session = _locked_session(response.session_id)
    response = _locked_response(response, author)
    _check_open(session, author, response.about, response.purpose)
    items = _items(response)
    errors = answers_check(items, answers, complete=True)
    if errors:
        raise FeedbackRefused(
            "Some answers need another look; nothing was submitted.", errors=errors
        )
    _write_answers(response, items, answers)
    _score(response, items, answers)
    response.state = ResponseState.SUBMITTED
    response.submitted_at = timezone.now()
    response.save(update_fields=["state", "submitted_at", "flags", "updated_at"])
    scenario_totals_submitted(response=response, scenario_id=session.pairing.scenario_id)
    if response.purpose == FeedbackPurpose.SUPERVISOR:
        event_reviewed(session=session, supervisor=author)
    else:
        event_feedback_submitted(session=session, author=author)
    notify.messages_withdraw(dedupe_key_prefix=_author_prefix(session, author))
    if _all_submitted(session) and session.pairing.round.cohort.reveal_policy == RevealPolicy.AUTO:
        _reveal(session, RevealReason.BOTH_SUBMITTED)
    # Imported here: services.review reads feedback through selectors that import this module.
    from .review import review_flags_refresh

    review_flags_refresh(session=session)
    return response


def _scored_items(items: list[FeedbackItem]) -> list[scoring.ScoredItem]:
    return [
        scoring.ScoredItem(
            key=item.key,
            minimum=item.minimum if item.kind != ItemKind.YES_NO else Decimal(0),
            maximum=item.maximum if item.kind != ItemKind.YES_NO else Decimal(1),
            reverse=item.reverse,
            subscale=item.subscale,
        )
        for item in items
        if item.counts_in_score
    ]


def _score(response: FeedbackResponse, items: list[FeedbackItem], answers) -> None:
    scored = _scored_items(items)
    template = response.template
    response.flags = []
    if not scored:
        return
    values = {key: (None if answer.is_na else answer.value) for key, answer in answers.items()}
    rule = scoring.Rule(
        scoring.Aggregate(template.aggregate),
        scoring.Missing(template.missing_rule),
        template.impute_max,
    )
    scores = scoring.score_response(scored, values, rule)
    FeedbackScore.objects.bulk_create(
        FeedbackScore(
            response=response,
            subscale=s.subscale,
            value=s.value,
            items_used=s.items_used,
            imputed=s.imputed,
        )
        for s in scores
    )
    thresholds = [
        scoring.Threshold(t["target"], t["op"], Decimal(str(t["value"])), t["label"])
        for t in template.thresholds
    ]
    response.flags = scoring.thresholds_hit(thresholds, scores, scored, values)


@transaction.atomic
def feedback_amend(*, response: FeedbackResponse, author: User) -> FeedbackResponse:
    """Open a new revision of a submitted form, carrying its answers over: within 24 hours of the
    first submission and before the reveal (so nobody rewrites in reaction to what they read).
    The earlier revision stays as it was, for supervisors to read."""
    session = _locked_session(response.session_id)
    _check_open(session, author, response.about, response.purpose)
    key = {
        "session": session,
        "author": author,
        "about_id": response.about_id,
        "purpose": response.purpose,
    }
    history = FeedbackResponse.objects.filter(**key)
    if history.filter(state=ResponseState.DRAFT).exists():
        return history.get(state=ResponseState.DRAFT)
    latest = history.filter(state=ResponseState.SUBMITTED).order_by("-revision").first()
    if latest is None:
        raise FeedbackRefused("There is nothing submitted to amend.")
    first = history.order_by("revision").first()
    if timezone.now() - first.submitted_at > AMEND_WITHIN:
        raise FeedbackRefused("An answer can be amended within 24 hours of submitting it.")
    if FeedbackReveal.objects.filter(session=session).exists():
        raise FeedbackRefused("The feedback has been revealed; it can no longer be amended.")
    draft = FeedbackResponse.objects.create(
        **key, template=latest.template, revision=latest.revision + 1
    )
    FeedbackAnswer.objects.bulk_create(
        FeedbackAnswer(response=draft, item_id=a.item_id, value=a.value, text=a.text, is_na=a.is_na)
        for a in latest.answers.all()
    )
    return draft


# --- the reveal -------------------------------------------------------------------------------


def _all_submitted(session: Session) -> bool:
    owed = forms_owed(session)
    submitted = set(
        FeedbackResponse.objects.filter(session=session, state=ResponseState.SUBMITTED).values_list(
            "author_id", "about_id", "purpose"
        )
    )
    return bool(owed) and all((f.author.pk, f.about.pk, f.purpose) in submitted for f in owed)


def _reveal(session: Session, reason: str, by: User | None = None) -> FeedbackReveal | None:
    """Reveal once: returns None if the session was revealed before. Each trainee is told once."""
    reveal, created = FeedbackReveal.objects.get_or_create(
        session=session,
        defaults={"revealed_at": timezone.now(), "reason": reason, "released_by": by},
    )
    if not created:
        return None
    event_revealed(session=session, reason=reason, actor=by)
    for seat in present_seats(session).values():
        notify.message_queue(
            kind=MessageKind.FEEDBACK_REVEALED,
            recipient=seat.user,
            dedupe_key=f"feedback:{session.pk}:revealed:{seat.user_id}",
            subject="Your partner's feedback is ready to read",
            body="Everyone's feedback on your session can be read now. After reading it, say how "
            "useful it was and set yourself one goal for next time.",
            link=reverse("session_detail", args=[session.pk]) + "#feedback",
        )
    return reveal


@transaction.atomic
def feedback_release(*, session: Session, supervisor: User) -> FeedbackReveal:
    """A supervisor releases a session's feedback to its trainees (whatever the policy)."""
    session = _locked_session(session.pk)
    if not may(supervisor, Action.MANAGE, session.pairing.round.cohort):
        raise FeedbackRefused("Only the cohort's supervisors release feedback.")
    if session.status != SessionStatus.COMPLETED:
        raise FeedbackRefused("Feedback is released for a completed session.")
    reveal = _reveal(session, RevealReason.SUPERVISOR, by=supervisor)
    if reveal is None:
        raise FeedbackRefused("This session's feedback was released already.")
    return reveal


def feedback_reveals_due(*, now: datetime | None = None) -> int:
    """Auto-policy sessions whose window has closed are revealed (with whatever was written)."""
    now = now or timezone.now()
    revealed = 0
    candidates = (
        Session.objects.filter(
            status=SessionStatus.COMPLETED,
            reveal__isnull=True,
            pairing__round__cohort__reveal_policy=RevealPolicy.AUTO,
            end__lte=now - timedelta(days=1),
        )
        .select_related("pairing__round__cohort")
        .order_by("end")
    )
    for session in candidates:
        if window_closes_at(session) > now:
            continue
        with transaction.atomic():
            locked = _locked_session(session.pk)
            revealed += _reveal(locked, RevealReason.WINDOW_CLOSED) is not None
    return revealed


def is_revealed(session: Session) -> bool:
    return FeedbackReveal.objects.filter(session=session).exists()


# --- messages ---------------------------------------------------------------------------------


def _author_prefix(session: Session, author: User) -> str:
    return f"feedback:{session.pk}:{author.pk}:"


def _form_link(session: Session, form: OwedForm) -> str:
    return reverse("feedback_form", args=[session.pk, form.purpose, form.about.pk])


def feedback_requests_queue(*, session: Session) -> int:
    """At the end of a completed session: each trainee's request, linking straight to their form,
    nudges at 24 h and 72 h and a notice a day before the window closes (each only if still ahead
    of the close); all withdrawn when the form is submitted."""
    closes = window_closes_at(session)
    queued = 0
    for form in forms_owed(session):
        prefix = _author_prefix(session, form.author)
        link = _form_link(session, form)
        role = FeedbackPurpose(form.purpose).label.lower()
        stages = [
            (
                "request",
                MessageKind.SESSION_ENDED,
                session.end,
                "How did it go? Your feedback is waiting",
                f"Your session has ended. Fill in your {role} feedback about {form.about.name} "
                f"while it is fresh; you will read theirs once you have both submitted.",
            ),
        ]
        for stage, after in NUDGES:
            if session.end + after < closes - CLOSING_NOTICE:
                stages.append(
                    (
                        stage,
                        MessageKind.FEEDBACK_NUDGE,
                        session.end + after,
                        "Your feedback is still to write",
                        f"Your {role} feedback about {form.about.name} is not submitted yet.",
                    )
                )
        stages.append(
            (
                "closing",
                MessageKind.FEEDBACK_CLOSING,
                closes - CLOSING_NOTICE,
                "The feedback window closes in 24 hours",
                f"Your {role} feedback about {form.about.name} can be written for 24 more hours.",
            )
        )
        for stage, kind, due_at, subject, body in stages:
            message = notify.message_queue(
                kind=kind,
                recipient=form.author,
                dedupe_key=prefix + stage,
                subject=subject,
                body=body,
                link=link,
                due_at=due_at,
            )
            queued += message is not None
    return queued


def feedback_messages_withdraw(*, session: Session) -> int:
    """A session that turned out a no-show (or was cancelled) asks nobody for feedback."""
    return notify.messages_withdraw(dedupe_key_prefix=f"feedback:{session.pk}:")


# --- after the reveal -------------------------------------------------------------------------


def _trainee_seat(session: Session, trainee: User) -> SessionSeat:
    seat = session.seats.filter(user=trainee, no_show=False).first()
    if seat is None:
        raise FeedbackRefused("Only the session's trainees reflect on its feedback.")
    return seat


@transaction.atomic
def reflection_save(
    *, session: Session, trainee: User, usefulness: int | None, text: str, goal: str
) -> Reflection:
    """How useful the feedback received was (1 to 5), a reflection, one goal — after the reveal."""
    _trainee_seat(session, trainee)
    if not is_revealed(session):
        raise FeedbackRefused("You can reflect once the feedback has been revealed.")
    if usefulness is not None and not 1 <= usefulness <= 5:
        raise FeedbackRefused("Rate usefulness from 1 to 5.")
    reflection, _ = Reflection.objects.update_or_create(
        session=session,
        trainee=trainee,
        defaults={"usefulness": usefulness, "text": text.strip(), "goal": goal.strip()},
    )
    return reflection


@transaction.atomic
def goal_checkin(*, reflection: Reflection, trainee: User, tried: str, note: str) -> Reflection:
    """ "Did you try it?" — answered on the next session's page once it has started."""
    if reflection.trainee_id != trainee.pk:
        raise FeedbackRefused("This goal is not yours.")
    if tried not in GoalTried.values:
        raise FeedbackRefused("Say whether you tried it.")
    reflection.goal_tried = tried
    reflection.goal_tried_note = note.strip()
    reflection.save(update_fields=["goal_tried", "goal_tried_note", "updated_at"])
    return reflection


# --- templates --------------------------------------------------------------------------------

ITEM_FIELDS = [
    "key",
    "kind",
    "prompt",
    "help_text",
    "minimum",
    "maximum",
    "anchors",
    "choices",
    "max_length",
    "required",
    "allow_na",
    "reverse",
    "subscale",
    "scored",
    "parallel_key",
]


@transaction.atomic
def template_edit(
    *, template: FeedbackTemplate, user: User, changes: dict, items: list[dict]
) -> FeedbackTemplate:
    """Change a template. One without responses is edited in place; one with responses gets a
    new version (the family's current one from now on), so old responses keep their items and
    scores. Built-in templates are changed by programme admins only; others by their owner."""
    template = FeedbackTemplate.objects.select_for_update().get(pk=template.pk)
    if not template.is_current:
        raise FeedbackRefused("Only the current version of a template can be edited.")
    if not may_edit_template(user, template):
        raise FeedbackRefused("Only the template's owner (or a programme admin) may edit it.")
    used = FeedbackResponse.objects.filter(template=template).exists()
    if used:
        template.is_current = False
        template.save(update_fields=["is_current"])
        newest = FeedbackTemplate.objects.filter(family=template.family).aggregate(v=Max("version"))
        template.pk = None
        template._state.adding = True
        template.version = newest["v"] + 1
        template.is_current = True
    for field, value in changes.items():
        setattr(template, field, value)
    template.save()
    if not used:
        template.items.all().delete()
    FeedbackItem.objects.bulk_create(
        FeedbackItem(
            template=template,
            position=position,
            **{k: v for k, v in item.items() if k in ITEM_FIELDS},
        )
        for position, item in enumerate(items, start=1)
    )
    return template


@transaction.atomic
def template_copy(*, template: FeedbackTemplate, user: User) -> FeedbackTemplate:
    """A new family starting from `template`: the supervisor's own, or programme-wide when a
    programme admin makes it. Its source and licence note travel with it."""
    copy = FeedbackTemplate.objects.create(
        family=f"form-{uuid.uuid4().hex[:12]}",
        purpose=template.purpose,
        name=f"{template.name} (my version)",
        description=template.description,
        licence_note=template.licence_note,
        owner=None if user.is_programme_admin else user,
        aggregate=template.aggregate,
        missing_rule=template.missing_rule,
        impute_max=template.impute_max,
        thresholds=template.thresholds,
    )
    FeedbackItem.objects.bulk_create(
        FeedbackItem(template=copy, position=position, **item)
        for position, item in enumerate(template_items_as_dicts(template), start=1)
    )
    return copy


def template_items_as_dicts(template: FeedbackTemplate) -> list[dict]:
    return [{k: getattr(item, k) for k in ITEM_FIELDS} for item in template.items.all()]
