"""`make run`: a developer's or newcomer's machine. Debug on, mail printed to the console."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "dyad-local-development-only-not-secret")

from .base import *  # noqa: F403

# Loopback always; more (say the machine's LAN address with HOST=0.0.0.0) from ALLOWED_HOSTS.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *env.list("ALLOWED_HOSTS", default=[])]  # noqa: F405
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F405
    EMAIL_BACKEND = "config.console_email.EmailBackend"  # readable in the terminal
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# The SQLite file and the filesystem broker's folders live under var/ (ignored by git).
for folder in (VAR_DIR, CELERY_QUEUE_DIR / "queue", CELERY_QUEUE_DIR / "control"):  # noqa: F405
    folder.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
