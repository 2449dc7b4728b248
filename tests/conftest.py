import pytest
from django.core.cache import cache

from roleplay.models import Role
from tests.factories import CohortFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()


@pytest.fixture
def admin_user(db):
    return UserFactory(is_programme_admin=True, is_staff=True, is_superuser=True)


@pytest.fixture
def supervisor(db):
    return UserFactory(is_supervisor=True, display_name="Sam Supervisor")


@pytest.fixture
def cohort(supervisor):
    cohort = CohortFactory(created_by=supervisor, name="Year 1")
    MembershipFactory(cohort=cohort, user=supervisor, role=Role.SUPERVISOR)
    return cohort


@pytest.fixture
def trainee(cohort):
    return MembershipFactory(cohort=cohort, role=Role.TRAINEE).user


@pytest.fixture
def outsider(db):
    """A trainee of another cohort."""
    return MembershipFactory(role=Role.TRAINEE).user


@pytest.fixture
def dead_broker(monkeypatch):
    """Point Celery at a port where nothing listens, as when Redis is down."""
    from config.celery import app

    def fresh_pool():
        # Forget the connection and producer pools so the next publish connects to the broker
        # configured now (closing them would break kombu's pool shared with the real broker).
        app._pool = None
        app.amqp._producer_pool = None

    fresh_pool()
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    yield app
    monkeypatch.undo()
    fresh_pool()
