"""Invariant 3, tried every way: feedback about a trainee is readable only by its author, that
trainee (after the reveal), the cohort's supervisors and programme admins.

Every response in the world carries a marker in its free text. Every URL Dyad serves (walked from
the URL conf, with each session, form, about and purpose filled in), every export
(the session's .ics, each person's calendar feed, their own data and the cohort CSVs), the admin's feedback pages and every email
each person was sent are searched for each marker, by every kind of person, before the reveal
and after it. Each request runs in a savepoint that is rolled back."""

from datetime import timedelta
from itertools import product

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from roleplay.models import (
    CohortMembership,
    FeedbackPurpose,
    FeedbackResponse,
    Message,
    Reflection,
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
        "cohorts/": world["cohort"].pk,
        "rounds/": world["round"].pk,
        "pairings/": world["pairing"].pk,
        "sessions/": session.pk,
        "review/": session.pk,
        "scenarios/": 0,
    }
    trainees = [world["actors"][n].pk for n in ("cai", "tam", "obi")]
    values = {
        "about": trainees,
        "purpose": list(FeedbackPurpose.values),
        "token": [world["feed_tokens"].get(actor, "no-such-token")],
        "reflection_id": list(Reflection.objects.values_list("pk", flat=True)) or [0],
        "kind": ["weekly"],
    }
    urls = []
    for route, name, params in _patterns():
        pk = next((v for p, v in by_prefix.items() if route.startswith(p)), 0)
        options = [values.get(p, [0]) if p != "pk" else [pk] for p in sorted(params)]
        for combo in product(*options):
            urls.append(reverse(name, kwargs=dict(zip(sorted(params), combo, strict=True))))
    for response in FeedbackResponse.objects.all():
        urls.append(reverse("admin:roleplay_feedbackresponse_change", args=[response.pk]))
    urls.append(reverse("admin:roleplay_feedbackresponse_changelist"))
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


def test_feedback_is_read_only_by_author_subject_after_reveal_supervisors_and_admins(world):
    session, a = world["session"], world["actors"]
    staff = {"supervisor", "admin"}
    client_note = _write(session, a["cai"], a["tam"], FeedbackPurpose.CLIENT)
    supervisor_note = _write(session, a["supervisor"], a["tam"], FeedbackPurpose.SUPERVISOR)
    therapist_draft = _write(session, a["tam"], a["cai"], FeedbackPurpose.THERAPIST, submit=False)

    leaks, seen = _leaks(
        world,
        {
            client_note: staff | {"cai"},
            supervisor_note: staff,
            therapist_draft: staff | {"tam"},
        },
    )

    assert leaks == []
    assert seen == {
        client_note: staff | {"cai"},
        supervisor_note: staff,
        therapist_draft: staff | {"tam"},
    }

    # Tam submits, Obi too: everyone owed has submitted, so it is revealed.
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
    feedback.reflection_save(
        session=session, trainee=a["tam"], usefulness=4, text="", goal="Slow down."
    )

    leaks, seen = _leaks(
        world,
        {
            client_note: staff | {"cai", "tam"},
            supervisor_note: staff | {"tam"},
            therapist_draft: staff | {"tam", "cai"},
            observer_note: staff | {"obi", "tam"},
        },
    )

    assert leaks == []
    assert seen == {
        client_note: staff | {"cai", "tam"},
        supervisor_note: staff | {"tam"},
        therapist_draft: staff | {"tam", "cai"},
        observer_note: staff | {"obi", "tam"},
    }
