"""A real Celery worker for tests: it consumes from the test Redis broker in a thread of the test
process, so it shares `django.core.mail.outbox` (locmem) and the overridden settings with the test.

Import the fixture into a conftest to use it (`from tests.integration.worker import live_worker`).
Tests that use it need `@pytest.mark.django_db(transaction=True)`: the worker thread opens its own
database connection and only sees what the test has committed.

Every test must wait until the work it queued is done (with `wait_for` or `AsyncResult.get`)
before it ends, so that nothing is left running while pytest-django flushes the database.
"""

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.signals import before_task_publish

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


@pytest.fixture(scope="module")
def live_worker(django_db_setup) -> Iterator[TestWorkController]:
    """One solo-pool worker per test module, started on an empty queue."""
    purge_broker()
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        yield worker
    purge_broker()


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
