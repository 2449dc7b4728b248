from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import Role
from roleplay.services.cohorts import cohort_create, membership_add

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
    help = "Load Dyad's demo programme once (an admin, two supervisors, a cohort of nine trainees)."

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
        for email, name in TRAINEES:
            membership_add(cohort=cohort, user=self._user(email, name), role=Role.TRAINEE)

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
