"""Shared fixtures: one simulator process per session, reset before every test that uses it."""

import os
import shutil

import pytest
from django.test import override_settings

from portal.csp import content_security_policy
from tests.simulator_process import SimulatorProcess

pytest_plugins = ["tests.fixtures_portal"]

# CI sets PORTAL_TESTS_STRICT=1: a test that would skip for want of chromium or PostgreSQL
# fails instead, so that CI never counts a skip as a pass.
STRICT = os.environ.get("PORTAL_TESTS_STRICT") == "1"


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if STRICT:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory):
    process = SimulatorProcess(tmp_path_factory.mktemp("simulator")).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def account_key(simulator_process) -> str:
    return simulator_process.create_account("sandbox")


@pytest.fixture(scope="session", autouse=True)
def _point_client_at_simulator(simulator_process, account_key):
    overrides = override_settings(
        SPACEINVOICES_API_URL=simulator_process.url,
        SPACEINVOICES_EMBED_URL=simulator_process.embed_url,
        SPACEINVOICES_API_KEY=account_key,
        CONTENT_SECURITY_POLICY=content_security_policy(
            embed_url=simulator_process.embed_url, logo_url=""
        ),
    )
    overrides.enable()
    yield
    overrides.disable()


@pytest.fixture
def simulator(simulator_process):
    """The simulator with fresh state (accounts kept), no faults and no latency."""
    simulator_process.reset()
    return simulator_process


@pytest.fixture
def postgres_required(settings):
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL=postgres://…",
    )


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "needs Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _clean_reused_database(request):
    """Under `make mutate` the test database is kept between runs (--reuse-db), and a
    mutant's run may be killed before a transactional test flushed: start empty. Other
    runs never ask for the database here."""
    if not os.environ.get("PORTAL_TEST_DB"):
        return
    from django.core.management import call_command

    request.getfixturevalue("django_db_setup")
    django_db_blocker = request.getfixturevalue("django_db_blocker")

    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
