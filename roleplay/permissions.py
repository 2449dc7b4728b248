"""Who may see and do what. Every view goes through here.

Seeing is decided first: an object a user may not see does not exist for them (404), so a trainee
who guesses another cohort's id learns nothing. Only a visible object can answer 403 for an action.

Every rule reads *active* memberships: someone removed from a cohort loses its pairings, sessions
and calendar entries at once (the records stay). Roles are per cohort, so each rule also holds
when one person is a trainee in one cohort and a supervisor in another."""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import User
from roleplay.models import (
    CareFlag,
    Cohort,
    CohortMembership,
    FeedbackResponse,
    FeedbackTemplate,
    Invitation,
    Note,
    NoteKind,
    Pairing,
    PairingMember,
    PairingRole,
    Recording,
    Reflection,
    ResponseState,
    Role,
    Round,
    RoundStatus,
    Scenario,
    Session,
)


class Action(StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # edit, invite, remove members: the cohort's supervisors
    APPOINT = "appoint"  # appoint supervisors: programme admins


def cohorts_visible_to(user: User) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    if user.is_programme_admin:
        return Cohort.objects.all()
    return Cohort.objects.filter(
        memberships__user=user, memberships__ended_at__isnull=True
    ).distinct()


def _role_in(user: User, cohort: Cohort) -> str | None:
    membership = (
        CohortMembership.objects.active().filter(cohort=cohort, user=user).only("role").first()
    )
    return membership.role if membership else None


def may(user: User, action: Action, obj) -> bool:
    """May `user` do `action` to `obj`? The single answer every view and template relies on."""
    if not user.is_authenticated:
        return False
    if isinstance(obj, Invitation | CohortMembership):
        return may(user, Action.MANAGE, obj.cohort)
    if not isinstance(obj, Cohort):
        raise TypeError(f"No permission rule for {type(obj).__name__}")
    if user.is_programme_admin:
        return True
    if action == Action.APPOINT:
        return False  # programme admins only: no need to read the user's role
    return may_in_role(user, action, _role_in(user, obj))


def may_in_role(user: User, action: Action, role: str | None) -> bool:
    """`may` for a cohort when the user's active role in it is known already (`role`, None for no
    membership) — e.g. annotated on a page's main query by `cohort_role_of`."""
    if not user.is_authenticated:
        return False
    if user.is_programme_admin:
        return True
    if action == Action.VIEW:
        return role is not None
    if action == Action.MANAGE:
        return role == Role.SUPERVISOR
    return False


def cohort_role_of(user: User, cohort_path: str = "pairing__round__cohort") -> Subquery:
    """An annotation: `user`'s active role in the cohort at `cohort_path` of each row (None if
    none), so a page asks once, in its main query, what `_role_in` would ask again and again."""
    return Subquery(
        CohortMembership.objects.active()
        .filter(cohort=OuterRef(cohort_path), user_id=user.pk)
        .values("role")[:1]
    )


def _supervises_somewhere(user: User) -> bool:
    return CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR).exists()


def may_create_cohort(user: User) -> bool:
    """Programme admins; anyone supervising a cohort now; and anyone an admin granted
    `is_supervisor` ("may create cohorts") who supervises nothing yet. Appointing a supervisor does
    not set the flag — the capability follows the membership — and removing someone from the last
    cohort they supervise clears it (services.cohorts.membership_end), so it ends with the role."""
    if not user.is_authenticated:
        return False
    return user.is_programme_admin or user.is_supervisor or _supervises_somewhere(user)


def may_use_library(user: User) -> bool:
    """The scenario library (with its client briefs) goes with the same capability."""
    return may_create_cohort(user)


def may_create_cohort_in(request) -> bool:
    """may_create_cohort for the signed-in user, asked once per request: the two-factor
    middleware and the navigation both need it (a query each otherwise). A view that changes the
    answer redirects (post/redirect/get), so the next request asks again."""
    if not hasattr(request, "_dyad_may_create_cohort"):
        request._dyad_may_create_cohort = may_create_cohort(request.user)
    return request._dyad_may_create_cohort


def must_use_mfa(user: User, request=None) -> bool:
    """Whose account needs a second factor when DYAD_REQUIRE_MFA is on: programme admins, staff,
    people who may create cohorts and anyone supervising a cohort now (a former supervisor whose
    memberships have all ended no longer sees trainees' feedback, so is not asked)."""
    return user.is_staff or (
        may_create_cohort_in(request) if request is not None else may_create_cohort(user)
    )


def get_cohort_for(user: User, pk: int, action: Action = Action.VIEW) -> Cohort:
    """The cohort, or 404 if the user may not see it, or 403 if they may see it but not act."""
    cohort = cohorts_visible_to(user).filter(pk=pk).first()
    if cohort is None:
        raise Http404("No such cohort.")
    if action != Action.VIEW and not may(user, action, cohort):
        raise PermissionDenied
    return cohort


def _cohort_ids(user: User, role: str | None = None) -> QuerySet:
    """The ids of the cohorts `user` is an active member of (in `role`, if given), as a subquery."""
    memberships = CohortMembership.objects.active().filter(user=user)
    if role is not None:
        memberships = memberships.filter(role=role)
    return memberships.values("cohort_id")


def pairings_visible_to(user: User) -> QuerySet[Pairing]:
    """Pairings of published or closed rounds a trainee is in, while they belong to the cohort;
    every pairing of the cohorts a user supervises."""
    if not user.is_authenticated:
        return Pairing.objects.none()
    if user.is_programme_admin:
        return Pairing.objects.all()
    return Pairing.objects.filter(
        Q(round__cohort__in=_cohort_ids(user, Role.SUPERVISOR))
        | Q(
            members__trainee=user,
            round__status__in=[RoundStatus.PUBLISHED, RoundStatus.CLOSED],
            round__cohort__in=_cohort_ids(user),
        )
    ).distinct()


def get_pairing_for(user: User, pk: int) -> Pairing:
    pairing = (
        pairings_visible_to(user).select_related("round__cohort", "scenario").filter(pk=pk).first()
    )
    if pairing is None:
        raise Http404("No such pairing.")
    return pairing


def scenarios_hidden_from(user: User) -> QuerySet[Scenario]:
    """Scenarios whose client brief `user` must not read anywhere: those they play (or will play)
    the therapist in — in any cohort, whatever role they hold elsewhere.

    "Will play" covers every open round (draft or published): a pairing's scenario, and for a
    pairing whose client chooses, every scenario of its round's set. Closed rounds are over."""
    theirs = Pairing.objects.filter(
        pk__in=PairingMember.objects.filter(trainee=user, role=PairingRole.THERAPIST).values(
            "pairing_id"
        )
    ).exclude(round__status=RoundStatus.CLOSED)
    choosable = Round.scenarios.through.objects.filter(
        round__pairings__in=theirs.filter(client_chooses=True)
    ).values("scenario_id")
    return Scenario.objects.filter(
        Q(pk__in=theirs.filter(scenario__isnull=False).values("scenario_id")) | Q(pk__in=choosable)
    )


def may_read_brief_of(user: User, scenario: Scenario) -> bool:
    return not scenarios_hidden_from(user).filter(pk=scenario.pk).exists()


def may_read_brief(
    user: User, pairing: Pairing, *, members: list | None = None, manages: bool | None = None
) -> bool:
    """The client brief is for the client-role trainee, an observer and supervisors — never for
    a therapist on the scenario (see scenarios_hidden_from), whatever page, feed or export asks.
    A page that has read the pairing's `members`, or whether the user `manages` its cohort,
    passes them in so they are not read again."""
    if pairing.scenario is None or not may_read_brief_of(user, pairing.scenario):
        return False
    if manages is None:
        manages = may(user, Action.MANAGE, pairing.round.cohort)
    if manages:
        return True
    readers = [PairingRole.CLIENT, PairingRole.OBSERVER]
    if members is not None:
        return any(m.trainee_id == user.pk and m.role in readers for m in members)
    return pairing.members.filter(trainee=user, role__in=readers).exists()


def scenarios_visible_to(user: User) -> QuerySet[Scenario]:
    """The library a supervisor works from: their own scenarios and everything shared."""
    if not may_use_library(user):
        return Scenario.objects.none()
    if user.is_programme_admin:
        return Scenario.objects.all()
    return Scenario.objects.filter(Q(owner=user) | Q(shared=True))


def get_round_for(user: User, pk: int) -> Round:
    """Rounds are managed by the cohort's supervisors; anyone else gets 404."""
    round_ = Round.objects.select_related("cohort").filter(pk=pk).first()
    if round_ is None or not may(user, Action.MANAGE, round_.cohort):
        raise Http404("No such round.")
    return round_


def sessions_visible_to(user: User) -> QuerySet[Session]:
    """A trainee sees the sessions they sit in while they belong to the cohort; supervisors those
    of the cohorts they supervise."""
    if not user.is_authenticated:
        return Session.objects.none()
    if user.is_programme_admin:
        return Session.objects.all()
    return Session.objects.filter(
        Q(pk__in=seated_sessions_of(user).values("pk"))
        | Q(pairing__round__cohort__in=_cohort_ids(user, Role.SUPERVISOR))
    )


def seated_sessions_of(user: User) -> QuerySet[Session]:
    """The sessions `user` has a seat in, of cohorts they still belong to: what their dashboard,
    calendar feed and session pages show them."""
    return Session.objects.filter(seats__user=user, pairing__round__cohort__in=_cohort_ids(user))


def get_session_for(user: User, pk: int) -> Session:
    session = (
        sessions_visible_to(user)
        .select_related("pairing__round__cohort", "room", "pairing__scenario")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    return session


def supervises_session(user: User, session: Session) -> bool:
    """Whether `user` supervises the session's cohort now. Care flags and process notes are for
    the trainee's own supervisors: this rule, unlike `may`, does not open them to admins.
    A session loaded for its page carries the viewer's role (`viewer_role`): no query then."""
    if getattr(session, "viewer_for", None) == user.pk:
        return session.viewer_role == Role.SUPERVISOR
    return (
        CohortMembership.objects.active()
        .filter(cohort_id=session.pairing.round.cohort_id, user=user, role=Role.SUPERVISOR)
        .exists()
    )


def care_flags_visible_to(user: User, session: Session) -> QuerySet[CareFlag]:
    """The raiser sees their own; the cohort's supervisors see all; nobody else sees any."""
    if supervises_session(user, session):
        return session.care_flags.all()
    return session.care_flags.filter(raised_by=user)


def process_notes_visible_to(user: User, session: Session) -> QuerySet[Note]:
    """Process notes: their writer (the therapist-role trainee) and the cohort's supervisors."""
    notes = session.notes.filter(kind=NoteKind.PROCESS)
    if supervises_session(user, session):
        return notes
    return notes.filter(owner=user)


def notes_visible_to(user: User, session: Session) -> QuerySet[Note]:
    """Every note of a session `user` may see (the session itself being visible to them): the
    shared notes, and the process notes `process_notes_visible_to` allows — in one query."""
    shared = Q(kind=NoteKind.SHARED)
    if supervises_session(user, session):
        return session.notes.filter(shared | Q(kind=NoteKind.PROCESS))
    return session.notes.filter(shared | Q(kind=NoteKind.PROCESS, owner=user))


def get_recording_for(user: User, pk: int) -> Recording:
    """A recording not deleted, of a session the user may see; asked on every request."""
    recording = (
        Recording.objects.filter(
            pk=pk, deleted_at__isnull=True, session__in=sessions_visible_to(user)
        )
        .select_related("session__pairing__round__cohort")
        .first()
    )
    if recording is None:
        raise Http404("No such recording.")
    return recording


def get_care_flag_for(user: User, pk: int) -> CareFlag:
    flag = CareFlag.objects.select_related("session__pairing__round").filter(pk=pk).first()
    if flag is None or not care_flags_visible_to(user, flag.session).filter(pk=pk).exists():
        raise Http404("No such request.")
    return flag


def feedback_visible_to(user: User) -> QuerySet[FeedbackResponse]:
    """Invariant 3: feedback about a trainee is readable by its author, the cohort's supervisors
    (memberships now active), programme admins, and the trainee it is about once the session's
    feedback has been revealed — submitted revisions only, never a draft.

    The one rule: pages, exports and emails show what it returns and filter no further for
    privacy (the reveal is encoded here, not in a page), so tests/test_feedback_privacy.py
    catches a fault in it on its own."""
    if not user.is_authenticated:
        return FeedbackResponse.objects.none()
    if user.is_programme_admin:
        return FeedbackResponse.objects.all()
    supervised = CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR)
    return FeedbackResponse.objects.filter(
        Q(author=user)
        | Q(session__pairing__round__cohort__in=supervised.values("cohort_id"))
        | Q(about=user, state=ResponseState.SUBMITTED, session__reveal__isnull=False)
    )


def reflections_visible_to(user: User) -> QuerySet[Reflection]:
    """A reflection — how useful the feedback received was, the reflection's text, the goal and
    whether it was tried — is readable by the trainee who wrote it, the supervisors of the
    session's cohort (memberships now active; they are the feedback authors' supervisors, who see
    the usefulness rating) and programme admins. Never by the partner, whatever page, feed,
    email or export asks. Like `feedback_visible_to`, the one rule every place goes through."""
    if not user.is_authenticated:
        return Reflection.objects.none()
    if user.is_programme_admin:
        return Reflection.objects.all()
    return Reflection.objects.filter(
        Q(trainee=user) | Q(session__pairing__round__cohort__in=_cohort_ids(user, Role.SUPERVISOR))
    )


def may_review(user: User) -> bool:
    """Has a review queue: programme admins and anyone supervising a cohort now."""
    if not user.is_authenticated:
        return False
    return (
        user.is_programme_admin
        or CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR).exists()
    )


def templates_visible_to(user: User) -> QuerySet[FeedbackTemplate]:
    """Feedback forms a supervisor works with: programme-wide ones and their own (current
    versions); a programme admin sees every one."""
    if not may_use_library(user):
        return FeedbackTemplate.objects.none()
    current = FeedbackTemplate.objects.filter(is_current=True)
    if user.is_programme_admin:
        return current
    return current.filter(Q(owner__isnull=True) | Q(owner=user))


def may_edit_template(user: User, template: FeedbackTemplate) -> bool:
    if user.is_programme_admin:
        return True
    return template.owner_id is not None and template.owner_id == user.pk


def get_cohort_supervised_by(user: User, pk: int) -> Cohort:
    """A cohort for its supervisors and programme admins only: its trainees, like everyone else,
    are told it does not exist (404) — the cohort view shows every trainee's figures."""
    cohort = cohorts_visible_to(user).filter(pk=pk).first()
    if cohort is None or not may(user, Action.MANAGE, cohort):
        raise Http404("No such cohort.")
    return cohort


def supervises_cohort(user: User, cohort: Cohort) -> bool:
    """Whether `user` supervises `cohort` now — the rule for care flags, which (unlike `may`)
    does not open them to programme admins."""
    return (
        CohortMembership.objects.active()
        .filter(cohort=cohort, user=user, role=Role.SUPERVISOR)
        .exists()
    )


def get_trainee_progress_for(user: User, cohort_pk: int, trainee_pk: int) -> tuple[Cohort, User]:
    """The cohort and trainee of a progress page (and its hours log and report), or 404.

    Open to the trainee themself while their trainee membership is active, to the cohort's
    supervisors now, and to programme admins. Supervisors and admins also see a trainee who has
    since left the cohort (history stays); a partner, another trainee or another cohort's
    supervisor gets 404 like anyone guessing ids (invariant 5). Two queries at most."""
    if not user.is_authenticated:
        raise Http404("No such progress page.")
    membership = (
        CohortMembership.objects.filter(cohort_id=cohort_pk, user_id=trainee_pk, role=Role.TRAINEE)
        .select_related("cohort", "user")
        .order_by(F("ended_at").desc(nulls_first=True))  # the active one, if any
        .first()
    )
    if membership is None:
        allowed = False
    elif user.pk == trainee_pk:
        allowed = membership.ended_at is None
    elif user.is_programme_admin:
        allowed = True
    else:
        allowed = (
            CohortMembership.objects.active()
            .filter(cohort_id=cohort_pk, user=user, role=Role.SUPERVISOR)
            .exists()
        )
    if not allowed:
        raise Http404("No such progress page.")
    return membership.cohort, membership.user


def progress_cohorts_of(user: User) -> QuerySet[Cohort]:
    """The cohorts where `user` is an active trainee: the progress pages they may open."""
    if not user.is_authenticated:
        return Cohort.objects.none()
    return Cohort.objects.filter(pk__in=_cohort_ids(user, Role.TRAINEE))
