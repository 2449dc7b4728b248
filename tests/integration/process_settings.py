"""Settings for the Dyad processes that fault tests start (Celery workers): the test settings,
except that email is written to files in DYAD_TEST_MAIL_DIR (Django's file-based backend), so the
test can read what every process sent. The locmem outbox lives in one process only."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["DYAD_TEST_MAIL_DIR"]
