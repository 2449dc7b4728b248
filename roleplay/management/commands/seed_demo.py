from datetime import time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    FeedbackPurpose,
    ItemKind,
    PairingRole,
    RevealPolicy,
    Role,
    Scenario,
    Session,
    SessionSeat,
    SessionStatus,
)
from roleplay.services import feedback, periodic, review
from roleplay.services.availability import weekly_hours_add
from roleplay.services.cohorts import cohort_create, membership_add
from roleplay.services.feedback import AnswerValue
from roleplay.services.pairing import (
    Arrangement,
    SlotOptions,
    pairings_accept,
    pairings_suggest,
    round_arrange,
    round_close,
    round_publish,
)
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
        "with weekday availability, a finished earlier round whose feedback is in every state, "
        "and a published first round; and a small second cohort whose supervisor releases "
        "feedback."
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
        self._earlier_round(cohort, supervisors[0], trainees)
        self._release_cohort(supervisors, trainees[6:8])
        self._first_round(cohort)

    def _earlier_round(self, cohort, supervisor, trainees) -> None:
        """A closed practice round from last week, with feedback in every state:
        - Aisha (client) and Ben (therapist): both submitted, revealed; Ben rated its usefulness
          and set a goal; Sam has not reviewed it yet;
        - Chloé and Dev: Chloé submitted and then amended hers (revision 2), Dev's is waiting;
        - Elena, Finn and Grace (observer): all submitted, revealed, and flagged: Elena rated the
          session low, far below how Finn rated himself;
        - Hamid and Ines: both submitted and reviewed by Sam, who added template 4."""
        aisha, ben, chloe, dev, elena, finn, grace, hamid, ines = trainees
        groups = [
            [(aisha, PairingRole.CLIENT), (ben, PairingRole.THERAPIST)],
            [(chloe, PairingRole.CLIENT), (dev, PairingRole.THERAPIST)],
            [
                (elena, PairingRole.CLIENT),
                (finn, PairingRole.THERAPIST),
                (grace, PairingRole.OBSERVER),
            ],
            [(hamid, PairingRole.CLIENT), (ines, PairingRole.THERAPIST)],
        ]
        sessions = self._past_round(cohort, supervisor, "Round 0 (practice)", groups)
        good = {"likert": 4, "slider": "9.5"}
        one, two, three, four = sessions
        self._write(one, aisha, ben, FeedbackPurpose.CLIENT, text="You kept to my words.", **good)
        self._write(one, ben, aisha, FeedbackPurpose.THERAPIST, text="Slow down.", **good)
        feedback.reflection_save(
            session=one,
            trainee=ben,
            usefulness=4,
            text="I rushed to solutions when Aisha went quiet.",
            goal="Leave a silence before my next question.",
        )
        first = self._write(two, chloe, dev, FeedbackPurpose.CLIENT, text="Warm.", **good)
        amended = feedback.feedback_amend(response=first, author=chloe)
        answers = self._answers(amended.template, text="Warm, and it helped to be asked.", **good)
        feedback.feedback_submit(response=amended, author=chloe, answers=answers)
        low = {"likert": 2, "slider": "3.0"}
        self._write(three, elena, finn, FeedbackPurpose.CLIENT, text="I felt rushed.", **low)
        self._write(three, finn, elena, FeedbackPurpose.THERAPIST, text="Went well.", likert=5)
        self._write(three, grace, finn, FeedbackPurpose.OBSERVER, text="Two summaries landed.")
        self._write(four, hamid, ines, FeedbackPurpose.CLIENT, text="Felt heard.", **good)
        self._write(four, ines, hamid, FeedbackPurpose.THERAPIST, text="Good pace.", **good)
        for trainee in (hamid, ines):
            self._write(four, supervisor, trainee, FeedbackPurpose.SUPERVISOR, text="Solid work.")
        review.session_review(session=four, supervisor=supervisor)

    def _release_cohort(self, supervisors, trainees) -> None:
        """A second cohort whose supervisor releases feedback: one session written by both,
        waiting for Sam's release."""
        today = timezone.localdate()
        cohort = cohort_create(
            created_by=supervisors[0],
            name="Supervision Practice — Year 2",
            term_start=today - timedelta(days=30),
            term_end=today + timedelta(days=90),
            time_zone="Europe/London",
            reveal_policy=RevealPolicy.SUPERVISOR,
        )
        membership_add(cohort=cohort, user=supervisors[1], role=Role.SUPERVISOR)
        client, therapist = trainees
        for trainee in trainees:
            membership_add(cohort=cohort, user=trainee, role=Role.TRAINEE)
        groups = [[(client, PairingRole.CLIENT), (therapist, PairingRole.THERAPIST)]]
        (session,) = self._past_round(cohort, supervisors[0], "Practice round", groups, days=2)
        good = {"likert": 4, "slider": "9.5"}
        self._write(session, client, therapist, FeedbackPurpose.CLIENT, text="Calm.", **good)
        self._write(session, therapist, client, FeedbackPurpose.THERAPIST, text="Ok.", **good)

    def _past_round(self, cohort, supervisor, name, groups, days=5) -> list[Session]:
        """A round that ran `days` ago (its sessions an hour each, an hour apart), completed and
        closed; the trainees have been asked for their feedback."""
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        opens = now - timedelta(days=days + 7)
        round_ = round_create(cohort=cohort, name=name, opens=opens, closes=now - timedelta(days=1))
        starters = list(Scenario.objects.filter(owner=None).order_by("difficulty", "title"))
        members = {
            trainee.pk: (f"s{n}", role) for n, group in enumerate(groups) for trainee, role in group
        }
        options = {
            f"s{n}": SlotOptions(scenario=starters[n % len(starters)] if starters else None)
            for n in range(len(groups))
        }
        round_arrange(round_=round_, arrangement=Arrangement(members=members, options=options))
        round_publish(round_=round_)
        sessions = []
        for n, group in enumerate(groups):
            pairing = round_.pairings.get(members__trainee=group[0][0])
            start = now - timedelta(days=days, hours=2 * (len(groups) - n))
            session = Session.objects.create(
                pairing=pairing,
                start=start,
                end=start + timedelta(hours=1),
                status=SessionStatus.SCHEDULED,
                proposed_by=supervisor,
            )
            SessionSeat.objects.bulk_create(
                SessionSeat(
                    session=session,
                    user=trainee,
                    role=role,
                    start=session.start,
                    end=session.end,
                    active=True,
                    confirmed_sequence=session.sequence,
                )
                for trainee, role in group
            )
            sessions.append(session)
        periodic.sessions_complete()
        round_.refresh_from_db()
        round_close(round_=round_)
        for session in sessions:
            session.refresh_from_db()
        return sessions

    def _answers(self, template, *, likert=4, slider="8.0", text="") -> dict[str, AnswerValue]:
        answers = {}
        for item in template.items.all():
            if item.kind == ItemKind.LIKERT:
                answers[item.key] = AnswerValue(value=Decimal(likert))
            elif item.kind == ItemKind.SLIDER:
                answers[item.key] = AnswerValue(value=Decimal(slider))
            elif item.kind == ItemKind.COUNT:
                answers[item.key] = AnswerValue(value=Decimal(2))
            elif item.kind == ItemKind.YES_NO:
                answers[item.key] = AnswerValue(value=Decimal(1))
            elif item.kind == ItemKind.CHOICE:
                answers[item.key] = AnswerValue(text=item.choices[0])
            else:
                answers[item.key] = AnswerValue(text=text)
        return answers

    def _write(self, session, author, about, purpose, *, text, **values):
        response = feedback.feedback_start(
            session=session, author=author, about=about, purpose=purpose
        )
        answers = self._answers(response.template, text=text, **values)
        return feedback.feedback_submit(response=response, author=author, answers=answers)

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
