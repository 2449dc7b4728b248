"""Invariant 2: a therapist-role trainee can never read the client brief of their pairing's
scenario — through any page. This walks every URL Dyad has, as the therapist, and looks for it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from roleplay.models import PairingRole, Role
from roleplay.services.pairing import Arrangement, SlotOptions, round_arrange, round_publish
from roleplay.services.scenarios import scenario_save
from tests.factories import MembershipFactory, RoundFactory, ScenarioFactory

pytestmark = pytest.mark.django_db
SECRET = "SECRET-BRIEF"


@pytest.fixture
def published_pairing(cohort, supervisor):
    client_user = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    therapist = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    observer = MembershipFactory(cohort=cohort, role=Role.TRAINEE).user
    scenario = scenario_save(scenario=ScenarioFactory.build(shared=True), owner=supervisor)
    round_ = RoundFactory(cohort=cohort)
    round_.scenarios.set([scenario])
    round_arrange(
        round_=round_,
        arrangement=Arrangement(
            members={
                client_user.pk: ("a", PairingRole.CLIENT),
                therapist.pk: ("a", PairingRole.THERAPIST),
                observer.pk: ("a", PairingRole.OBSERVER),
            },
            options={"a": SlotOptions(scenario=scenario)},
        ),
    )
    round_publish(round_=round_)
    pairing = round_.pairings.get()
    return {
        "pairing": pairing,
        "round": round_,
        "scenario": scenario,
        "client": client_user,
        "therapist": therapist,
        "observer": observer,
    }


def _all_url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _all_url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _fill(route: str, ids: dict) -> str:
    """Put every id we know into a route's <int:...> slots, trying each object's id."""
    path = "/" + route.replace("^", "").replace("$", "").replace("\\Z", "")
    for name in ("pk", "membership_id", "invitation_id", "constraint_id", "object_id"):
        path = path.replace(f"<int:{name}>", str(ids.get(name, ids["pk"])))
    path = path.replace("<path:object_id>", str(ids["pk"]))
    return path.replace("<str:token>", "x").replace("<key>", "x").replace("<uidb36>", "x")


@pytest.mark.parametrize("who", ["client", "observer"])
def test_client_and_observer_read_the_brief(client, published_pairing, who):
    client.force_login(published_pairing[who])
    page = client.get(reverse("pairing_detail", args=[published_pairing["pairing"].pk]))
    assert SECRET in page.content.decode()


def test_the_therapist_sees_the_intake_but_not_the_brief(client, published_pairing):
    client.force_login(published_pairing["therapist"])
    page = client.get(reverse("pairing_detail", args=[published_pairing["pairing"].pk]))
    text = page.content.decode()
    assert "Intake: Alex, 30, self-referred." in text
    assert SECRET not in text


def test_no_url_shows_the_brief_to_the_therapist(client, published_pairing):
    client.force_login(published_pairing["therapist"])
    assert_no_url_shows_the_brief(client, published_pairing)


def assert_no_url_shows_the_brief(client, published_pairing) -> None:
    """GET and POST every route, filled with the id of each object involved, and read it all."""
    objects = [
        published_pairing["pairing"],
        published_pairing["round"],
        published_pairing["scenario"],
        published_pairing["round"].cohort,
    ]
    tried = 0
    for route, _ in _all_url_patterns():
        if "logout" in route:
            continue
        for obj in objects:
            url = _fill(route, {"pk": obj.pk})
            if "<" in url:
                continue
            for method in (client.get, client.post):
                response = method(url)
                tried += 1
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                assert SECRET.encode() not in body, f"{method.__name__.upper()} {url}"
    assert tried > 100
    for message in published_pairing["therapist"].messages.all():
        assert SECRET not in message.body


def test_the_supervisor_reads_the_brief_in_the_library(client, published_pairing, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("scenario_detail", args=[published_pairing["scenario"].pk]))
    assert SECRET in page.content.decode()


def test_a_therapist_who_also_supervises_cannot_read_the_brief_in_the_library(
    client, published_pairing
):
    therapist = published_pairing["therapist"]
    therapist.is_supervisor = True
    therapist.save()
    client.force_login(therapist)
    scenario = published_pairing["scenario"]
    page = client.get(reverse("scenario_detail", args=[scenario.pk])).content.decode()
    assert scenario.title in page
    assert SECRET not in page
    assert "Hidden: you play the therapist" in page
    assert_no_url_shows_the_brief(client, published_pairing)
