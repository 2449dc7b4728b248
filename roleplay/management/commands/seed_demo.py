from datetime import time, timedelta

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import Role, Scenario
from roleplay.services.availability import weekly_hours_add
from roleplay.services.cohorts import cohort_create, membership_add
from roleplay.services.pairing import pairings_accept, pairings_suggest, round_publish
from roleplay.services.rounds import round_create

DEMO_PASSWORD = "practise-empathy"
ADMIN = ("admin@dyad.test", "Morgan Admin")
SUPERVISORS = [("supervisor1@dyad.test", "Sam Okafor"), ("supervisor2@dyad.test", "Rivka Stein")]
TRAINEES = [
    ("trainee1@dyad.test", "Aisha Rahman"),
    ("trainee2@dyad.test", "Ben Carter"),
    ("trainee3@dyad.test", "Chloé Martin"),
    ("trainee4@dyad.test", "Dev Patel"),
    ("trainee5@dyad.test", "Elena Rossi"),
    ("trainee6@dyad.test", "Finn O'Brien"),
    ("trainee7@dyad.test", "Grace Liu"),
    ("trainee8@dyad.test", "Hamid Karimi"),
    ("trainee9@dyad.test", "Ines Duarte"),
]


class Command(BaseCommand):
    help = (
        "Load Dyad's demo programme once: an admin, two supervisors, a cohort of nine trainees "
        "with weekday availability, and a published first round."
    )

    def handle(self, *args, **options):
        if User.objects.filter(email=ADMIN[0]).exists():
            self.stdout.write("Demo data is already loaded.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    @transaction.atomic
    def _load(self) -> None:
        self._user(*ADMIN, is_programme_admin=True, is_staff=True, is_superuser=True)
        supervisors = [self._user(email, name, is_supervisor=True) for email, name in SUPERVISORS]
        today = timezone.localdate()
        cohort = cohort_create(
            created_by=supervisors[0],
            name="Counselling Skills — Year 1",
            term_start=today - timedelta(days=30),
            term_end=today + timedelta(days=90),
            time_zone="Europe/London",
        )
        trainees = [self._user(email, name) for email, name in TRAINEES]
        for trainee in trainees:
            membership_add(cohort=cohort, user=trainee, role=Role.TRAINEE)
            weekly_hours_add(owner=trainee, weekdays=range(5), start=time(9), end=time(17))
        self._first_round(cohort)

    def _first_round(self, cohort) -> None:
        """A published first round, so trainees have a pairing, a scenario and times to book."""
        now = timezone.now()
        round_ = round_create(
            cohort=cohort,
            name="Round 1",
            opens=now,
            closes=now + timedelta(days=21),
            scenarios=list(Scenario.objects.filter(owner=None, difficulty=1)),
        )
        pairings_accept(round_=round_, groups=pairings_suggest(round_=round_))
        starters = list(Scenario.objects.filter(owner=None).order_by("difficulty", "title"))
        for pairing, scenario in zip(round_.pairings.all(), starters, strict=False):
            pairing.scenario = scenario
            pairing.save(update_fields=["scenario"])
        round_publish(round_=round_)

    def _user(self, email: str, name: str, **flags) -> User:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            display_name=name,
            time_zone="Europe/London",
            **flags,
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    def _print_logins(self) -> None:
        rows = [("programme admin", ADMIN[0])]
        rows += [("supervisor", email) for email, _ in SUPERVISORS]
        rows += [("trainee", email) for email, _ in TRAINEES]
        self.stdout.write(f"\nDemo logins (every password: {DEMO_PASSWORD})")
        for role, email in rows:
            self.stdout.write(f"  {role:<16} {email}")
