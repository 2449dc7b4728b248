"""The authorisation matrix: every URL Dyad serves, for every kind of person, by GET and POST.

Each named URL pattern has an entry below: how to fill its arguments, and the status every actor
must get. A pattern without an entry fails the test — so a new page cannot ship without someone
deciding who may open it. Expected codes, in the house's terms: 200 shown (an empty POST to a
form is refused and shown again with its errors), 302 done-and-redirected (or "sign in first"
for the anonymous), 403 visible but not yours to change, 404 not visible at all (invariant 5),
405 wrong method.

Two groups are held to a rule instead of an entry per pattern, because their views are not ours:
- `admin/…` is Django's admin site: only staff get in. Checked on its index and on the scenario
  change page (which holds a client brief): anyone but the staff admin is sent to its sign-in.
- `accounts/…` is allauth (sign-in, sign-up, password reset, email addresses, MFA): public pages
  for the signed-out, account pages for the signed-in. Checked on the sign-in page, the email
  page and the two-factor page.

Every request runs in a savepoint that is rolled back, so each cell sees the same world. Every
response body — and, at the end, every email — of every actor who must not read the scenario's
client brief (its therapists, whatever else they are; the removed trainee; the ex-supervisor) is
searched for it; every body, for the care flag's note, the therapist's process note, the shared
session note and the recording's bytes, each of which only its readers may get. All wrong cells
are reported at once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from roleplay.models import (
    CareFlag,
    CohortMembership,
    DoNotPair,
    FeedbackTemplate,
    Message,
    Note,
    NoteKind,
    Pairing,
    PairingRole,
    Recording,
    Reflection,
    Role,
    Round,
    Session,
    SessionSeat,
    SessionStatus,
    WeeklyHours,
)
from roleplay.services import booking, calendar, feedback, notify
from roleplay.services.cohorts import membership_add, membership_end
from roleplay.services.invitations import InviteRow, invitation_token, invitations_create
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange, round_publish
from roleplay.services.scenarios import scenario_save
from tests.factories import CohortFactory, RoundFactory, ScenarioFactory, UserFactory
from tests.roleplay.feedback_helpers import answers_for
from tests.roleplay.record_helpers import wav_bytes

pytestmark = pytest.mark.django_db
SECRET = "SECRET-BRIEF"
# Written by the other trainee about the supervisor elsewhere (its therapist), not yet revealed:
# only its author, the cohort's supervisors and admins may read it (invariant 3).
FEEDBACK_SECRET = "SECRET-FEEDBACK"
FEEDBACK_READERS = {"other_trainee", "supervisor", "admin"}
# A care flag's note: only the cohort's supervisor may ever read it (the client who raised it is
# not one of the actors).
CARE_NOTE = "PRIVATE-CARE"
# The therapist's private process note on the session under test: its writer and the cohort's
# supervisors only (not admins: process notes are for the trainee's own supervisors).
PROCESS_NOTE = "PRIVATE-PROCESS-NOTE"
PROCESS_NOTE_READERS = {"trainee", "supervisor"}
# The session's shared note: everyone in the session, its supervisors and admins.
SHARED_NOTE = "SHARED-SESSION-NOTE"
SHARED_NOTE_READERS = {"trainee", "supervisor", "admin"}
# The recording's bytes: those who may see the session, on every request.
RECORDING_READERS = {"trainee", "supervisor", "admin"}

ACTORS = [
    "anonymous",
    "trainee",  # the therapist of the pairing under test
    "other_trainee",  # in the cohort, in another pairing
    "removed_trainee",  # was the pairing's observer, then removed from the cohort
    "other_cohort_trainee",  # therapist on the same scenario in another cohort
    "supervisor",  # of the cohort
    "supervisor_elsewhere",  # supervises another cohort, trainee (therapist on the scenario) here
    "ex_supervisor",  # supervised the cohort until removed
    "admin",  # programme admin and staff
]
# Who must never read the scenario's brief, on any page, feed or email.
BRIEF_BLIND = {
    "trainee",
    "removed_trainee",
    "other_cohort_trainee",
    "supervisor_elsewhere",
    "ex_supervisor",
}
MEMBERS = {"trainee", "other_trainee", "supervisor_elsewhere"}  # active trainees of the cohort
MANAGERS = {"supervisor", "admin"}
LIBRARY = {"supervisor", "supervisor_elsewhere", "admin"}  # supervise a cohort now, or admin


def cells(default: int, anonymous: int = 302, **by_actor: int) -> dict[str, int]:
    """The status for each actor: `default` unless named; the anonymous are sent to sign in."""
    return {"anonymous": anonymous} | {a: by_actor.get(a, default) for a in ACTORS[1:]}


def signed_in(status: int) -> dict[str, int]:
    return cells(status)


def only(who: set[str], status: int, *, members: int | None = None, rest: int = 404):
    """`status` for `who`; `members` for other active members of the cohort; `rest` for others."""
    by_actor = {a: status for a in who}
    if members is not None:
        by_actor |= {a: members for a in MEMBERS - who}
    return cells(rest, **by_actor)


POST_ONLY = signed_in(405)


@dataclass
class Entry:
    kwargs: Callable[[dict, str], dict]
    get: dict[str, int]
    post: dict[str, int]


def none(world, actor):
    return {}


def cohort(world, actor):
    return {"pk": world["cohort"].pk}


def round_(world, actor):
    return {"pk": world["round"].pk}


def pairing(world, actor):
    return {"pk": world["pairing"].pk}


def session(world, actor):
    return {"pk": world["session"].pk}


def scenario(world, actor):
    return {"pk": world["scenario"].pk}


def done(world, actor):
    return {"pk": world["done_session"].pk}


def builtin_form(world, actor):
    return {"pk": FeedbackTemplate.objects.get(family="builtin-client", is_current=True).pk}


def client_form(world, actor):
    """The client-role form of the completed session, about its therapist."""
    return done(world, actor) | {"purpose": "client", "about": world["done_therapist"].pk}


def progress_of_trainee(world, actor):
    return {"pk": world["cohort"].pk, "user_id": world["actors"]["trainee"].pk}


PROGRESS = only(MANAGERS | {"trainee"}, 200)
MANAGE = only(MANAGERS, 200, members=403)
MANAGE_POST = only(MANAGERS, 302, members=403)

ENTRIES: dict[str, Entry] = {
    "dashboard": Entry(none, signed_in(200), signed_in(200)),
    "cohort_create": Entry(none, only(LIBRARY, 200, rest=403), only(LIBRARY, 200, rest=403)),
    "cohort_detail": Entry(cohort, only(MANAGERS | MEMBERS, 200), only(MANAGERS | MEMBERS, 200)),
    "cohort_edit": Entry(cohort, MANAGE, MANAGE),
    "cohort_invite": Entry(cohort, MANAGE, MANAGE),
    "supervisor_appoint": Entry(
        cohort, POST_ONLY, only({"admin"}, 200, members=403) | {"supervisor": 403}
    ),
    "member_remove": Entry(
        lambda w, a: {"pk": w["cohort"].pk, "membership_id": w["membership"].pk},
        MANAGE,
        MANAGE_POST,
    ),
    "invitation_resend": Entry(
        lambda w, a: {"pk": w["cohort"].pk, "invitation_id": w["invitation"].pk},
        POST_ONLY,
        MANAGE_POST,
    ),
    "invitation_revoke": Entry(
        lambda w, a: {"pk": w["cohort"].pk, "invitation_id": w["invitation"].pk},
        POST_ONLY,
        MANAGE_POST,
    ),
    # The cohort view shows every trainee's figures: its trainees are told it does not exist.
    "cohort_progress": Entry(cohort, only(MANAGERS, 200), signed_in(405)),
    # The cohort's CSV exports: a POST each, as every download is audited; trainees of the
    # cohort are refused, everyone else is told it does not exist.
    "cohort_export_sessions": Entry(cohort, POST_ONLY, MANAGE),
    "cohort_export_feedback": Entry(cohort, POST_ONLY, MANAGE),
    "round_list": Entry(cohort, MANAGE, MANAGE),
    "term_plan": Entry(cohort, MANAGE, MANAGE),  # an empty POST re-renders the form
    "term_plan_status": Entry(cohort, MANAGE, signed_in(405)),
    "term_plan_lock": Entry(cohort, POST_ONLY, only(MANAGERS, 404, members=403)),  # no plan yet
    "round_create": Entry(cohort, MANAGE, MANAGE),
    "do_not_pair": Entry(cohort, MANAGE, MANAGE),
    "do_not_pair_delete": Entry(
        lambda w, a: {"pk": w["cohort"].pk, "constraint_id": w["do_not_pair"].pk},
        POST_ONLY,
        MANAGE_POST,
    ),
    # A trainee's progress (here the therapist's): themself, the cohort's supervisors, admins.
    "trainee_progress": Entry(progress_of_trainee, PROGRESS, signed_in(405)),
    "trainee_hours": Entry(progress_of_trainee, PROGRESS, signed_in(405)),
    "trainee_hours_csv": Entry(progress_of_trainee, PROGRESS, signed_in(405)),
    "trainee_report_pdf": Entry(progress_of_trainee, PROGRESS, signed_in(405)),
    # A trainee in one cohort is sent to their page; anyone else is shown a list (maybe empty).
    "my_progress": Entry(
        none,
        cells(200) | {a: 302 for a in MEMBERS | {"other_cohort_trainee"}},
        signed_in(405),
    ),
    "round_detail": Entry(round_, only(MANAGERS, 200), only(MANAGERS, 200)),
    "round_edit": Entry(round_, only(MANAGERS, 200), only(MANAGERS, 200)),
    "round_suggest": Entry(round_, POST_ONLY, only(MANAGERS, 200)),
    "round_accept": Entry(round_, POST_ONLY, only(MANAGERS, 302)),
    "round_arrange": Entry(round_, POST_ONLY, only(MANAGERS, 200)),
    "round_publish": Entry(round_, POST_ONLY, only(MANAGERS, 302)),
    # GET asks for confirmation; POST closes.
    "round_close": Entry(round_, only(MANAGERS, 200), only(MANAGERS, 302)),
    "round_reopen": Entry(round_, POST_ONLY, only(MANAGERS, 302)),
    "round_bookings": Entry(round_, only(MANAGERS, 200), only(MANAGERS, 200)),
    "round_absence": Entry(round_, POST_ONLY, only(MANAGERS, 404)),
    "my_pairings": Entry(none, signed_in(200), signed_in(200)),
    "pairing_detail": Entry(
        pairing, only(MANAGERS | {"trainee"}, 200), only(MANAGERS | {"trainee"}, 200)
    ),
    "pairing_book": Entry(pairing, POST_ONLY, only(MANAGERS | {"trainee"}, 200)),
    # The pairing's own trainee sees the pairing, but reminding it is for its supervisors.
    "pairing_nudge": Entry(pairing, POST_ONLY, only(MANAGERS, 302) | {"trainee": 403}),
    "session_detail": Entry(
        session, only(MANAGERS | {"trainee"}, 200), only(MANAGERS | {"trainee"}, 200)
    ),
    "session_ics": Entry(session, only(MANAGERS | {"trainee"}, 200), signed_in(405)),
    # The secret link is the key (calendar apps cannot sign in): each actor opens their own.
    "calendar_feed": Entry(
        lambda w, a: {"token": w["feed_tokens"].get(a, "no-such-token")},
        cells(200, anonymous=404),
        cells(405, anonymous=405),
    ),
    "calendar_regenerate": Entry(none, POST_ONLY, signed_in(200)),
    "session_confirm": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 302)),
    "session_reschedule": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 200)),
    # GET asks for confirmation (and the reason); an empty POST is asked again.
    "session_cancel": Entry(
        session, only(MANAGERS | {"trainee"}, 200), only(MANAGERS | {"trainee"}, 200)
    ),
    "session_check_in": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 302)),
    "session_no_show": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 302)),
    "session_rematch": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 200)),
    # Feedback (on the completed session of the other pairing: other trainee as client, the
    # supervisor elsewhere as therapist). A form is its author's alone: everyone else, the
    # cohort's supervisors included, is told it does not exist. The author submitted already:
    # the page shows it locked, and posting to it is refused (autosave answers 409).
    "feedback_form": Entry(client_form, only({"other_trainee"}, 200), only({"other_trainee"}, 302)),
    "feedback_draft": Entry(client_form, POST_ONLY, only({"other_trainee"}, 409)),
    "feedback_amend": Entry(client_form, POST_ONLY, only({"other_trainee"}, 302)),
    # Anyone who sees the session may ask; only supervisors succeed (a trainee is told no).
    "feedback_release": Entry(
        done, POST_ONLY, only(MANAGERS | {"other_trainee", "supervisor_elsewhere"}, 302)
    ),
    # Before the reveal a reflection is refused on the session page, beside the form.
    "reflection_save": Entry(
        done, POST_ONLY, only(MANAGERS | {"other_trainee", "supervisor_elsewhere"}, 200)
    ),
    "goal_checkin": Entry(
        lambda w, a: done(w, a) | {"reflection_id": w["reflection"].pk},
        POST_ONLY,
        only({"other_trainee"}, 200),
    ),
    # The review queue: whoever supervises a cohort now, and admins. Reviewing a session is for
    # its cohort's supervisors only; the trainees in it get 404 like everyone else. POST asks
    # for form 4 first (refused with a message, redirected).
    "review_queue": Entry(none, only(LIBRARY, 200), signed_in(405)),
    "session_review": Entry(done, only(MANAGERS, 200), only(MANAGERS, 302)),
    # Feedback forms go with the library: a built-in form is copied by any supervisor, changed
    # only by programme admins (an empty POST is shown again with its errors).
    "template_list": Entry(none, only(LIBRARY, 200), only(LIBRARY, 200)),
    "template_copy": Entry(builtin_form, POST_ONLY, only(LIBRARY, 302)),
    "template_edit": Entry(builtin_form, only({"admin"}, 200), only({"admin"}, 200)),
    # The session record. The therapist consents (302); supervisors are not in the session (403).
    "session_consent": Entry(
        session, POST_ONLY, only(MANAGERS, 403) | {"trainee": 302, "anonymous": 302}
    ),
    "recording_upload": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 200)),
    "session_note": Entry(
        lambda w, a: {"pk": w["session"].pk, "kind": "shared"},
        POST_ONLY,
        only(MANAGERS | {"trainee"}, 200),
    ),
    # Only the client-role trainee raises a care flag: the therapist is refused on the page.
    "care_flag_raise": Entry(session, POST_ONLY, only(MANAGERS | {"trainee"}, 403)),
    # Every request for the file is checked: only those who see the session get its bytes.
    "recording_stream": Entry(
        lambda w, a: {"pk": w["recording"].pk}, only(MANAGERS | {"trainee"}, 200), POST_ONLY
    ),
    # Whoever uploaded it (the client here) and supervisors delete it; the therapist may not.
    "recording_delete": Entry(
        lambda w, a: {"pk": w["recording"].pk},
        POST_ONLY,
        only(MANAGERS, 302) | {"trainee": 403},
    ),
    "recording_comment": Entry(
        lambda w, a: {"pk": w["recording"].pk}, POST_ONLY, only(MANAGERS | {"trainee"}, 200)
    ),
    # A care flag exists for the client who raised it and the cohort's supervisors only: not for
    # the partner, and not for admins.
    "care_flag_acknowledge": Entry(
        lambda w, a: {"pk": w["care_flag"].pk}, POST_ONLY, only({"supervisor"}, 302)
    ),
    "scenario_list": Entry(none, only(LIBRARY, 200), only(LIBRARY, 200)),
    "scenario_create": Entry(none, only(LIBRARY, 200), only(LIBRARY, 200)),
    "scenario_detail": Entry(scenario, only(LIBRARY, 200), only(LIBRARY, 200)),
    "scenario_edit": Entry(
        scenario,
        only(MANAGERS, 200) | {"supervisor_elsewhere": 403},
        only(MANAGERS, 200) | {"supervisor_elsewhere": 403},
    ),
    "notifications": Entry(none, signed_in(200), signed_in(200)),
    "email_preferences": Entry(none, signed_in(200), signed_in(200)),
    "my_availability": Entry(none, signed_in(200), signed_in(200)),
    # The trainee's own weekly hours: nobody else's to change or delete.
    "weekly_hours_change": Entry(
        lambda w, a: {"pk": w["hours"].pk}, only({"trainee"}, 200), only({"trainee"}, 200)
    ),
    "availability_delete": Entry(
        lambda w, a: {"kind": "weekly", "pk": w["hours"].pk},
        POST_ONLY,
        only({"trainee"}, 302),
    ),
    "cohort_booking_settings": Entry(cohort, MANAGE, MANAGE),
    "cohort_booking_delete": Entry(
        lambda w, a: {"pk": w["cohort"].pk, "kind": "hours", "item_id": w["allowed_hours"].pk},
        POST_ONLY,
        MANAGE_POST,
    ),
    # The emailed link works signed in or out; accepting as someone else is refused on the page.
    "invitation_accept": Entry(
        lambda w, a: {"token": w["invitation_token"]},
        cells(200, anonymous=200),
        cells(200, anonymous=200),
    ),
    "profile": Entry(none, signed_in(200), signed_in(200)),
    # An empty POST is refused for want of the password, so nobody's account goes here.
    "profile_delete": Entry(none, signed_in(200), signed_in(200)),
    # Everyone downloads their own data only; a POST because each download is audited.
    "profile_export": Entry(none, POST_ONLY, signed_in(200)),
}

# The groups held to a rule (see the module docstring): (url name, kwargs, GET status per actor).
STAFF_ONLY = cells(302) | {"admin": 200}
GROUP_CHECKS = {
    "admin/": [
        ("admin:index", none, STAFF_ONLY),
        (
            "admin:roleplay_scenario_change",
            lambda w, a: {"object_id": w["scenario"].pk},
            STAFF_ONLY,
        ),
    ],
    "accounts/": [
        ("account_login", none, cells(302, anonymous=200)),
        ("account_email", none, signed_in(200)),
        ("mfa_index", none, signed_in(200)),
    ],
}


# --- the world ---------------------------------------------------------------------------------


def _trainee(cohort, name):
    user = UserFactory(display_name=name)
    membership_add(cohort=cohort, user=user, role=Role.TRAINEE)
    return user


def _publish(round_, members, scenario):
    round_.scenarios.set([scenario])
    round_arrange(
        round_=round_,
        arrangement=Arrangement(
            members=members,
            options={slot: SlotOptions(scenario=scenario) for slot, _ in members.values()},
        ),
    )
    round_publish(round_=round_)


@pytest.fixture
def world():
    admin = UserFactory(
        display_name="Ada Admin", is_programme_admin=True, is_staff=True, is_superuser=True
    )
    supervisor = UserFactory(display_name="Sam Supervisor")
    ex_supervisor = UserFactory(display_name="Eve Ex")
    main = CohortFactory(name="Year 2", created_by=admin)
    junior = CohortFactory(name="Year 1", created_by=admin)
    membership_add(cohort=main, user=supervisor, role=Role.SUPERVISOR)
    membership_add(cohort=main, user=ex_supervisor, role=Role.SUPERVISOR)
    scenario = scenario_save(scenario=ScenarioFactory.build(shared=True), owner=supervisor)

    client_user = _trainee(main, "Cai Client")
    trainee = _trainee(main, "Tam Therapist")
    other = _trainee(main, "Olu Other")
    removed = _trainee(main, "Rae Removed")
    elsewhere = _trainee(main, "Dev Dual")
    membership_add(cohort=junior, user=elsewhere, role=Role.SUPERVISOR)
    junior_client = _trainee(junior, "Jo Junior")
    junior_therapist = _trainee(junior, "Kit Junior")

    round_main = RoundFactory(cohort=main, name="Round A")
    _publish(
        round_main,
        {
            client_user.pk: ("a", PairingRole.CLIENT),
            trainee.pk: ("a", PairingRole.THERAPIST),
            removed.pk: ("a", PairingRole.OBSERVER),
            other.pk: ("b", PairingRole.CLIENT),
            elsewhere.pk: ("b", PairingRole.THERAPIST),
        },
        scenario,
    )
    _publish(
        RoundFactory(cohort=junior, name="Junior round"),
        {
            junior_client.pk: ("a", PairingRole.CLIENT),
            junior_therapist.pk: ("a", PairingRole.THERAPIST),
        },
        scenario,
    )
    pairing = round_main.pairings.get(members__trainee=trainee)
    session = booking.session_schedule_directly(
        pairing=pairing, supervisor=supervisor, start=round_main.opens + timedelta(days=2)
    )
    actors = {
        "trainee": trainee,
        "other_trainee": other,
        "removed_trainee": removed,
        "other_cohort_trainee": junior_therapist,
        "supervisor": supervisor,
        "supervisor_elsewhere": elsewhere,
        "ex_supervisor": ex_supervisor,
        "admin": admin,
    }
    feed_tokens = {name: calendar.calendar_feed_create(user=user) for name, user in actors.items()}
    for user in (removed, ex_supervisor):
        membership_end(
            membership=CohortMembership.objects.active().get(cohort=main, user=user),
            ended_by=admin,
        )
    invitations_create(
        cohort=main,
        invited_by=supervisor,
        rows=[InviteRow(line=1, email="newcomer@example.org", name="New")],
    )
    invitation = main.invitations.get(email="newcomer@example.org")
    done_session, reflection = _completed_with_feedback(round_main, other, elsewhere)
    first, second = sorted([client_user, other], key=lambda u: u.pk)
    # The record: a recording (stored directly, the session having been cancelled by the
    # observer's removal) and a care flag the client raised.
    recording = Recording.objects.create(
        session=session,
        file=ContentFile(wav_bytes(1), name="session.wav"),
        content_type="audio/wav",
        size=len(wav_bytes(1)),
        duration_seconds=1.0,
        uploaded_by=client_user,
        uploaded_at=timezone.now(),
    )
    care_flag = CareFlag.objects.create(
        session=session, raised_by=client_user, note=CARE_NOTE, raised_at=timezone.now()
    )
    Note.objects.create(
        session=session,
        kind=NoteKind.PROCESS,
        owner=trainee,
        author=trainee,
        text=PROCESS_NOTE,
        written_at=timezone.now(),
    )
    Note.objects.create(
        session=session,
        kind=NoteKind.SHARED,
        author=client_user,
        text=SHARED_NOTE,
        written_at=timezone.now(),
    )
    return {
        "actors": actors,
        "cohort": main,
        "round": round_main,
        "pairing": pairing,
        "session": session,
        "scenario": scenario,
        "membership": CohortMembership.objects.active().get(cohort=main, user=other),
        "invitation": invitation,
        "invitation_token": invitation_token(invitation),
        "do_not_pair": DoNotPair.objects.create(
            cohort=main, trainee_a=first, trainee_b=second, created_by=supervisor
        ),
        "hours": WeeklyHours.objects.create(user=trainee, weekday=0, start=time(9), end=time(17)),
        "allowed_hours": WeeklyHours.objects.create(
            cohort=main, weekday=0, start=time(8), end=time(20)
        ),
        "feed_tokens": feed_tokens,
        "recording": recording,
        "care_flag": care_flag,
        "done_session": done_session,
        "done_therapist": elsewhere,
        "reflection": reflection,
    }


def _completed_with_feedback(round_, client_user, therapist):
    """The other pairing's session, held two hours ago, with the client's feedback submitted."""
    pairing = round_.pairings.get(members__trainee=client_user)
    start = timezone.now() - timedelta(hours=2)
    session = Session.objects.create(
        pairing=pairing,
        start=start,
        end=start + timedelta(minutes=50),
        status=SessionStatus.COMPLETED,
        proposed_by=client_user,
    )
    for user, role in ((client_user, PairingRole.CLIENT), (therapist, PairingRole.THERAPIST)):
        SessionSeat.objects.create(
            session=session, user=user, role=role, start=session.start, end=session.end
        )
    response = feedback.feedback_start(
        session=session, author=client_user, about=therapist, purpose="client"
    )
    answers = answers_for(response.template, text=FEEDBACK_SECRET)
    feedback.feedback_submit(response=response, author=client_user, answers=answers)
    reflection = Reflection.objects.create(session=session, trainee=client_user, goal="Slow down")
    return session, reflection


# --- walking the URL conf ------------------------------------------------------------------------


def _named_patterns(resolver=None, prefix="", namespace=""):
    """(route, name) of every pattern Dyad serves; names carry their namespace (admin:…)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None


def _group_of(route: str) -> str | None:
    return next((group for group in GROUP_CHECKS if route.startswith(group)), None)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _request(client: Client, method: str, url: str):
    """One request whose writes are rolled back, so the next cell sees the same world."""
    with transaction.atomic():
        response = getattr(client, method)(url)
        body = _body(response)
        transaction.set_rollback(True)
    return response.status_code, body


def test_every_url_pattern_has_an_entry():
    unknown, names = [], set()
    for route, name in _named_patterns():
        if _group_of(route):
            continue
        names.add(name)
        if name not in ENTRIES:
            unknown.append(f"{route!r} (name {name!r})")
    assert not unknown, (
        "These URL patterns have no entry in the authorisation matrix. Add one to ENTRIES in "
        "tests/test_authorisation_matrix.py saying who may GET and POST them:\n  "
        + "\n  ".join(unknown)
    )
    assert sorted(set(ENTRIES) - names) == [], "ENTRIES names patterns that no longer exist"


def test_the_authorisation_matrix(world):
    clients = {"anonymous": Client()}
    for name, user in world["actors"].items():
        clients[name] = Client()
        clients[name].force_login(user)
    wrong, leaks, brief_seen_by, feedback_seen_by, care_seen_by = [], [], set(), set(), set()
    process_seen_by, shared_seen_by, recording_seen_by = set(), set(), set()
    recording_bytes = wav_bytes(1)

    def check(actor, method, url, expected):
        status, body = _request(clients[actor], method, url)
        if expected is not None and status != expected:
            wrong.append(
                f"{method.upper():4} {url:55} {actor:22} got {status}, expected {expected}"
            )
        if CARE_NOTE.encode() in body:
            care_seen_by.add(actor)
            if actor != "supervisor":
                leaks.append(f"{method.upper()} {url} shows the client's care flag to {actor}")
        if PROCESS_NOTE.encode() in body:
            process_seen_by.add(actor)
            if actor not in PROCESS_NOTE_READERS:
                leaks.append(f"{method.upper()} {url} shows the process note to {actor}")
        if SHARED_NOTE.encode() in body:
            shared_seen_by.add(actor)
            if actor not in SHARED_NOTE_READERS:
                leaks.append(f"{method.upper()} {url} shows the session's shared note to {actor}")
        if body == recording_bytes:
            recording_seen_by.add(actor)
            if actor not in RECORDING_READERS:
                leaks.append(f"{method.upper()} {url} serves the recording to {actor}")
        if SECRET.encode() in body:
            brief_seen_by.add(actor)
            if actor in BRIEF_BLIND:
                leaks.append(f"{method.upper()} {url} shows the client brief to {actor}")
        if FEEDBACK_SECRET.encode() in body:
            feedback_seen_by.add(actor)
            if actor not in FEEDBACK_READERS:
                leaks.append(f"{method.upper()} {url} shows unrevealed feedback to {actor}")

    for name, entry in ENTRIES.items():
        for actor in ACTORS:
            url = reverse(name, kwargs=entry.kwargs(world, actor))
            check(actor, "get", url, entry.get[actor])
            check(actor, "post", url, entry.post[actor])
    for checks in GROUP_CHECKS.values():
        for name, kwargs, expected in checks:
            for actor in ACTORS:
                check(actor, "get", reverse(name, kwargs=kwargs(world, actor)), expected[actor])

    # Beyond the matrix's one object per pattern: every pairing, round and session page of both
    # cohorts (the supervisor elsewhere sees the other cohort's pairings on the same scenario).
    for actor in BRIEF_BLIND:
        for pk in Pairing.objects.values_list("pk", flat=True):
            check(actor, "get", reverse("pairing_detail", args=[pk]), None)
        for pk in Round.objects.values_list("pk", flat=True):
            check(actor, "get", reverse("round_detail", args=[pk]), None)
        for pk in Session.objects.values_list("pk", flat=True):
            check(actor, "get", reverse("session_detail", args=[pk]), None)
            check(actor, "get", reverse("session_ics", args=[pk]), None)

    # The completed session's page, for everyone: the feedback on it is not yet revealed.
    for actor in ACTORS:
        check(actor, "get", reverse("session_detail", args=[world["done_session"].pk]), None)

    # Every message these people were ever sent, rendered as the email it is.
    blind = [world["actors"][name] for name in BRIEF_BLIND]
    Message.objects.filter(recipient__in=blind).update(due_at=timezone.now(), state="pending")
    for message in Message.objects.filter(recipient__in=blind):
        notify.message_send(message_id=message.pk)
    emails = [m for m in mail.outbox if set(m.to) & {u.email for u in blind}]
    for email in emails:
        text = email.subject + email.body + "".join(str(c) for c, _ in email.alternatives)
        if SECRET in text:
            leaks.append(f"The email {email.subject!r} to {email.to} shows the client brief")
        if FEEDBACK_SECRET in text:
            leaks.append(f"The email {email.subject!r} to {email.to} shows unrevealed feedback")

    assert not wrong, f"{len(wrong)} wrong cells:\n" + "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert len(emails) > 5
    # The search can find the brief: those entitled to it do see it.
    assert {"supervisor", "admin"} <= brief_seen_by
    assert feedback_seen_by == FEEDBACK_READERS
    assert care_seen_by == {"supervisor"}
    assert process_seen_by == PROCESS_NOTE_READERS
    assert shared_seen_by == SHARED_NOTE_READERS
    assert recording_seen_by == RECORDING_READERS
