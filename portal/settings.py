"""Settings, read once from the environment (django-environ); fail fast when DEBUG is off."""

import re
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from portal.csp import content_security_policy
from spaceinvoices.contract import ROLES

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# manage.py and wsgi.py ask for the .env file; the test suite never does.
if env.bool("PORTAL_READ_ENV_FILE", default=False) and (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)


def _required(name: str, *, debug_default: str) -> str:
    """A variable production cannot run without; DEBUG runs may fall back to a dev value."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return debug_default
    # Name the variable, never a value.
    raise ImproperlyConfigured(f"Set the {name} environment variable (DEBUG is off).")


SECRET_KEY = _required("SECRET_KEY", debug_default=secrets.token_urlsafe(50))
ALLOWED_HOSTS = [
    h.strip()
    for h in _required("ALLOWED_HOSTS", debug_default="localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]


def _fernet_keys(raw: str) -> list[str]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "Set the FIELD_ENCRYPTION_KEYS environment variable (one or more Fernet keys, "
            "comma-separated; `make run` writes one to .env). It is needed with DEBUG on too."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS entry {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)."
            ) from None
    return keys


# Dedicated encryption keys for stored secrets: the first encrypts, all decrypt.
# Never derived from SECRET_KEY, so rotating one never touches the other. Required with
# DEBUG on as well: a key made up for one process would leave what it stores (a rotated
# entity key, say) unreadable to every other process, and to itself once restarted.
FIELD_ENCRYPTION_KEYS = _fernet_keys(env.str("FIELD_ENCRYPTION_KEYS", default=""))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "portal",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tenants",
    "embedding",
    "activity",
    "jobs",
]

MIDDLEWARE = [
    # Outermost: one log line per request, with its own request id and duration.
    "portal.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, on pages (not on redirects, which render nothing).
    "portal.csp.PageCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the language cookie, then Accept-Language, then LANGUAGE_CODE; a signed-in
    # user's saved choice overrides them (portal.language, once the user is known).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A 400 (the branded page, in the visitor's language) before any view reads the query.
    "portal.nul_bytes.NulBytesRefusedMiddleware",
    # A launch reads its user and their membership of the customer in one query.
    "embedding.launch_user.LaunchUserMiddleware",
    "portal.language.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff reach /admin/ only with a second factor (when PORTAL_STAFF_2FA_REQUIRED).
    "portal.second_factor.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime of a signed-in session.
    "portal.session_limits.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Where the admin keeps an uploaded CSV between its preview and its import (a directory
# every web process shares; files older than a day are removed on the next upload).
PORTAL_IMPORT_DIR = env.path("PORTAL_IMPORT_DIR", default=BASE_DIR / "var" / "imports")

# Staff sign in to /admin/ with a password and a TOTP code (or a recovery code). On by
# default whenever DEBUG is off; `make run` (DEBUG on) asks for it only if this says so.
PORTAL_STAFF_2FA_REQUIRED = env.bool("PORTAL_STAFF_2FA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str(
    "PORTAL_BRAND_NAME", default="Partner Portal"
)  # names the authenticator entry

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend's rules, with the signed-in user read by a query compiled once.
    "tenants.authentication.UserBackend",
    # Only for sessions signed in before UserBackend existed (the session names the backend
    # that signed it in); UserBackend ends every failed sign-in before this one is asked.
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.branding.brand",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'portal.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite as a serious default for local runs: readers never wait for the writer (WAL),
    # a writer waits its turn instead of failing (busy timeout), and every transaction
    # takes the write lock when it begins (IMMEDIATE), so two cannot deadlock upgrading.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database host that accepts the connection and never answers (a dropped route, a
    # stuck pooler) would hold the request's thread for libpq's default of over two
    # minutes; the page saying so comes after these seconds instead.
    # An open connection whose packets go unanswered (a dropped route) is given up after
    # DATABASE_NETWORK_TIMEOUT seconds, not the kernel's quarter of an hour: sent data left
    # unacknowledged (TCP_USER_TIMEOUT), an idle one by keepalives. A proxy or pooler that
    # keeps the connection alive but passes nothing on is bounded by its own timeouts.
    network_timeout = env.int("DATABASE_NETWORK_TIMEOUT", default=15)
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        "tcp_user_timeout": network_timeout * 1000,
        "keepalives": 1,
        "keepalives_idle": network_timeout,
        "keepalives_interval": max(1, network_timeout // 3),
        "keepalives_count": 3,
        **DATABASES["default"].get("OPTIONS", {}),
    }
# Persistent connections: opening one costs more than a whole launch's queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: the statements run on every request (session, user and membership; the
# launch's audit outcome) are prepared once per connection instead of planned each time.
# Off behind PgBouncer in transaction mode unless it is 1.21 or later with
# max_prepared_statements above 0: a pooler that cannot carry them may run another client's
# statement of the same name.
PORTAL_PREPARED_STATEMENTS = env.bool("PORTAL_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "portal.cache.RedisCache"  # its clients kept, not rebuilt

AUTH_USER_MODEL = "tenants.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages the portal ships (locale/<code>/LC_MESSAGES/django.po, compiled beside it),
# each in its own name for the switcher. A partner offers some or all of them.
SHIPPED_LANGUAGES = {
    "en": "English",
    "sl": "Slovenščina",
    "de": "Deutsch",
    "hr": "Hrvatski",
    "it": "Italiano",
}
_offered = env.list("PORTAL_LANGUAGES", default=list(SHIPPED_LANGUAGES))
_unknown = [code for code in _offered if code not in SHIPPED_LANGUAGES]
if _unknown or not _offered:
    raise ImproperlyConfigured(
        f"PORTAL_LANGUAGES takes codes among {', '.join(SHIPPED_LANGUAGES)} "
        f"(unknown: {', '.join(_unknown) or 'none given'})."
    )
LANGUAGES = [(code, SHIPPED_LANGUAGES[code]) for code in _offered]
# Who states no preference (no saved choice, no browser language we offer) sees this one.
LANGUAGE_CODE = env.str("PORTAL_DEFAULT_LANGUAGE", default=_offered[0])
if LANGUAGE_CODE not in _offered:
    raise ImproperlyConfigured("PORTAL_DEFAULT_LANGUAGE must be one of PORTAL_LANGUAGES.")
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates and times on pages and in emails are shown in this zone (stored in UTC).
TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT_OVERRIDE", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed files with hashed names, served by whitenoise (run collectstatic first).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Without DEBUG a real mail server is required: the console backend would print every
# welcome and reset link, tokens included, into the server's log.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default=_required("EMAIL_URL", debug_default="consolemail://")
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# Where the portal is reached, for links in emails (no request is at hand there).
# Never taken from a request's Host header, which a client chooses.
# In development the portal is `make run`'s server, on PORTAL_PORT: commands run beside it
# (webhook registration, links in emails) must name the same address.
PORTAL_BASE_URL = _required(
    "PORTAL_BASE_URL", debug_default=f"http://127.0.0.1:{env.str('PORTAL_PORT', default='8000')}"
).rstrip("/")
if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", PORTAL_BASE_URL):
    raise ImproperlyConfigured("PORTAL_BASE_URL must look like https://portal.example.com.")

# Client IP: REMOTE_ADDR, or, behind N trusted proxies, the address the outermost trusted
# proxy saw (X-Forwarded-For read from the right). The audit and the lockout rely on it.
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)

# Login lockout: the pair (account, client IP), so that one attacker can neither lock a
# customer out everywhere nor lock out everyone behind a shared proxy.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # Django's login form names the email field so
AXES_USERNAME_CALLABLE = "portal.lockout.lockout_username"
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# A locked-out person who keeps trying must not push the end further away; the lockout page
# says when it ends, and a password reset ends it at once (portal.password_reset).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "portal.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip"
AXES_VERBOSE = False

# HTTPS: on by default in production (DEBUG off); behind a TLS-terminating proxy, trust
# its X-Forwarded-Proto only when PORTAL_TRUSTED_PROXY_COUNT says there is one.
PORTAL_HTTPS = env.bool("PORTAL_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PORTAL_HTTPS)
SESSION_COOKIE_SECURE = PORTAL_HTTPS
CSRF_COOKIE_SECURE = PORTAL_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PORTAL_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PORTAL_TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The portal's own store: Django's database sessions, each row with its user's id, so that a
# launch reads the session, the user and the membership in one round trip (tenants.sessions).
# Django's own engines work too (sessions then sign in again once; the launch reads the user
# and membership in one round trip after the session's).
SESSION_ENGINE = env.str("SESSION_ENGINE", default="tenants.sessions")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"

# Space Invoices
SPACEINVOICES_API_URL = env.str("SPACEINVOICES_API_URL", default="https://eu.spaceinvoices.com")
SPACEINVOICES_EMBED_URL = env.str(
    "SPACEINVOICES_EMBED_URL", default="https://app.spaceinvoices.com/embed"
)
SPACEINVOICES_API_KEY = _required("SPACEINVOICES_API_KEY", debug_default="")
SPACEINVOICES_TIMEOUT = env.float("SPACEINVOICES_TIMEOUT", default=10.0)
SPACEINVOICES_CONNECT_TIMEOUT = env.float("SPACEINVOICES_CONNECT_TIMEOUT", default=3.05)
SPACEINVOICES_MAX_RETRIES = env.int("SPACEINVOICES_MAX_RETRIES", default=2)
# Seconds of the first retry's backoff (doubling, with jitter); Retry-After wins when sent.
SPACEINVOICES_RETRY_BACKOFF = env.float("SPACEINVOICES_RETRY_BACKOFF", default=0.2)
SPACEINVOICES_LAUNCH_TTL = env.int("SPACEINVOICES_LAUNCH_TTL", default=120)
# Space Invoices' rate limit, requests a minute for everything the portal sends (0: the
# documented default for the account key, 600 live and 60 sandbox); bulk work (the queue's
# jobs) uses at most this share of it, so launches never wait behind it. Counted in the
# cache: shared by every process only with Redis (CACHE_URL).
SPACEINVOICES_RATE_LIMIT = env.int("SPACEINVOICES_RATE_LIMIT", default=0)
SPACEINVOICES_BULK_SHARE = env.float("SPACEINVOICES_BULK_SHARE", default=0.5)
# The limit's period, seconds: a minute upstream (tests compress it, with the simulator's).
SPACEINVOICES_RATE_PERIOD = env.float("SPACEINVOICES_RATE_PERIOD", default=60.0)
if SPACEINVOICES_RATE_LIMIT and SPACEINVOICES_RATE_LIMIT < 14:
    raise ImproperlyConfigured("SPACEINVOICES_RATE_LIMIT must be 0 (default) or at least 14.")
if SPACEINVOICES_RATE_PERIOD <= 0:
    raise ImproperlyConfigured("SPACEINVOICES_RATE_PERIOD must be a positive number of seconds.")
if not 0 < SPACEINVOICES_BULK_SHARE < 1:
    raise ImproperlyConfigured("SPACEINVOICES_BULK_SHARE must be between 0 and 1.")
# One run at a time per customer: how long a run waits for another to finish, and (SQLite
# only) how long a killed run's lease blocks the next.
PORTAL_LOCK_WAIT = env.float("PORTAL_LOCK_WAIT", default=30.0)
PORTAL_LOCK_LEASE_SECONDS = env.int("PORTAL_LOCK_LEASE_SECONDS", default=300)
if not 60 <= SPACEINVOICES_LAUNCH_TTL <= 3600:
    raise ImproperlyConfigured("SPACEINVOICES_LAUNCH_TTL must be 60 to 3600 seconds.")

# Open invoicing
# Key-mode launches grant full access to the entity: only members at or above this role.
PORTAL_KEY_MODE_MIN_ROLE = env.str("PORTAL_KEY_MODE_MIN_ROLE", default="editor")
if PORTAL_KEY_MODE_MIN_ROLE not in ROLES:
    raise ImproperlyConfigured(f"PORTAL_KEY_MODE_MIN_ROLE must be one of {', '.join(ROLES)}.")
# Anti-automation, each "COUNT/PERIOD" (PERIOD one of s, m, h), counted in the cache (so
# shared by every process only with Redis: see CACHE_URL). Launch attempts per user, members'
# or not; password-reset emails per address and per client IP; colleagues a customer admin
# adds (each one a new portal user, an email and a Space Invoices user).
PORTAL_LAUNCH_RATE = env.str("PORTAL_LAUNCH_RATE", default="10/m")
PORTAL_PASSWORD_RESET_RATE = env.str("PORTAL_PASSWORD_RESET_RATE", default="3/h")
PORTAL_PASSWORD_RESET_IP_RATE = env.str("PORTAL_PASSWORD_RESET_IP_RATE", default="20/h")
PORTAL_TEAM_ADD_RATE = env.str("PORTAL_TEAM_ADD_RATE", default="20/h")
for _name in ("PORTAL_LAUNCH_RATE", "PORTAL_PASSWORD_RESET_RATE", "PORTAL_PASSWORD_RESET_IP_RATE",
              "PORTAL_TEAM_ADD_RATE"):  # fmt: skip
    if not re.fullmatch(r"[1-9]\d*/[smh]", vars()[_name]):
        raise ImproperlyConfigured(f"{_name} must look like 10/m.")

# Sessions end after this long without a request, and this long after sign-in whatever
# happens; staff (who reach the admin) get shorter ones.
PORTAL_SESSION_IDLE_MINUTES = env.int("PORTAL_SESSION_IDLE_MINUTES", default=30)
PORTAL_SESSION_MAX_HOURS = env.int("PORTAL_SESSION_MAX_HOURS", default=12)
PORTAL_STAFF_SESSION_IDLE_MINUTES = env.int("PORTAL_STAFF_SESSION_IDLE_MINUTES", default=15)
PORTAL_STAFF_SESSION_MAX_HOURS = env.int("PORTAL_STAFF_SESSION_MAX_HOURS", default=8)
SESSION_COOKIE_AGE = max(PORTAL_SESSION_MAX_HOURS, PORTAL_STAFF_SESSION_MAX_HOURS) * 3600

# Development only: the password of the demo logins `seed_demo` creates.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

# White-label
PORTAL_BRAND_NAME = env.str("PORTAL_BRAND_NAME", default="Partner Portal")
PORTAL_BRAND_LOGO_URL = env.str("PORTAL_BRAND_LOGO_URL", default="")
PORTAL_BRAND_COLOR = env.str("PORTAL_BRAND_COLOR", default="#1f5fbf")
if not re.fullmatch(r"#[0-9a-fA-F]{6}", PORTAL_BRAND_COLOR):
    # It lands in a stylesheet: only a plain hex colour may.
    raise ImproperlyConfigured("PORTAL_BRAND_COLOR must be a hex colour like #1f5fbf.")
PORTAL_SUPPORT_EMAIL = env.str("PORTAL_SUPPORT_EMAIL", default="support@example.com")

CONTENT_SECURITY_POLICY = content_security_policy(
    embed_url=SPACEINVOICES_EMBED_URL, logo_url=PORTAL_BRAND_LOGO_URL
)

# Background work (Celery). With a broker (Redis in production) tasks run on workers; with
# none they run in the calling process, so `make run` needs nothing more (the request then
# waits for the work, as it did before there was a queue).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # No task reaches it, yet Celery makes a connection object for each one queued, and
    # kombu warned "No hostname was supplied" on make run's console for every task: an
    # in-memory broker named with a host says, truthfully, that there is none to reach.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it ends, not when it starts: one whose worker dies (SIGKILL,
# OOM, a deploy) is delivered again, and every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged task to another worker after this many seconds: longer
# than any task runs (one customer's sync, a few calls), short enough that a killed
# worker's tasks are not stuck for long.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often workers look for such tasks (kombu's default sweep is every ~100 s).
    "unacked_restore_interval": min(60, max(1, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # our LOGGING (and its redaction) stays in charge
# Launch audit rows are kept this many days (the nightly schedule deletes older ones).
PORTAL_LAUNCH_AUDIT_DAYS = env.int("PORTAL_LAUNCH_AUDIT_DAYS", default=90)
# Webhook deliveries are kept this many days in the inbox (the usage they counted stays).
PORTAL_WEBHOOK_INBOX_DAYS = env.int("PORTAL_WEBHOOK_INBOX_DAYS", default=90)
# The largest webhook body accepted, in bytes (an invoice with many items is a few KB).
PORTAL_WEBHOOK_MAX_BODY = env.int("PORTAL_WEBHOOK_MAX_BODY", default=256 * 1024)
# The schedules celery beat runs (UTC). Each task only enqueues per-customer work.
CELERY_BEAT_SCHEDULE = {
    "nightly-member-sync": {
        "task": "jobs.tasks.members_sync_all",
        "schedule": crontab(hour=2, minute=0),
    },
    "retry-unconfirmed-team-changes": {
        "task": "jobs.tasks.members_retry_unapplied",
        "schedule": crontab(minute="*/10"),
    },
    "retry-failed-provisioning": {
        "task": "jobs.tasks.provisioning_retry_failed",
        "schedule": crontab(minute=15),  # hourly
    },
    "retry-failed-details": {
        "task": "jobs.tasks.details_retry_failed",
        "schedule": crontab(minute=45),  # hourly
    },
    "launch-audit-retention": {
        "task": "jobs.tasks.launch_events_prune",
        "schedule": crontab(hour=3, minute=30),
    },
    "expired-sessions": {
        "task": "jobs.tasks.sessions_expired_prune",
        "schedule": crontab(hour=3, minute=45),
    },
    "resume-stalled-job-items": {
        "task": "jobs.tasks.jobs_resume",
        "schedule": crontab(minute="*/10"),
    },
    "nightly-drift-report": {
        "task": "jobs.tasks.drift_report_all",
        "schedule": crontab(hour=4, minute=0),
    },
    "resume-stranded-webhook-deliveries": {
        "task": "activity.tasks.deliveries_resume",
        "schedule": crontab(minute="*/5"),
    },
    "webhook-inbox-retention": {
        "task": "activity.tasks.deliveries_prune_old",
        "schedule": crontab(hour=3, minute=45),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "portal.redaction.RedactingFilter"},
        "refusal_without_traceback": {"()": "portal.request_log.RefusalWithoutTraceback"},
    },
    "formatters": {
        "plain": {
            "()": "portal.request_log.FieldsFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's default config gives these loggers handlers of their own, without our
        # redaction: "django" prints to the console under DEBUG (a CSRF refusal names the
        # path, a reset link's token included) and "django.server" prints runserver's
        # request lines. Configured here, they lose those handlers and reach the root's
        # redacting one. Our request lines replace runserver's for every answered request.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
        "django.request": {"filters": ["refusal_without_traceback"]},
    },
}
