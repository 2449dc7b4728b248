import pytest
from django.core.management import call_command

from accounts.models import User
from roleplay.models import Cohort, PairingMember, Role, RoundStatus

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_its_logins_work(client, capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    output = capsys.readouterr().out
    assert "Demo data is already loaded." in output
    assert "every password: practise-empathy" in output
    assert User.objects.filter(is_programme_admin=True).count() == 1
    assert User.objects.filter(is_supervisor=True).count() == 2
    cohort = Cohort.objects.get()
    assert cohort.memberships.filter(role=Role.TRAINEE).count() == 9
    round_ = cohort.rounds.get()
    assert round_.status == RoundStatus.PUBLISHED
    assert PairingMember.objects.filter(round=round_).count() == 9
    assert not round_.pairings.filter(scenario=None).exists()

    response = client.post(
        "/accounts/login/",
        {"login": "trainee1@dyad.test", "password": "practise-empathy"},
        follow=True,
    )
    assert cohort.name in response.content.decode()
