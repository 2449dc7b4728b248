from tests.integration.worker import live_worker, published_tasks

__all__ = ["live_worker", "published_tasks"]
