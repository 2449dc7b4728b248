import socket

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


def _broker_at(monkeypatch, url: str):
    """Point Celery at `url` for one test, then back at the real broker."""
    from config.celery import app
    from roleplay.services.queue import broker_breaker

    def fresh_pool():
        # Forget the connection and producer pools so the next publish connects to the broker
        # configured now (closing them would break kombu's pool shared with the real broker).
        # The circuit breaker is per process: the next test starts with the broker trusted.
        app._pool = None
        app.amqp._producer_pool = None
        broker_breaker.reset()

    fresh_pool()
    monkeypatch.setattr(app.conf, "broker_url", url)
    yield app
    monkeypatch.undo()
    fresh_pool()


@pytest.fixture
def dead_broker(monkeypatch):
    """Point Celery at a port where nothing listens, as when Redis is down: refused at once."""
    yield from _broker_at(monkeypatch, "redis://127.0.0.1:9/0")


@pytest.fixture
def blackholed_broker(monkeypatch):
    """Point Celery at a local port that drops connection attempts, as a firewall or a host that
    is gone does: nothing answers, so only a timeout ends the attempt. A listening socket whose
    accept queue is full makes the kernel drop further SYNs without a reply."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))  # takes the one place in the queue
    try:
        yield from _broker_at(monkeypatch, f"redis://127.0.0.1:{port}/0")
    finally:
        filler.close()
        listener.close()


@pytest.fixture
def hung_broker(monkeypatch):
    """Point Celery at a local port that accepts connections and never answers, as a Redis that
    is stuck (or a half-open connection) does: only a read timeout ends the wait. The kernel
    completes the handshake for a listening socket even if nobody accepts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield from _broker_at(monkeypatch, f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    finally:
        listener.close()
