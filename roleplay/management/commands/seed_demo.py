import io
import math
import wave
from datetime import time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from roleplay.models import (
    Cohort,
    FeedbackPurpose,
    FeedbackResponse,
    FeedbackReveal,
    GoalTried,
    ItemKind,
    PairingRole,
    RevealPolicy,
    Role,
    Scenario,
    Session,
    SessionReview,
    SessionSeat,
    SessionStatus,
)
from roleplay.services import feedback, periodic, record, review
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
YEAR_1 = "Counselling Skills — Year 1"
TERM_WEEKS = 8  # weekly rounds before the practice round, the first 59 days ago
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
        "with weekday availability, a term of weekly practice behind them (feedback, scores "
        "that change, goals tried), a finished earlier round whose feedback is in every state, "
        "a session with a recording, comments and a timeline, an open care request, and a "
        "published first round; and a small second cohort whose supervisor releases feedback."
    )

    def handle(self, *args, **options):
        loaded = False
        if not User.objects.filter(email=ADMIN[0]).exists():
            self._load()
            loaded = True
        # The record (a term of practice, a recording, a care request) came later: a database
        # loaded before it gets it now, once.
        cohort = Cohort.objects.filter(name=YEAR_1).first()
        if cohort is not None and not cohort.rounds.filter(name="Week 1").exists():
            self._load_record(cohort)
            loaded = True
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data is already loaded.")
        self._print_logins()

    @transaction.atomic
    def _load(self) -> None:
        self._user(*ADMIN, is_programme_admin=True, is_staff=True, is_superuser=True)
        supervisors = [self._user(email, name, is_supervisor=True) for email, name in SUPERVISORS]
        today = timezone.localdate()
        cohort = cohort_create(
            created_by=supervisors[0],
            name=YEAR_1,
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

    # --- the record: a term of practice, a recording, a care request ------------------------

    @transaction.atomic
    def _load_record(self, cohort) -> None:
        supervisor = User.objects.get(email=SUPERVISORS[0][0])
        trainees = {u.email: u for u in User.objects.filter(email__in=[e for e, _ in TRAINEES])}
        people = [trainees[email] for email, _ in TRAINEES]
        cohort.term_start = min(cohort.term_start, timezone.localdate() - timedelta(days=70))
        cohort.save(update_fields=["term_start"])
        self._term_of_practice(cohort, supervisor, people)
        self._recorded_session(cohort, supervisor, people)

    def _term_of_practice(self, cohort, supervisor, trainees) -> None:
        """Eight weekly rounds over the past term, everyone's feedback written and revealed, and
        reflections with usefulness ratings and goals — each goal tried at the next session.

        - Roles alternate as Dyad itself would pair them: nobody is client more than once more
          often than therapist, so "Suggest pairs" for the next round has a valid answer.
        - Aisha is the therapist every other week: her clients feel more and more understood
          (answers 2 → 5) while her own rating comes down to meet theirs: her gap closes.
        - Grace is the therapist in the other weeks: her clients' scores fall in her last two
          while she rates herself higher — the cohort view lists her for falling scores and a
          widening gap. Hamid did not come in week 6 (a no-show: listed for missed sessions).
        Sessions are made by the services as they happen; since the feedback window of a
        session two months ago has long closed, the window is opened for the load and the
        submissions and reveals are then dated an hour or two after each session."""
        aisha, ben, chloe, dev, elena, finn, grace, hamid, ines = trainees
        c, t, o = PairingRole.CLIENT, PairingRole.THERAPIST, PairingRole.OBSERVER
        weeks = [
            [
                (ben, c, aisha, t, hamid),
                (dev, c, finn, t),
                (grace, c, elena, t),
                (chloe, c, ines, t),
            ],
            [
                (ines, c, hamid, t),
                (elena, c, dev, t),
                (finn, c, chloe, t),
                (aisha, c, grace, t, ben),
            ],
            [
                (finn, c, aisha, t, ines),
                (hamid, c, elena, t),
                (grace, c, chloe, t),
                (dev, c, ben, t),
            ],
            [
                (elena, c, ines, t),
                (aisha, c, dev, t, finn),
                (chloe, c, ben, t),
                (hamid, c, grace, t),
            ],
            [
                (ines, c, aisha, t),
                (ben, c, elena, t, chloe),
                (grace, c, finn, t),
                (dev, c, hamid, t),
            ],
            [
                (ben, c, ines, t),
                (hamid, c, finn, t, dev),
                (aisha, c, chloe, t),
                (elena, c, grace, t),
            ],
            [
                (grace, c, aisha, t),
                (chloe, c, hamid, t),
                (ines, c, dev, t, elena),
                (finn, c, ben, t),
            ],
            [
                (finn, c, hamid, t),
                (aisha, c, elena, t),
                (dev, c, chloe, t, ben),
                (ines, c, grace, t),
            ],
        ]
        # (what the client answers, what the therapist answers about themself) per week.
        aisha_scores = iter([(2, 5), (3, 5), (4, 4), (5, 5)])
        grace_scores = [(4, 4)] * 5 + [(3, 5), (4, 4), (2, 5)]
        window = cohort.feedback_window_days
        cohort.feedback_window_days = 60
        cohort.save(update_fields=["feedback_window_days"])
        earlier_goal: dict[int, object] = {}
        written = []
        for number, week in enumerate(weeks):
            groups = [[(g[0], c), (g[2], t)] + ([(g[4], o)] if len(g) == 5 else []) for g in week]
            days = 59 - 7 * number
            absent = [hamid] if number == 5 else []
            sessions = self._past_round(
                cohort, supervisor, f"Week {number + 1}", groups, days=days, absent=absent
            )
            for session, group in zip(sessions, groups, strict=True):
                if session.status != SessionStatus.COMPLETED:
                    continue
                (client, _), (therapist, _) = group[0], group[1]
                heard, own = 4, 4
                if therapist == aisha:
                    heard, own = next(aisha_scores)
                elif therapist == grace:
                    heard, own = grace_scores[number]
                self._write(
                    session,
                    client,
                    therapist,
                    FeedbackPurpose.CLIENT,
                    text="I felt listened to.",
                    likert=heard,
                    slider=str(2 * heard),
                )
                self._write(
                    session,
                    therapist,
                    client,
                    FeedbackPurpose.THERAPIST,
                    text="I noticed when I rushed.",
                    likert=own,
                )
                if len(group) == 3:
                    self._write(
                        session,
                        group[2][0],
                        therapist,
                        FeedbackPurpose.OBSERVER,
                        text="Good open questions.",
                    )
                for trainee, _ in group:
                    goal = earlier_goal.get(trainee.pk)
                    if goal is not None:
                        tried = GoalTried.YES if trainee.pk % 3 else GoalTried.PARTLY
                        feedback.goal_checkin(
                            reflection=goal, trainee=trainee, tried=tried, note=""
                        )
                    earlier_goal[trainee.pk] = feedback.reflection_save(
                        session=session,
                        trainee=trainee,
                        usefulness=2 if client == ben and trainee == therapist else 4 + number % 2,
                        text="",
                        goal=f"Week {number + 2}: leave a silence before asking the next question.",
                    )
                written.append(session)
        cohort.feedback_window_days = window
        cohort.save(update_fields=["feedback_window_days"])
        # Dated as they would have been: submitted and revealed within hours of each session,
        # reviewed by Sam in supervision two days later.
        for session in written:
            FeedbackResponse.objects.filter(session=session).update(
                submitted_at=session.end + timedelta(hours=2)
            )
            FeedbackReveal.objects.filter(session=session).update(
                revealed_at=session.end + timedelta(hours=3)
            )
        SessionReview.objects.filter(session__in=written).update(
            reviewed_by=supervisor, reviewed_at=timezone.now() - timedelta(days=1)
        )
        Session.objects.filter(pk__in=[s.pk for s in written]).update(awaiting_review=False)

    def _recorded_session(self, cohort, supervisor, trainees) -> None:
        """The practice round's first session (Aisha and Ben): both consent, Aisha uploads a
        recording (a six-second generated tone), Sam and Ben comment on moments of it — the
        session's timeline shows each step. Elena asks for a check-in after hers: an open care
        request for Sam to acknowledge."""
        aisha, ben, elena = trainees[0], trainees[1], trainees[4]
        practice = cohort.rounds.get(name="Round 0 (practice)")
        session = Session.objects.get(pairing__round=practice, seats__user=aisha)
        for person in (aisha, ben):
            record.consent_give(session=session, user=person)
        recording = record.recording_upload(
            session=session,
            user=aisha,
            upload=SimpleUploadedFile("round-0-aisha-ben.wav", tone_wav(), "audio/wav"),
        )
        record.comment_add(
            recording=recording, author=supervisor, at_seconds=2, text="Good reflection of feeling."
        )
        record.comment_add(
            recording=recording, author=ben, at_seconds=4, text="Here I jumped to advice."
        )
        elenas = Session.objects.get(pairing__round=practice, seats__user=elena)
        record.care_flag_raise(
            session=elenas, user=elena, note="The loss in the scenario was close to home."
        )

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

    def _past_round(self, cohort, supervisor, name, groups, days=5, absent=()) -> list[Session]:
        """A round that ran `days` ago (its sessions an hour each, an hour apart), completed and
        closed; the trainees have been asked for their feedback. Whoever is `absent` did not
        come: the others checked in, so their session ends as a no-show."""
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
                    checked_in_at=session.start
                    if absent and trainee not in absent and any(p in absent for p, _ in group)
                    else None,
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


def tone_wav(seconds: float = 6.0, rate: int = 8000, pitch: float = 440.0) -> bytes:
    """A real WAV file — a soft tone of `seconds`, written with Python's `wave` module — that
    stands in for a session recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(rate)
        audio.writeframes(
            bytes(
                128 + int(40 * math.sin(2 * math.pi * pitch * n / rate))
                for n in range(int(seconds * rate))
            )
        )
    return buffer.getvalue()
