"""Runs the portal's management commands as real processes against the test database."""

import os
import subprocess
import sys
from urllib.parse import quote

from django.conf import settings

from tests.log_secrets import process_output_check
from tests.simulator_process import ROOT


def database_url() -> str:
    """The database the test run uses, as DATABASE_URL (PostgreSQL only)."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def portal_env(simulator, account_key: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "SPACEINVOICES_API_URL": simulator.url,
        "SPACEINVOICES_EMBED_URL": simulator.embed_url,
        "SPACEINVOICES_API_KEY": account_key,
        "PYTHONUNBUFFERED": "1",
    }


def command_start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def command_run(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    process_output_check(result.stdout + result.stderr)  # checked for secrets by the suite
    return result
