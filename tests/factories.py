from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from roleplay.models import Cohort, CohortMembership, Invitation, Role, Round, Scenario

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    time_zone = "Europe/London"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Accounts made by the factory have a verified email, as allauth requires to sign in."""
        if create:
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Cohort {n}")
    term_start = factory.LazyFunction(lambda: date.today() - timedelta(days=7))
    term_end = factory.LazyFunction(lambda: date.today() + timedelta(days=90))
    time_zone = "Europe/London"
    created_by = factory.SubFactory(UserFactory, is_supervisor=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CohortMembership

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TRAINEE


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    cohort = factory.SubFactory(CohortFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    name = factory.Faker("name")
    invited_by = factory.SelfAttribute("cohort.created_by")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    title = factory.Sequence(lambda n: f"Scenario {n}")
    presenting_concern = "Low mood after a move"
    difficulty = 2
    skills = ["reflection_of_feeling", "open_questions"]
    intake_summary = "Intake: Alex, 30, self-referred."
    client_brief = "SECRET-BRIEF: History: the client hides that they lost their job."


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    cohort = factory.SubFactory(CohortFactory)
    name = factory.Sequence(lambda n: f"Round {n}")
    opens = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    closes = factory.LazyFunction(lambda: timezone.now() + timedelta(days=15))
