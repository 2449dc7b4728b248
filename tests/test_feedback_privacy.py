"""Invariant 3, tried every way: feedback about a trainee is readable only by its author, that
trainee (after the reveal), the cohort's supervisors and programme admins. And a reflection (its
text and its goal) only by the trainee who wrote it, the cohort's supervisors and programme
admins — never by the partner.

Every response and reflection in the world carries a marker in its free text. Every URL Dyad
serves (walked from the URL conf, with each session — the one written about and the pair's next
one, where a goal is shown — form, about and purpose filled in), every export (the session's .ics,
each person's calendar feed, their own-data export and the cohort CSVs), the admin's feedback and reflection pages and
every email each person was sent are searched for each marker, by every kind of person, before
the reveal and after it. Each request runs in a savepoint that is rolled back.

The pages filter by nothing but the two rules (permissions.feedback_visible_to and
reflections_visible_to), so the last tests swap a leaky version of each rule in everywhere it is
used and check that the same sweep reports the leak: proof that it would catch one."""

import sys
from datetime import timedelta
from itertools import product

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from roleplay import permissions
from roleplay.models import (
    CohortMembership,
    FeedbackPurpose,
    FeedbackResponse,
    Message,
    Reflection,
    ResponseState,
    Role,
)
from roleplay.services import booking, calendar, feedback, notify, periodic
from roleplay.services.cohorts import membership_add, membership_end
from tests.factories import CohortFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing
from tests.roleplay.feedback_helpers import START, answers_for

pytestmark = pytest.mark.django_db
# POST is tried on the URLs that write or show feedback (a refused POST re-renders the page)
# and on the data exports (each a POST: a person's own data, a cohort's sessions and feedback CSV);
# every URL is tried with GET.
FEEDBACK_WORDS = ("feedback", "review", "reflection", "goal", "sessions/", "my-data", "export")


def _trainee(cohort, name):
    user = UserFactory(display_name=name)
    membership_add(cohort=cohort, user=user, role=Role.TRAINEE)
    return user


def _write(session, author, about, purpose, *, submit=True):
    marker = f"FEEDBACK-SECRET-{purpose}-{author.display_name.split()[0]}"
    response = feedback.feedback_start(session=session, author=author, about=about, purpose=purpose)
    answers = answers_for(response.template, text=marker)
    if submit:
        feedback.feedback_submit(response=response, author=author, answers=answers)
    else:
        feedback.feedback_save_draft(response=response, author=author, answers=answers)
    return marker


@pytest.fixture
def world():
    admin = UserFactory(display_name="Ada Admin", is_programme_admin=True, is_staff=True)
    supervisor = UserFactory(display_name="Sam Supervisor")
    ex_supervisor = UserFactory(display_name="Eve Ex")
    elsewhere = UserFactory(display_name="Eli Elsewhere")
    cohort = CohortFactory(name="Year 2", created_by=admin)
    other_cohort = CohortFactory(name="Year 1", created_by=admin)
    for user in (supervisor, ex_supervisor):
        membership_add(cohort=cohort, user=user, role=Role.SUPERVISOR)
    membership_add(cohort=other_cohort, user=elsewhere, role=Role.SUPERVISOR)
    cai, tam, obi = (_trainee(cohort, n) for n in ("Cai Client", "Tam Therapist", "Obi Observer"))
    other = _trainee(cohort, "Olu Other")
    junior = _trainee(other_cohort, "Jo Junior")
    with time_machine.travel(NOW, tick=False):
        pairing = make_pairing(cohort, cai, tam, obi)
        session = booking.session_schedule_directly(
            pairing=pairing, supervisor=supervisor, start=START
        )
        # Cai and Tam's next session: its page shows each their own goal from this one.
        following = booking.session_schedule_directly(
            pairing=make_pairing(cohort, cai, tam, opens=session.end, name="Round B"),
            supervisor=supervisor,
            start=session.end + timedelta(days=3),
        )
    actors = {
        "cai": cai,  # client role: writes about Tam
        "tam": tam,  # therapist role: writes about Cai; Cai, Obi and Sam write about Tam
        "obi": obi,  # observer: writes about Tam
        "other_trainee": other,
        "other_cohort_trainee": junior,
        "supervisor_elsewhere": elsewhere,
        "ex_supervisor": ex_supervisor,
        "supervisor": supervisor,
        "admin": admin,
    }
    clock = time_machine.travel(session.end + timedelta(hours=1), tick=False)
    clock.start()
    periodic.sessions_complete()
    session.refresh_from_db()
    membership_end(
        membership=CohortMembership.objects.active().get(cohort=cohort, user=ex_supervisor),
        ended_by=admin,
    )
    yield {
        "actors": actors,
        "session": session,
        "following": following,
        "cohort": cohort,
        "round": pairing.round,
        "pairing": pairing,
        "feed_tokens": {
            name: calendar.calendar_feed_create(user=user) for name, user in actors.items()
        },
    }
    clock.stop()


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern) not in ("admin/", "accounts/"):
                yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), entry.name, set(entry.pattern.converters)


def _urls(world, actor) -> list[str]:
    """Every URL of Dyad with this world's objects in it (a pattern whose arguments name objects
    that hold no feedback — an invitation, a do-not-pair rule — gets an id that does not exist)."""
    session = world["session"]
    by_prefix = {
        "cohorts/": [world["cohort"].pk],
        "rounds/": [world["round"].pk],
        "pairings/": [world["pairing"].pk],
        "sessions/": [session.pk, world["following"].pk],
        "review/": [session.pk],
        "scenarios/": [0],
    }
    trainees = [world["actors"][n].pk for n in ("cai", "tam", "obi")]
    values = {
        "about": trainees,
        "user_id": trainees,  # each trainee's progress page, hours log and report
        "purpose": list(FeedbackPurpose.values),
        "token": [world["feed_tokens"].get(actor, "no-such-token")],
        "reflection_id": list(Reflection.objects.values_list("pk", flat=True)) or [0],
        "kind": ["weekly"],
    }
    urls = []
    for route, name, params in _patterns():
        pks = next((v for p, v in by_prefix.items() if route.startswith(p)), [0])
        options = [values.get(p, [0]) if p != "pk" else pks for p in sorted(params)]
        for combo in product(*options):
            urls.append(reverse(name, kwargs=dict(zip(sorted(params), combo, strict=True))))
    for response in FeedbackResponse.objects.all():
        urls.append(reverse("admin:roleplay_feedbackresponse_change", args=[response.pk]))
    urls.append(reverse("admin:roleplay_feedbackresponse_changelist"))
    for reflection in Reflection.objects.all():
        urls.append(reverse("admin:roleplay_reflection_change", args=[reflection.pk]))
    urls.append(reverse("admin:roleplay_reflection_changelist"))
    return urls


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _read(client, method, url) -> str:
    with transaction.atomic():
        body = _body(getattr(client, method)(url))
        transaction.set_rollback(True)
    return body


def _leaks(world, markers: dict[str, set[str]]) -> tuple[list[str], dict[str, set[str]]]:
    """Search every page and email for every marker; `markers` maps a marker to who may read it.
    Returns the leaks and, per marker, who did read it."""
    clients = {"anonymous": Client()}
    for name, user in world["actors"].items():
        clients[name] = Client()
        clients[name].force_login(user)
    leaks, seen = [], {marker: set() for marker in markers}
    for actor, client in clients.items():
        for url in _urls(world, actor):
            methods = ("get", "post") if any(w in url for w in FEEDBACK_WORDS) else ("get",)
            for method in methods:
                body = _read(client, method, url)
                for marker, readers in markers.items():
                    if marker in body:
                        seen[marker].add(actor)
                        if actor not in readers:
                            leaks.append(f"{method.upper()} {url} shows {marker} to {actor}")
    mail.outbox.clear()
    Message.objects.update(due_at=timezone.now(), state="pending")
    for message in Message.objects.all():
        notify.message_send(message_id=message.pk)
    emails = {user.email: name for name, user in world["actors"].items()}
    for email in mail.outbox:
        text = email.subject + email.body + "".join(str(c) for c, _ in email.alternatives)
        for marker, readers in markers.items():
            for address in email.to:
                if marker in text and emails[address] not in readers:
                    leaks.append(f"The email {email.subject!r} shows {marker} to {address}")
    assert len(mail.outbox) > 5
    return leaks, seen


def _reveal_and_reflect(world, therapist_draft: str) -> dict[str, set[str]]:
    """Tam submits his draft and Obi writes: everyone owed has submitted, so it is revealed.
    Cai and Tam then reflect, each with a marker in the text and in the goal. Returns each new
    marker with who may read it."""
    session, a = world["session"], world["actors"]
    response = feedback.response_current(
        session=session, author=a["tam"], about=a["cai"], purpose=FeedbackPurpose.THERAPIST
    )
    feedback.feedback_submit(
        response=response,
        author=a["tam"],
        answers=answers_for(response.template, text=therapist_draft),
    )
    observer_note = _write(session, a["obi"], a["tam"], FeedbackPurpose.OBSERVER)
    assert feedback.is_revealed(session)
    readers = {observer_note: STAFF | {"obi", "tam"}}
    for name in ("cai", "tam"):
        text, goal = f"REFLECTION-SECRET-{name}", f"GOAL-SECRET-{name}"
        feedback.reflection_save(
            session=session, trainee=a[name], usefulness=4, text=text, goal=goal
        )
        readers |= {text: STAFF | {name}, goal: STAFF | {name}}
    return readers


STAFF = {"supervisor", "admin"}


def test_feedback_is_read_only_by_author_subject_after_reveal_supervisors_and_admins(world):
    session, a = world["session"], world["actors"]
    client_note = _write(session, a["cai"], a["tam"], FeedbackPurpose.CLIENT)
    supervisor_note = _write(session, a["supervisor"], a["tam"], FeedbackPurpose.SUPERVISOR)
    therapist_draft = _write(session, a["tam"], a["cai"], FeedbackPurpose.THERAPIST, submit=False)
    before = {
        client_note: STAFF | {"cai"},
        supervisor_note: STAFF,
        therapist_draft: STAFF | {"tam"},
    }

    leaks, seen = _leaks(world, before)

    assert leaks == []
    assert seen == before

    after = {
        client_note: STAFF | {"cai", "tam"},
        supervisor_note: STAFF | {"tam"},
        therapist_draft: STAFF | {"tam", "cai"},
    } | _reveal_and_reflect(world, therapist_draft)

    leaks, seen = _leaks(world, after)

    assert leaks == []
    # Each marker was found by everyone who may read it: the sweep looked where they are shown
    # (a reflection's text and goal on its session's page, the goal again on the next one).
    assert seen == after


# --- the sweep catches a leaky rule --------------------------------------------------------------


def _swap_everywhere(monkeypatch, name: str, replacement) -> int:
    """Put `replacement` in place of permissions.`name` in every module that imported it."""
    original = getattr(permissions, name)
    swapped = 0
    for module in list(sys.modules.values()):
        if getattr(module, "__dict__", {}).get(name) is original:
            monkeypatch.setattr(module, name, replacement)
            swapped += 1
    return swapped


def _feedback_visible_before_the_reveal(user):
    """The rule with one fault: the trainee written about reads it as soon as it is submitted."""
    if not user.is_authenticated:
        return FeedbackResponse.objects.none()
    if user.is_programme_admin:
        return FeedbackResponse.objects.all()
    supervised = CohortMembership.objects.active().filter(user=user, role=Role.SUPERVISOR)
    return FeedbackResponse.objects.filter(
        Q(author=user)
        | Q(session__pairing__round__cohort__in=supervised.values("cohort_id"))
        | Q(about=user, state=ResponseState.SUBMITTED)
    )


def _reflections_visible_to_the_cohort(user):
    """The rule with one fault: anyone in the session's cohort reads every reflection."""
    if not user.is_authenticated:
        return Reflection.objects.none()
    if user.is_programme_admin:
        return Reflection.objects.all()
    mine = CohortMembership.objects.active().filter(user=user).values("cohort_id")
    return Reflection.objects.filter(Q(trainee=user) | Q(session__pairing__round__cohort__in=mine))


def test_the_sweep_finds_feedback_shown_before_the_reveal(world, monkeypatch):
    session, a = world["session"], world["actors"]
    client_note = _write(session, a["cai"], a["tam"], FeedbackPurpose.CLIENT)
    assert _swap_everywhere(monkeypatch, "feedback_visible_to", _feedback_visible_before_the_reveal)

    leaks, _ = _leaks(world, {client_note: STAFF | {"cai"}})

    page = "GET " + reverse("session_detail", args=[session.pk])
    assert f"{page} shows {client_note} to tam" in leaks


def test_the_sweep_finds_a_reflection_shown_to_the_partner(world, monkeypatch):
    session, a = world["session"], world["actors"]
    therapist_draft = _write(session, a["tam"], a["cai"], FeedbackPurpose.THERAPIST, submit=False)
    _write(session, a["cai"], a["tam"], FeedbackPurpose.CLIENT)
    readers = _reveal_and_reflect(world, therapist_draft)
    reflections = {m: r for m, r in readers.items() if m.startswith(("REFLECTION-", "GOAL-"))}
    assert _swap_everywhere(
        monkeypatch, "reflections_visible_to", _reflections_visible_to_the_cohort
    )

    leaks, _ = _leaks(world, reflections)

    page = "GET " + reverse("session_detail", args=[session.pk])
    assert f"{page} shows REFLECTION-SECRET-cai to tam" in leaks
    assert f"{page} shows GOAL-SECRET-tam to cai" in leaks
    assert f"{page} shows GOAL-SECRET-tam to obi" in leaks
