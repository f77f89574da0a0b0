"""Fail-fast settings: with DEBUG off, a missing secret stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": "s" * 50,
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "EMAIL_URL": "smtp://mail.example.com:587",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "SPACEINVOICES_API_KEY": "sk_live_" + "1" * 32,
}


def load_settings(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in GOOD and k != "DATABASE_URL"}
    env |= {**GOOD, **overrides, "PORTAL_READ_ENV_FILE": "0"}
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings as s; print(len(s.FIELD_ENCRYPTION_KEYS))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_complete_environment_loads():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "SPACEINVOICES_API_KEY",
        "PORTAL_BASE_URL",
    ],
)
def test_missing_secret_names_the_variable(name):
    result = load_settings(**{name: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_malformed_encryption_key_names_the_variable_not_the_value():
    bad = "not-a-fernet-key-but-secret-ish"
    result = load_settings(FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{bad}")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS entry 2" in result.stderr
    assert bad not in result.stderr


def test_debug_runs_without_production_secrets():
    result = load_settings(DEBUG="1", SECRET_KEY=None, PORTAL_BASE_URL=None)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("value", [None, "", " , "])
def test_debug_runs_still_need_an_encryption_key(value):
    """A key made up per process would store secrets no other process can read."""
    result = load_settings(DEBUG="1", FIELD_ENCRYPTION_KEYS=value)
    assert result.returncode != 0
    assert "Set the FIELD_ENCRYPTION_KEYS environment variable" in result.stderr


def test_a_debug_run_without_a_base_url_names_make_runs_port():
    """Commands run beside `make run` register webhooks and write links to its server."""
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings as s; print(s.PORTAL_BASE_URL)"],
        cwd=ROOT,
        env={**os.environ, **GOOD, "DEBUG": "1", "PORTAL_PORT": "8731",
             "PORTAL_BASE_URL": "", "PORTAL_READ_ENV_FILE": "0"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8731"


@pytest.mark.parametrize("value", ["portal.example.com", "https://portal.example.com?next=x"])
def test_a_base_url_that_is_not_one_stops_start_up(value):
    """Links in emails are built from it: a typo must not send people somewhere else."""
    result = load_settings(PORTAL_BASE_URL=value)
    assert result.returncode != 0 and "PORTAL_BASE_URL must look like" in result.stderr


@pytest.mark.parametrize("name", ["PORTAL_LAUNCH_RATE", "PORTAL_PASSWORD_RESET_RATE",
                                  "PORTAL_TEAM_ADD_RATE"])  # fmt: skip
def test_a_malformed_rate_names_the_variable(name):
    result = load_settings(**{name: "0/m"})
    assert result.returncode != 0 and f"{name} must look like 10/m" in result.stderr
