import pytest
import time_machine

from tests.factories import MembershipFactory, UserFactory
from tests.roleplay.booking_helpers import NOW, make_pairing


@pytest.fixture
def frozen_clock():
    """Booking tests run at a fixed moment (see booking_helpers.NOW)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def pair(cohort):
    """Ana in London and Ben in New York, paired in a published round."""
    ana = MembershipFactory(
        cohort=cohort, user=UserFactory(display_name="Ana", time_zone="Europe/London")
    ).user
    ben = MembershipFactory(
        cohort=cohort, user=UserFactory(display_name="Ben", time_zone="America/New_York")
    ).user
    return make_pairing(cohort, ana, ben), ana, ben
