from tests.integration.worker import django_db_modify_db_settings, live_worker, published_tasks

__all__ = ["django_db_modify_db_settings", "live_worker", "published_tasks"]
