"""Shared fixtures: one simulator process per session, reset before every test that uses it."""

import json
import logging
import os
import shutil
from pathlib import Path

import pytest
from django.test import override_settings

from portal.csp import content_security_policy
from tests.log_secrets import CapturingHandler, console_handler, live_secrets_in, process_outputs
from tests.mutation_scope import (
    FULL_DURATIONS,
    killer_record,
    likeliest_first,
    listed_equivalent,
    mutant_under_test,
    stats_session,
    test_kept,
)
from tests.mutation_slots import Slot, slot_configured, slot_take
from tests.simulator_process import SimulatorProcess
from tests.staff_sign_in import StaffClient

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


def postgres_dsn() -> str:
    """The test database's connection string, for a connection of a test's own (another
    process's view of what Django's connection has committed)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in {"host", "port", "user", "password", "dbname"}}
    )


@pytest.fixture(scope="session")
def mutation_slot() -> Slot | None:
    """Under `make mutate`, this session's simulator and database (see tests.mutation_slots)."""
    if not slot_configured():
        yield None
        return
    slot, lock = slot_take()
    yield slot
    lock.close()


@pytest.fixture(scope="session")
def simulator_process(tmp_path_factory, mutation_slot):
    if mutation_slot:
        yield SimulatorProcess.attached(url=mutation_slot.url, db=mutation_slot.simulator_db)
        return
    process = SimulatorProcess(tmp_path_factory.mktemp("simulator")).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def account_key(simulator_process, mutation_slot) -> str:
    if mutation_slot:
        return mutation_slot.account_key
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


@pytest.fixture
def client():
    """pytest-django's client, signing staff in with their second factor (see
    tests.staff_sign_in); a plain ``django.test.Client`` shows what happens without."""
    return StaffClient()


@pytest.fixture(autouse=True)
def _no_language_left_over():
    """A request activates its language in the thread and Django leaves it there; the next
    test's command or email in the same thread would speak it. Each test starts neutral."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(mutation_slot):
    """Under `make mutate`, each slot keeps its own SQLite file between sessions."""
    if mutation_slot:
        from django.conf import settings

        settings.DATABASES["default"]["TEST"]["NAME"] = mutation_slot.database


@pytest.fixture(scope="session", autouse=True)
def _clean_reused_database(request, mutation_slot):
    """Under `make mutate` a slot's database is kept between sessions (--reuse-db), and a
    session killed by a timeout may leave a transactional test's rows behind: the next
    session on that slot finds the marker and starts empty. Other runs never ask for the
    database here."""
    if not mutation_slot:
        yield
        return
    marker = Path(mutation_slot.database + ".in-use")
    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        if marker.exists():
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
        from tests.fixtures_portal import staff_groups_ensure

        # The previous session's transactional tests flushed the groups the migration made.
        staff_groups_ensure()
    marker.touch()
    yield
    marker.unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items):
    """Under `make mutate`, run only the tests of the mutated layer, quickest first
    (tests.mutation_scope)."""
    mutant = mutant_under_test()
    if not mutant:
        return
    if listed_equivalent(mutant):
        config.hook.pytest_deselected(items=list(items))
        items[:] = []  # "no tests": the score leaves it out, as listed
        return
    kept = [item for item in items if test_kept(mutant=mutant, nodeid=item.nodeid)]
    dropped = [item for item in items if not test_kept(mutant=mutant, nodeid=item.nodeid)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = likeliest_first(kept, mutant=mutant)


_full_durations: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Under `make mutate`: time each test with its fixtures in mutmut's stats run, and
    remember which test killed each mutant (tests.mutation_scope orders by both)."""
    if stats_session():
        _full_durations[report.nodeid] = _full_durations.get(report.nodeid, 0) + report.duration
    elif report.failed and (mutant := mutant_under_test()):
        killer_record(mutant=mutant, nodeid=report.nodeid)


def pytest_sessionfinish(session):
    if stats_session() and _full_durations:
        FULL_DURATIONS.write_text(json.dumps(_full_durations))


@pytest.fixture(scope="session")
def _log_capture():
    handler = CapturingHandler(console_handler())
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture(autouse=True)
def _no_secret_in_logs(_log_capture):
    """Fails the test whose log lines, or whose started processes' output, hold a live
    secret (tests.log_secrets), whatever the handler that would have written them."""
    _log_capture.lines.clear()
    process_outputs.clear()
    yield
    found = {
        kind for text in [*_log_capture.lines, *process_outputs] for kind in live_secrets_in(text)
    }
    if found:
        pytest.fail(f"a log line or process output holds {', '.join(sorted(found))}")
