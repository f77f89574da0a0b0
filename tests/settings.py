"""Settings for the test suite: the real settings module, fed a test environment (never .env)."""

import os
import tempfile

from cryptography.fernet import Fernet

os.environ["PORTAL_READ_ENV_FILE"] = "0"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
# Replaced by the simulator fixture with a real account key of the simulator's.
os.environ.setdefault("SPACEINVOICES_API_KEY", "sk_sandbox_placeholder")
os.environ.setdefault("SPACEINVOICES_API_URL", "http://127.0.0.1:9")
os.environ.setdefault("PORTAL_HTTPS", "0")  # the test client speaks plain HTTP
os.environ.setdefault("PORTAL_BASE_URL", "http://portal.test")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")  # replaced by locmem below

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
# No collectstatic in tests: plain storage instead of the hashed manifest, and an empty
# STATIC_ROOT so that whitenoise has a directory to look at.
STATIC_ROOT = tempfile.mkdtemp(prefix="portal-static-")
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SPACEINVOICES_MAX_RETRIES = 2
SPACEINVOICES_RETRY_BACKOFF = 0.01  # retries are counted, not waited for
SPACEINVOICES_RATE_LIMIT = 1_000_000  # tests of the budget set their own
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not memory: the suite then runs on SQLite as `make run` does (WAL, busy
    # timeout, IMMEDIATE transactions), concurrent threads included.
    # PORTAL_TEST_DB names a file kept between runs (with pytest's --reuse-db: make mutate).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("PORTAL_TEST_DB")
        or os.path.join(tempfile.mkdtemp(prefix="portal-db-"), "test.sqlite3")
    }
