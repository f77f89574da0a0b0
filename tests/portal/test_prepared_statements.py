"""On PostgreSQL, the statements run on every request are prepared once per connection."""

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.compiled_select import CompiledSelect
from tenants.models import User
from tests.conftest import require

pytestmark = pytest.mark.django_db

BY_EMAIL = CompiledSelect([(User, "u")], "{u.email} = %s")


def prepared_runs() -> dict[str, int]:
    """The connection's prepared statements, each with how often it ran (plans used)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@pytest.fixture
def ana():
    return User.objects.create_user(email="ana@acme.example", password="pw-ana-12345")


def test_a_lookup_is_prepared_once_then_run_with_new_parameters(ana):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")

    def by_email() -> dict[str, int]:
        return {s: n for s, n in prepared_runs().items() if 'WHERE "u"."email"' in s}

    before = sum(by_email().values())  # the connection outlives a test: earlier ones count
    for _ in range(3):
        assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk
    assert BY_EMAIL.get(["nobody@acme.example"]) is None
    [(statement, runs)] = by_email().items()
    assert runs - before == 4 and "$1" in statement  # one statement, bound anew each time


def test_the_query_log_still_shows_the_statement_with_its_parameters(ana):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        BY_EMAIL.get(["ana@acme.example"])
    [logged] = [q["sql"] for q in queries]
    assert "'ana@acme.example'" in logged and "SELECT" in logged


def test_a_failing_prepared_statement_raises_djangos_error_and_the_connection_goes_on(ana):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    by_id = CompiledSelect([(User, "u")], "{u.id} = %s")
    with pytest.raises(DataError), transaction.atomic():  # a savepoint, as anywhere in Django
        by_id.get(["not a number"])
    assert by_id.get([ana.pk]).email == "ana@acme.example"


def test_switched_off_nothing_is_prepared(ana, settings):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    settings.PORTAL_PREPARED_STATEMENTS = False
    before = prepared_runs()  # the connection outlives a test: earlier ones may have some
    assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk
    assert prepared_runs() == before


def test_with_a_new_connection_per_request_nothing_is_prepared(ana, monkeypatch):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    # Preparing costs a round trip that only later runs on the same connection repay.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    before = prepared_runs()
    assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk
    assert prepared_runs() == before


def test_the_connection_keeps_no_count_of_its_other_statements(ana):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    BY_EMAIL.get(["ana@acme.example"])
    # Django's setting (prepare nothing) is back: psycopg neither prepares other statements
    # nor keeps their text (a password hash, say) to count them.
    assert connection.connection.prepare_threshold is None
    User.objects.filter(pk=ana.pk).update(password="!")
    assert BY_EMAIL.get(["ana@acme.example"]).password == "!"


@pytest.mark.django_db(transaction=True)  # autocommit, as a server runs
def test_a_column_whose_type_changed_under_a_prepared_statement_is_read_unprepared(ana):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk  # prepared
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        # As a deploy's migration might, while this connection lives on: PostgreSQL will
        # not re-plan a prepared statement whose result changed type.
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN language TYPE varchar(9)")
    try:
        for _ in range(2):
            assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN language TYPE varchar(8)")


@pytest.mark.django_db(transaction=True)  # outside a transaction, as a server runs
def test_a_name_another_client_prepared_on_a_shared_session_is_read_unprepared(ana):
    """Behind a transaction-mode pooler that does not carry prepared statements, a server
    session may already hold a statement of the name psycopg picks next (every process
    numbers its own from ``_pg3_0``)."""
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")
    connection.ensure_connection()
    try:
        for n in range(64):  # a name already taken just fails: left as it is
            connection.connection.pgconn.exec_(f"PREPARE _pg3_{n} AS SELECT {n}".encode())
        for _ in range(2):
            assert BY_EMAIL.get(["ana@acme.example"]).pk == ana.pk
        assert User.objects.get(email="ana@acme.example").pk == ana.pk  # the connection goes on
    finally:
        connection.close()  # its statements and its unprepared mark go with it
