import pytest
from django.urls import reverse

from roleplay.models import PlanState, Role, TermPlan
from roleplay.services.term_plans import term_plan_solve
from tests.factories import MembershipFactory, RoundFactory, UserFactory
from tests.html import text_by_id

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return text_by_id(response, "main")


@pytest.fixture(autouse=True)
def _short_solver(settings):
    settings.PLANNER_TIME_LIMIT_SECONDS = 2


@pytest.fixture
def five(cohort):
    return [
        MembershipFactory(cohort=cohort, role=Role.TRAINEE, user=UserFactory(display_name=n)).user
        for n in ["Ada", "Ben", "Cy", "Dee", "Eve"]
    ]


def test_term_plan_page_is_404_outside_the_cohort_and_403_for_its_trainees(
    client, cohort, five, outsider
):
    url = reverse("term_plan", args=[cohort.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(five[0])
    assert client.get(url).status_code == 403
    assert TermPlan.objects.count() == 0


def test_term_plan_page_plans_then_shows_the_grid(client, supervisor, cohort, five):
    client.force_login(supervisor)
    url = reverse("term_plan", args=[cohort.pk])
    response = client.post(url, {"rounds": "4"}, follow=True)
    assert "The planner is working" in text_of(response)
    plan = TermPlan.objects.get(cohort=cohort)
    assert plan.state == PlanState.QUEUED
    term_plan_solve(plan_id=plan.pk)
    response = client.get(url)
    page = text_of(response)
    assert "Round 4" in page and "First repeat pairing: round 2" in page
    assert response.content.decode().count('name="round_number"') == 4 * 5


def test_term_plan_page_queries_are_bounded(
    client, supervisor, cohort, five, django_assert_max_num_queries
):
    RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    client.post(reverse("term_plan", args=[cohort.pk]), {"rounds": "3"})
    term_plan_solve(plan_id=TermPlan.objects.get().pk)
    with django_assert_max_num_queries(30):
        client.get(reverse("term_plan", args=[cohort.pk]))


def test_term_plan_lock_button_locks_the_cell(client, supervisor, cohort, five):
    client.force_login(supervisor)
    client.post(reverse("term_plan", args=[cohort.pk]), {"rounds": "3"})
    plan = TermPlan.objects.get()
    term_plan_solve(plan_id=plan.pk)
    response = client.post(
        reverse("term_plan_lock", args=[cohort.pk]),
        {"round_number": "1", "trainee": str(five[0].pk)},
        follow=True,
    )
    assert "Ada's group in round 2 is locked. Re-plan to apply it." in text_of(response)
    assert list(plan.locks.values_list("round_number", "trainee_id")) == [(1, five[0].pk)]


def test_fallback_plan_says_so(client, supervisor, cohort, five):
    client.force_login(supervisor)
    client.post(reverse("term_plan", args=[cohort.pk]), {"rounds": "3"})
    plan = TermPlan.objects.get()
    term_plan_solve(plan_id=plan.pk)
    TermPlan.objects.filter(pk=plan.pk).update(source="fallback")
    page = text_of(client.get(reverse("term_plan", args=[cohort.pk])))
    assert "this plan is today's round-by-round suggestion" in page


def test_round_page_says_whether_suggestions_follow_the_plan(client, supervisor, cohort, five):
    round_ = RoundFactory(cohort=cohort)
    client.force_login(supervisor)
    url = reverse("round_detail", args=[round_.pk])
    assert text_by_id(client.get(url), "term-plan-notice") == (
        "Suggestions are made round by round. Plan the whole term to look ahead."
    )
    client.post(reverse("term_plan", args=[cohort.pk]), {"rounds": "3"})
    term_plan_solve(plan_id=TermPlan.objects.get().pk)
    assert text_by_id(client.get(url), "term-plan-notice") == ("Suggestions follow the term plan")
    client.post(reverse("round_absence", args=[round_.pk]), {"trainee": five[0].pk, "absent": "1"})
    assert text_by_id(client.get(url), "term-plan-notice") == (
        "The term plan is out of date, so suggestions are made round by round; re-plan to look "
        "ahead again."
    )
