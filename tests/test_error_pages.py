import pytest
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_404_page_leads_back_to_the_dashboard(client, trainee):
    client.force_login(trainee)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert 'href="/"' in page


def test_500_page_reassures_and_needs_no_context(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_403_page_says_who_may(client, cohort, trainee):
    client.force_login(trainee)
    response = client.get(f"/cohorts/{cohort.pk}/edit/")
    assert response.status_code == 403
    assert "Only the cohort's supervisors" in response.content.decode()


def test_other_errors_keep_the_500_page(rf):
    from config.errors import server_error as dyad_server_error

    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = dyad_server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
