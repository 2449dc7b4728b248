"""Settings shared by every environment; each value that differs between machines comes from the
environment (12-factor), read with django-environ."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth.mfa's security key list says "2 days ago"
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "django_celery_beat",
    "accounts",
    "roleplay",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "accounts.middleware.StripNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roleplay.context_processors.navigation",
            ],
        },
    },
]


def database_from_env(default: str) -> dict:
    """PostgreSQL or SQLite from DATABASE_URL.

    SQLite is shared by the web server, the Celery worker and beat under `make run`, so it runs in
    WAL mode, opens write transactions eagerly (IMMEDIATE) and waits for a lock instead of failing
    with "database is locked".
    """
    db = env.db_url("DATABASE_URL", default=default)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASES = {"default": database_from_env(f"sqlite:///{VAR_DIR / 'dyad.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# --- django-allauth 65.x: email is the login, verified before first use ---
SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Dyad] "
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# Explicit so that nobody disables them by accident (allauth keeps the counters in the cache, which
# must be shared by every web process: production requires CACHE_URL). Failed sign-ins: 10 a
# minute per client address, whatever accounts they try; 5 per 5 minutes per account and device —
# see AccountAdapter.pre_authenticate for why a stranger's failures do not lock the owner's own
# browser out.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
# The client address is REMOTE_ADDR unless this many proxies of ours stand in front of Dyad; then
# it is the entry the outermost of them appended to X-Forwarded-For. Anything a client writes into
# that header itself is never believed.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DYAD_TRUSTED_PROXY_COUNT", default=0)

# --- two-factor sign-in (allauth.mfa): authenticator apps, recovery codes and security keys ---
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Dyad"
# Supervisors and programme admins (and staff) must add an authenticator app or a security key
# before anything else (accounts.middleware.RequireMFAMiddleware); everyone else may. Production
# turns it on by default.
DYAD_REQUIRE_MFA = env.bool("DYAD_REQUIRE_MFA", default=False)

# --- sessions: stored in the database, ended by a password reset (Django checks each session's
# password hash on every request) ---
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
# Programme admins and staff hold the keys to every cohort: their sessions end sooner.
DYAD_ADMIN_SESSION_AGE = env.int("DYAD_ADMIN_SESSION_AGE", default=8 * 3600)

# --- Content-Security-Policy (django-csp) and Permissions-Policy: no inline script or style
# anywhere, so an injected <script> or style="" does nothing. Pico's form icons are data: SVGs, as
# is the QR code shown when setting up an authenticator app. ---
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "base-uri": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "img-src": ["'self'", "data:"],
        # Session recordings play from Dyad's own permission-checked view, nowhere else.
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
    }
}
# Dyad uses none of these browser features (video calls happen in another tab, on their own site).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (favicon.ico), served by WhiteNoise as they are.
WHITENOISE_ROOT = BASE_DIR / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
# Session recordings: in a folder nothing serves (never under a public URL), read only by the
# view that checks permission on every request. Local disk by default; any Django storage backend by
# configuration, e.g. an S3-compatible store with django-storages (see the README).
STORAGES["recordings"] = {
    "BACKEND": env(
        "RECORDINGS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env.json(
        "RECORDINGS_STORAGE_OPTIONS",
        default={"location": str(env.path("RECORDINGS_ROOT", default=VAR_DIR / "recordings"))},
    ),
}
# An S3-compatible store instead, by naming its bucket (roleplay.s3: private objects, never
# overwritten, ranged reads). Credentials fall back to boto3's own (AWS_* variables, an instance role).
RECORDINGS_S3_BUCKET = env("RECORDINGS_S3_BUCKET", default="")
if RECORDINGS_S3_BUCKET:
    STORAGES["recordings"] = {
        "BACKEND": "roleplay.s3.RecordingsS3Storage",
        "OPTIONS": {
            "bucket_name": RECORDINGS_S3_BUCKET,
            "endpoint_url": env("RECORDINGS_S3_ENDPOINT_URL", default=None),
            "region_name": env("RECORDINGS_S3_REGION", default=None),
            "access_key": env("RECORDINGS_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("RECORDINGS_S3_SECRET_ACCESS_KEY", default=None),
            "location": env("RECORDINGS_S3_PREFIX", default=""),
            # "private" unless set empty, for a bucket whose ACLs are disabled (AWS "bucket owner
            # enforced"), which refuses any ACL header: its policy must then keep it private.
            "default_acl": env("RECORDINGS_S3_ACL", default="private") or None,
        },
    }
DYAD_RECORDING_MAX_BYTES = env.int("DYAD_RECORDING_MAX_BYTES", default=500 * 1024 * 1024)
# Uploads pass the size check first, so an over-large body is refused before it is read, and
# files over 2.5 MB go to a temporary file, never into memory (Django's own handlers after it).
FILE_UPLOAD_HANDLERS = [
    "roleplay.uploads.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Dyad <dyad@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}

# --- Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (no server) ---
REDIS_URL = env("REDIS_URL", default="")
CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A request that queues work after commit must never wait on a broker that is down: one
        # connection attempt (kombu's default keeps retrying for ~6 s per message), a short
        # connect timeout for a host that drops packets, and a bound on a Redis that accepts but
        # never answers (above kombu's 1 s BRPOP timeout, so idle workers are not disturbed).
        # Whatever is not queued is recorded in the database and sent by the sweep.
        "max_retries": 0,
        "socket_connect_timeout": env.float("BROKER_CONNECT_TIMEOUT", default=1.0),
        "socket_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=5.0),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
# After a failed publish, a process stops trying for this many seconds and leaves the work to the
# sweep, so an outage costs one short timeout per process and interval, not one per message.
BROKER_RETRY_AFTER_SECONDS = env.int("BROKER_RETRY_AFTER_SECONDS", default=30)

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)

# Seconds the term planner's solver may take per plan; the best plan found by then is used.
PLANNER_TIME_LIMIT_SECONDS = env.int("PLANNER_TIME_LIMIT_SECONDS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Open sign-up (with email verification) or admission by invitation only.
DYAD_OPEN_SIGNUP = env.bool("DYAD_OPEN_SIGNUP", default=True)
