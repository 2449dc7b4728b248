import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class BrokerBreaker:
    """A circuit breaker for publishing: after a failed publish this process stops trying for
    BROKER_RETRY_AFTER_SECONDS. A request that queues eight messages while Redis is down then
    pays for one failed connection at most, and usually for none.

    Per process, deliberately: each web worker finds out for itself, at the cost of one short
    timeout, and nothing shared has to be reachable to decide. The clock is Django's (wall time),
    so tests can travel past the pause."""

    def __init__(self) -> None:
        self.open_until: datetime | None = None

    def allows(self) -> bool:
        return self.open_until is None or timezone.now() >= self.open_until

    def trip(self) -> None:
        self.open_until = timezone.now() + timedelta(seconds=settings.BROKER_RETRY_AFTER_SECONDS)

    def reset(self) -> None:
        self.open_until = None


broker_breaker = BrokerBreaker()


def enqueue_on_commit(task, *args) -> None:
    """Queue `task` once the surrounding transaction commits.

    The database is the source of truth: if the broker is unreachable the work is still recorded,
    and the periodic sweep that backs every task picks it up later. So a broker failure is logged,
    never shown to the user as an error, and never waited for: one attempt with a short timeout
    (see CELERY_BROKER_TRANSPORT_OPTIONS), then nothing more until the breaker's pause is over.
    """

    def publish() -> None:
        if not broker_breaker.allows():
            logger.info("Broker marked unavailable; %s%r is left to the sweep", task.name, args)
            return
        try:
            task.apply_async(args=args, retry=False)
        except (OperationalError, OSError) as exc:
            broker_breaker.trip()
            logger.warning(
                "Broker unavailable; %s%r and whatever is queued in the next %s s are left to "
                "the sweep (%s)",
                task.name,
                args,
                settings.BROKER_RETRY_AFTER_SECONDS,
                exc,
            )

    transaction.on_commit(publish)
