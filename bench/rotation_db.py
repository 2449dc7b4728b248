"""A 1,000-trainee cohort: one round suggested and saved, then the whole rotation (all 999 rounds
of the round robin, half a million pairings) computed and saved with bulk writes.

Runs against a throwaway copy of the configured database (Django's test-database machinery), so
`make bench` never touches real data."""

import time
from datetime import timedelta

from django.db import connection
from django.test.utils import setup_test_environment
from django.utils import timezone

from bench.throwaway import create_throwaway_database

N_TRAINEES = 1000


def _cohort_of(n: int):
    from accounts.models import User
    from roleplay.models import Cohort, CohortMembership, Role

    owner = User.objects.create_user(email="bench-owner@example.org", is_supervisor=True)
    cohort = Cohort.objects.create(
        name="Bench",
        term_start=timezone.localdate(),
        term_end=timezone.localdate() + timedelta(days=365),
        created_by=owner,
    )
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.org", display_name=f"Trainee {i}") for i in range(n)
    )
    CohortMembership.objects.bulk_create(
        CohortMembership(cohort=cohort, user=user, role=Role.TRAINEE) for user in users
    )
    return cohort


def run() -> list[tuple[str, float, str]]:
    from roleplay.models import PairingMember, Round
    from roleplay.services.pairing import pairings_accept, pairings_suggest

    setup_test_environment()
    old_name = create_throwaway_database()
    try:
        cohort = _cohort_of(N_TRAINEES)
        start = timezone.now()
        round_ = Round.objects.create(
            cohort=cohort, name="Round 1", opens=start, closes=start + timedelta(days=7)
        )
        began = time.perf_counter()
        groups = pairings_suggest(round_=round_)
        suggested = time.perf_counter()
        pairings_accept(round_=round_, groups=groups)
        saved = time.perf_counter()
        assert PairingMember.objects.filter(round=round_).count() == N_TRAINEES
        whole = time.perf_counter()
        rows = _save_rotation(cohort)
        done = time.perf_counter()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return [
        (f"suggest one round, {N_TRAINEES} trainees (db)", suggested - began, "round robin"),
        (
            f"save {len(groups)} pairings + {N_TRAINEES} members",
            saved - suggested,
            "bulk_create",
        ),
        (f"suggest + save, {N_TRAINEES} trainees", saved - began, "target < 10 s"),
        (
            f"whole rotation: {N_TRAINEES - 1} rounds computed and saved",
            done - whole,
            f"{rows:,} pairing + member rows, bulk_create",
        ),
    ]


def _save_rotation(cohort) -> int:
    """Every round of the round robin, saved round by round as the supervisor would accept them."""
    from roleplay.models import CohortMembership, Pairing, PairingMember, Round
    from roleplay.services.pairing_algorithm import round_robin_schedule

    order = list(
        CohortMembership.objects.filter(cohort=cohort)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    start = timezone.now() + timedelta(days=30)
    rounds = Round.objects.bulk_create(
        Round(
            cohort=cohort,
            name=f"Rotation {number}",
            opens=start + timedelta(days=number),
            closes=start + timedelta(days=number, hours=12),
        )
        for number in range(len(order) - 1)
    )
    schedule = round_robin_schedule(order)
    pairings = Pairing.objects.bulk_create(
        (
            Pairing(round=round_)
            for round_, groups in zip(rounds, schedule, strict=True)
            for _ in groups
        ),
        batch_size=5000,
    )
    flat = [group for groups in schedule for group in groups]
    members = PairingMember.objects.bulk_create(
        (
            PairingMember(pairing=pairing, round_id=pairing.round_id, trainee_id=trainee, role=role)
            for pairing, group in zip(pairings, flat, strict=True)
            for role, trainee in (("client", group.client), ("therapist", group.therapist))
        ),
        batch_size=10000,
    )
    return len(pairings) + len(members)
