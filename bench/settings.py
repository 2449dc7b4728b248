"""Settings for `make loadtest`: the test settings (locmem email, no collected static files) made
production-like where it matters for load: a Redis cache shared by the web workers, as production
requires, and the second factor required of supervisors and admins. ``bench.loadtest`` points
every process it starts at the large bench seed (``bench.seed.LARGE``), never the tests'
database; Redis is DB 12 unless ``REDIS_URL`` says otherwise."""

import os

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")

from config.settings.test import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,  # noqa: F405
    }
}
DYAD_REQUIRE_MFA = True
CELERY_TASK_IGNORE_RESULT = True
