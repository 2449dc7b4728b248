"""Every admin page runs the same number of queries whatever the size of the data.

The checks are generated from `admin.site._registry`, so every ModelAdmin is covered — Dyad's, the
ones allauth, django-celery-beat and Django's own apps register, and any added later. For each one,
its changelist (plain and searched), the change page of a row and the add page are loaded in a
world with one row of everything (each parent with one child in every inline) and again in a world
with three of everything; the query counts must be equal. A model the world does not fill fails
with a message saying where to add its rows.
"""

import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    ForeignKeyRawIdWidget,
    ManyToManyRawIdWidget,
)
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.db import connection, transaction
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from accounts.models import AuditEvent
from roleplay.models import (
    BriefRead,
    CalendarFeed,
    Consent,
    DoNotPair,
    EmailPreferences,
    Event,
    FeedbackAnswer,
    FeedbackItem,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    FeedbackScore,
    FeedbackTemplate,
    Message,
    Pairing,
    PairingMember,
    PairingRole,
    Recording,
    RecordingComment,
    Reflection,
    Room,
    Round,
    RoundAbsence,
    ScenarioTally,
    Session,
    SessionReview,
    SessionSeat,
    TermPlan,
    TermPlanLock,
    Unavailability,
    WeeklyHours,
)
from tests.factories import (
    CohortFactory,
    InvitationFactory,
    MembershipFactory,
    RoundFactory,
    ScenarioFactory,
    UserFactory,
)
from tests.html import text_by_id

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
ROLES = [PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER]


def build_world(n: int) -> None:
    """n rows of every model in the admin; every parent has n children in each of its inlines,
    and every nullable foreign key is filled, so a missing select_related shows."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for i in range(n):
        cohort = CohortFactory()
        trainees = [MembershipFactory(cohort=cohort).user for _ in range(n)]
        first = trainees[0]
        InvitationFactory(cohort=cohort, accepted_by=first)
        scenario = ScenarioFactory(owner=cohort.created_by)
        round_ = RoundFactory(cohort=cohort)
        round_.scenarios.add(scenario)
        pairing = Pairing.objects.create(round=round_, scenario=scenario)
        for trainee, role in zip(trainees, ROLES, strict=False):
            PairingMember.objects.create(pairing=pairing, round=round_, trainee=trainee, role=role)
        low, high = sorted([first, cohort.created_by], key=lambda user: user.pk)
        DoNotPair.objects.create(
            cohort=cohort, trainee_a=low, trainee_b=high, created_by=cohort.created_by
        )
        RoundAbsence.objects.create(round=round_, trainee=cohort.created_by, reason="Leave")
        BriefRead.objects.create(trainee=first, scenario=scenario, role=PairingRole.CLIENT)
        ScenarioTally.objects.create(scenario=scenario, sessions_run=1)
        plan = TermPlan.objects.create(cohort=cohort, rounds=n, requested_at=start)
        TermPlanLock.objects.create(plan=plan, round_number=0, trainee=first)
        Message.objects.create(
            kind="pairing_published",
            recipient=first,
            dedupe_key=f"world-{first.pk}",
            subject="Your pairing",
            body="See Dyad.",
        )
        room = Room.objects.create(cohort=cohort, name=f"Room {i}")
        when = start + timedelta(days=i)
        session = Session.objects.create(
            pairing=pairing,
            start=when,
            end=when + timedelta(minutes=50),
            room=room,
            proposed_by=first,
        )
        for trainee, role in zip(trainees, ROLES, strict=False):
            SessionSeat.objects.create(
                session=session, user=trainee, role=role, start=session.start, end=session.end
            )
        template = FeedbackTemplate.objects.create(
            family=f"world-{i}",
            purpose=FeedbackPurpose.CLIENT,
            name=f"Form {i}",
            licence_note="Ours",
            owner=cohort.created_by,
        )
        items = [
            FeedbackItem.objects.create(
                template=template, position=j, key=f"q{j}", kind="likert", prompt="How?"
            )
            for j in range(n)
        ]
        response = FeedbackResponse.objects.create(
            session=session,
            author=first,
            about=trainees[-1],
            purpose=FeedbackPurpose.CLIENT,
            template=template,
            state="submitted",
            submitted_at=when,
        )
        for j, item in enumerate(items):
            FeedbackAnswer.objects.create(response=response, item=item, value=Decimal(3))
            FeedbackScore.objects.create(response=response, subscale=f"s{j}", items_used=1)
        FeedbackReveal.objects.create(
            session=session, revealed_at=when, reason="supervisor", released_by=cohort.created_by
        )
        Reflection.objects.create(session=session, trainee=first, usefulness=4, goal="Pause more")
        Event.objects.create(session=session, kind="scheduled", actor=first, at=when)
        Consent.objects.create(session=session, user=first, given_at=when, withdrawn_at=when)
        recording = Recording.objects.create(
            session=session,
            file=f"sessions/{session.pk}/world.wav",
            content_type="audio/wav",
            size=44,
            uploaded_by=first,
            uploaded_at=when,
            deleted_at=when,
        )
        for j in range(n):
            RecordingComment.objects.create(
                recording=recording, author=first, at_seconds=j, text="Good"
            )
        SessionReview.objects.create(
            session=session,
            complete=True,
            flags=[{"kind": "low_score", "label": "Low client-rated score"}],
            flagged=True,
            reviewed_by=cohort.created_by,
            reviewed_at=when,
        )
        WeeklyHours.objects.create(user=first, weekday=i % 7, start=time(9), end=time(12))
        WeeklyHours.objects.create(cohort=cohort, weekday=i % 7, start=time(8), end=time(20))
        Unavailability.objects.create(user=first, start=when, end=when + timedelta(hours=2))
        EmailPreferences.objects.create(user=first, muted_kinds=["reminder_1h"])
        CalendarFeed.objects.create(user=first, token_hash=f"{first.pk:064d}")
        Authenticator.objects.create(user=first, type="recovery_codes", data={"seed": "x"})
        AuditEvent.objects.create(
            actor=cohort.created_by,
            actor_label=f"account {cohort.created_by.pk} (supervisor)",
            action=AuditEvent.Action.DATA_EXPORTED,
            subject_label=f"account {first.pk} (trainee)",
        )
        Group.objects.create(name=f"Group {i}").permissions.add(*Permission.objects.all()[:n])
        # An explicit id: the migration that made site 1 left the id sequence behind it.
        Site.objects.create(id=100 + i, domain=f"site{i}.example.org", name=f"Site {i}")
        schedules = {
            "interval": IntervalSchedule.objects.create(every=i + 1, period="minutes"),
            "crontab": CrontabSchedule.objects.create(minute=str(i), hour="4"),
            "solar": SolarSchedule.objects.create(
                event="sunrise", latitude=Decimal(i), longitude=Decimal(i)
            ),
            "clocked": ClockedSchedule.objects.create(clocked_time=when),
        }
        for kind, schedule in schedules.items():
            for j in range(n):
                PeriodicTask.objects.create(
                    name=f"{kind} {i} {j}",
                    task="roleplay.tasks.send_due_messages",
                    one_off=kind == "clocked",
                    **{kind: schedule},
                )
    UserFactory.create_batch(n)


def _queries(client, url: str, params: dict | None = None):
    client.get(url, params)  # warm per-process caches (content types, the site) first
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries], response.content.decode()


def _pages(client, user, model, model_admin) -> dict[str, list[str]]:
    """Load the admin's pages in the current world; return each page's queries."""
    info = (model._meta.app_label, model._meta.model_name)
    rows = model._default_manager.count()
    label = model.__name__
    assert rows, f"build_world() makes no {label} rows: add some so its admin is measured"
    obj = model._default_manager.order_by("-pk").first()
    pages = {}

    pages["changelist"], html = _queries(client, reverse("admin:{}_{}_changelist".format(*info)))
    noun = model._meta.verbose_name if rows == 1 else model._meta.verbose_name_plural
    assert f"{rows} {noun}" in html
    request = RequestFactory().get("/admin/")
    request.user = user
    if model_admin.get_search_fields(request):
        url = reverse("admin:{}_{}_changelist".format(*info))
        pages["search"], html = _queries(client, url, {"q": "e"})

    change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
    pages["change"], html = _queries(client, change)
    assert escape(Truncator(str(obj)).words(18)) in html
    if model_admin.has_add_permission(request):
        pages["add"], html = _queries(client, reverse("admin:{}_{}_add".format(*info)))
        assert f"Add {model._meta.verbose_name}" in html
    return pages


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_admin_pages_run_as_many_queries_for_three_rows_as_for_one(
    client, admin_user, model, model_admin
):
    client.force_login(admin_user)
    with transaction.atomic():
        build_world(1)
        one = _pages(client, admin_user, model, model_admin)
        transaction.set_rollback(True)
    build_world(3)
    three = _pages(client, admin_user, model, model_admin)

    grew = {
        page: _repeated(one[page], three[page])
        for page in one
        if len(one[page]) != len(three[page])
    }
    assert grew == {}, "\n".join(f"{page}: {what}" for page, what in grew.items())


def _repeated(one: list[str], three: list[str]) -> str:
    """The query shapes the larger world runs more often, to say at once what grew."""
    shapes_one, shapes_three = Counter(map(_shape, one)), Counter(map(_shape, three))
    extra = {sql: n - shapes_one[sql] for sql, n in shapes_three.items() if n > shapes_one[sql]}
    return f"{len(one)} → {len(three)} queries; more of: " + " | ".join(
        f"{n}× {sql[:300]}" for sql, n in extra.items()
    )


def _shape(sql: str) -> str:
    sql = re.sub(r"^(DECLARE .*? FOR )?SELECT .*? FROM ", "SELECT … FROM ", sql)
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


GROWING_APPS = {"accounts", "roleplay"}
LOOKUP_WIDGETS = (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    ForeignKeyRawIdWidget,
    ManyToManyRawIdWidget,
)


def _forms(model_admin, request):
    """Each form of the admin, with its fields; an inline's link to its parent is not a choice."""
    yield model_admin.model.__name__, model_admin.get_form(request).base_fields
    for inline in model_admin.get_inline_instances(request):
        formset = inline.get_formset(request)
        fields = {k: v for k, v in formset.form.base_fields.items() if k != formset.fk.name}
        yield inline.model.__name__, fields


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_every_choice_of_a_growing_table_is_looked_up_not_listed(admin_user, model, model_admin):
    """A select box lists every row of the related table: fine for crontab schedules, not for
    2,000 people or 600 rounds. Choices from Dyad's own tables use autocomplete or a raw id."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    listed = [
        f"{form_name}.{name} → {field.queryset.model.__name__}"
        for form_name, fields in _forms(model_admin, request)
        for name, field in fields.items()
        if isinstance(field, ModelChoiceField)
        and field.queryset.model._meta.app_label in GROWING_APPS
        and not isinstance(getattr(field.widget, "widget", field.widget), LOOKUP_WIDGETS)
    ]
    assert listed == []


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _ in REGISTERED]
)
def test_no_list_column_looks_its_label_up_among_hundreds_of_choices(
    admin_user, model, model_admin
):
    """Django labels a column with choices by rebuilding all of them for every row; ~600 time
    zones made that the user list's main cost."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    columns = [
        name
        for name in model_admin.get_list_display(request)
        if isinstance(name, str)
        and name in {field.name for field in model._meta.fields}
        and len(model._meta.get_field(name).flatchoices) > 50
    ]
    assert columns == []


def test_round_and_pairing_names_need_no_query(django_assert_num_queries):
    round_ = RoundFactory(name="Round A")
    pairing = Pairing.objects.create(round=round_)
    round_, pairing = Round.objects.get(pk=round_.pk), Pairing.objects.get(pk=pairing.pk)
    with django_assert_num_queries(0):
        names = [str(round_), str(pairing)]
    assert names == ["Round A", f"Pairing {pairing.pk}"]


def test_the_outbox_has_one_index_by_recipient_not_two():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Message._meta.db_table)
    by_recipient = sorted(
        info["columns"]
        for info in constraints.values()
        if info["index"] and info["columns"][0] == "recipient_id"
    )
    assert by_recipient == [["recipient_id", "read_at"]]


def test_the_outbox_list_reads_the_newest_messages_from_an_index(client, admin_user):
    Message.objects.create(
        kind="pairing_published", recipient=admin_user, dedupe_key="k", subject="s", body="b"
    )
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("admin:roleplay_message_changelist"))
    (listing,) = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "roleplay_message"' in query["sql"] and "ORDER BY" in query["sql"]
    ]
    with connection.cursor() as cursor:
        # A handful of rows would be read and sorted anyway; ask whether millions could be
        # read in order, without sorting them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {listing} LIMIT 100")  # as it runs past one page of rows
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert ("message_newest_first" in plan, "Sort" in plan) == (True, False), plan


def _outbox_row(recipient, key: str, subject: str) -> Message:
    return Message.objects.create(
        kind="pairing_published", recipient=recipient, dedupe_key=key, subject=subject, body="b"
    )


def test_the_outbox_search_finds_people_and_key_prefixes_and_counts_once(client, admin_user):
    ana = UserFactory(display_name="Ana Alvarez", email="ana@example.org")
    ben = UserFactory(display_name="Ben Brown", email="ben@example.org")
    _outbox_row(ana, "session:41:0:session_confirmed:1", "Session confirmed")
    _outbox_row(ben, "session:42:0:session_confirmed:2", "Session confirmed")
    _outbox_row(ben, "digest:2:2026-W10", "Your weekly digest")
    client.force_login(admin_user)
    url = reverse("admin:roleplay_message_changelist")

    def found(term: str) -> tuple[list[str], bool]:
        response = client.get(url, {"q": term})
        recipients = re.findall(
            r'<td class="field-recipient[^"]*">([^<]*)</td>', response.content.decode()
        )
        n = len(recipients)
        counted = f"{n} result{'' if n == 1 else 's'} ( Show all )"  # not "(3 total)"
        return sorted(recipients), counted in text_by_id(response, "changelist-search")

    assert found("alvarez") == (["Ana Alvarez"], True)
    assert found("ben@example") == (["Ben Brown", "Ben Brown"], True)
    assert found("session:42:") == (["Ben Brown"], True)
    assert found("weekly digest") == ([], True)  # subjects are not searched: that reads them all


def test_the_whole_outbox_is_counted_from_statistics_once_it_is_large(
    client, admin_user, monkeypatch
):
    """Counting a million rows exactly costs more than the rest of the page; an unfiltered
    outbox that large shows PostgreSQL's estimate (from the last ANALYZE), a filtered one the
    exact count."""
    from roleplay.admin import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 2)  # not a million, for speed
    for key in "abc":
        _outbox_row(admin_user, key, "Your pairing")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    _outbox_row(admin_user, "d", "Your pairing")  # written since the statistics were taken
    client.force_login(admin_user)
    url = reverse("admin:roleplay_message_changelist")

    whole = text_by_id(client.get(url), "changelist-form")
    pending = text_by_id(client.get(url, {"state__exact": "pending"}), "changelist-form")
    assert ("3 messages" in whole, "4 messages" in pending) == (True, True)


@pytest.mark.parametrize("estimate_above", [2, 100])
def test_the_whole_outbox_is_counted_in_one_query_small_or_large(
    admin_user, monkeypatch, estimate_above, django_assert_num_queries
):
    """The bench saw the outbox list run 7 queries small and 6 large: below the threshold the
    estimate was read and then an exact count run. Either way it is one query now, and exact
    when small."""
    from roleplay.admin import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", estimate_above)
    for key in "abc":
        _outbox_row(admin_user, key, "Your pairing")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Message._meta.db_table}")
    _outbox_row(admin_user, "d", "Your pairing")
    paginator = EstimatedCountPaginator(Message.objects.order_by("pk"), 50)
    with django_assert_num_queries(1):
        count = paginator.count
    assert count == (3 if estimate_above == 2 else 4)
