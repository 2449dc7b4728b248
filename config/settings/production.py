"""Production: everything secret or machine-specific comes from the environment.

Required: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, CACHE_URL, EMAIL_URL, SITE_URL.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

# Sign-in rate limits are counted in the cache. Production runs several web processes, and a cache
# of each process's own (locmem, the default) would let every process count alone: with 4 workers
# an attacker got 4 times the tries. So the cache must be Redis, shared by all of them.
CACHES = {"default": env.cache_url("CACHE_URL")}
if "redis" not in CACHES["default"]["BACKEND"].lower():
    raise ImproperlyConfigured(
        "CACHE_URL must point to Redis (e.g. redis://redis.internal:6379/1): sign-in rate limits "
        "are counted there and must be shared by every web process."
    )
DYAD_REQUIRE_MFA = env.bool("DYAD_REQUIRE_MFA", default=True)

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
