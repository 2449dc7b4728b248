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
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.db import connection, transaction
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

from roleplay.models import (
    CalendarFeed,
    DoNotPair,
    EmailPreferences,
    Message,
    Pairing,
    PairingMember,
    PairingRole,
    Room,
    RoundAbsence,
    Session,
    SessionSeat,
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
        WeeklyHours.objects.create(user=first, weekday=i % 7, start=time(9), end=time(12))
        WeeklyHours.objects.create(cohort=cohort, weekday=i % 7, start=time(8), end=time(20))
        Unavailability.objects.create(user=first, start=when, end=when + timedelta(hours=2))
        EmailPreferences.objects.create(user=first, muted_kinds=["reminder_1h"])
        CalendarFeed.objects.create(user=first, token_hash=f"{first.pk:064d}")
        Authenticator.objects.create(user=first, type="recovery_codes", data={"seed": "x"})
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
