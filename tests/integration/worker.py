"""A real Celery worker for tests: it consumes from the test Redis broker in a thread of the test
process, so it shares `django.core.mail.outbox` (locmem) and the overridden settings with the test.

Import the fixtures into a conftest to use them:
`from tests.integration.worker import django_db_modify_db_settings, live_worker`.
Tests that use the worker need `@pytest.mark.django_db(transaction=True)`: the worker thread opens
its own database connection and only sees what the test has committed.

Every test must wait until the work it queued is done (with `wait_for` or `AsyncResult.get`)
before it ends, so that nothing is left running while pytest-django flushes the database.
"""

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.signals import before_task_publish, setup_logging

from config.celery import app as celery_app

T = TypeVar("T")

WAIT_TIMEOUT = 20.0
POLL_INTERVAL = 0.05


def wait_for(
    condition: Callable[[], T],
    *,
    what: str,
    timeout: float = WAIT_TIMEOUT,
    interval: float = POLL_INTERVAL,
) -> T:
    """Poll `condition` until it returns something truthy and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"Gave up after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


def purge_broker(app=celery_app) -> int:
    """Drop every message a previous run left behind: the queued ones and, because tasks are
    acknowledged late, the delivered-but-unacknowledged ones that kombu's Redis transport would
    otherwise put back on the queue."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        purged = app.amqp.TaskConsumer(connection).purge()
        channel.client.delete(
            channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key
        )
    return purged


def _leave_logging_to_pytest(**kwargs) -> None:
    """A receiver of `setup_logging` tells Celery that logging is configured already. Without one
    the embedded worker replaces the root logger's handlers and sets its level to ERROR for the
    rest of the session, which would hide log records from later tests' `caplog`."""


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """Give a session that starts with these tests a test database of its own (test_dyad_live), so
    that they can run while the unit tests run in another process: every pytest session creates,
    and at its end drops, its test database. (When the whole suite runs in one session, whichever
    test needs the database first decides its name; that is harmless.)"""
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_live"


@pytest.fixture(scope="module")
def live_worker(django_db_setup) -> Iterator[TestWorkController]:
    """One solo-pool worker per test module, started on an empty queue."""
    purge_broker()
    setup_logging.connect(_leave_logging_to_pytest)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        setup_logging.disconnect(_leave_logging_to_pytest)
        purge_broker()
        # Publishing built the app's producer pool on the Redis connection pool. Forget it, as a
        # fresh process would not have it, so that a later test that points the app at another
        # broker (tests/conftest.py's dead_broker) does not publish through a stale pool.
        celery_app.amqp._producer_pool = None


@pytest.fixture
def published_tasks() -> Iterator[list[tuple[str, tuple]]]:
    """(task name, args) of every task published to the broker during the test, in order."""
    published: list[tuple[str, tuple]] = []

    def record(sender=None, body=None, **kwargs):
        args = body[0] if isinstance(body, list | tuple) else ()
        published.append((sender, tuple(args)))

    before_task_publish.connect(record, weak=False)
    yield published
    before_task_publish.disconnect(record)
