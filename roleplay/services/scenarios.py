from accounts.models import User
from roleplay.models import Scenario


def scenario_save(*, scenario: Scenario, owner: User | None) -> Scenario:
    scenario.owner = owner
    scenario.full_clean()
    scenario.save()
    return scenario
