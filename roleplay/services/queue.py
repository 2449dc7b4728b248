import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue `task` once the surrounding transaction commits.

    The database is the source of truth: if the broker is unreachable the work is still recorded,
    and the periodic sweep that backs every task picks it up later. So a broker failure is logged,
    never shown to the user as an error.
    """

    def publish() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except OperationalError:
            logger.warning("Broker unavailable; %s%r is left to the sweep", task.name, args)

    transaction.on_commit(publish)
