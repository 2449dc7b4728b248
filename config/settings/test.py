"""`make test`: the real PostgreSQL and Redis on this machine, mail kept in memory."""

import os

os.environ.setdefault("SECRET_KEY", "dyad-tests-only-not-secret")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dyad")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")

from .base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Results let the worker integration tests wait on a task instead of sleeping.
CELERY_RESULT_BACKEND = REDIS_URL  # noqa: F405
CELERY_TASK_IGNORE_RESULT = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Static files are served from their source folders; nothing is collected for the tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
