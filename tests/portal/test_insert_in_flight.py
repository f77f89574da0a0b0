"""An INSERT sent now and answered later: committed while the caller waits, errors as Django's."""

import signal
import time

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.insert_in_flight import InsertInFlight
from tests.conftest import postgres_dsn, require

pytestmark = pytest.mark.django_db

INSERT = "INSERT INTO auth_group (name) VALUES (%s) RETURNING id"


def test_the_new_rows_id_comes_back_and_every_value_is_one_parameter():
    name = 'it\'s "quoted"; DROP TABLE auth_group; --'
    before = Group.objects.count()  # the staff groups a migration made
    row_id = InsertInFlight(INSERT, [name]).row_id()
    assert Group.objects.get(pk=row_id).name == name
    assert Group.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)  # in autocommit: on PostgreSQL, sent ahead
def test_the_statement_is_logged_and_passes_the_execute_wrappers():
    seen = []

    def observe(execute, sql, params, many, context):
        seen.append((sql, list(params)))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(observe):
        InsertInFlight(INSERT, ["logged"]).row_id()
    assert seen == [(INSERT, ["logged"])]
    [logged] = [q["sql"] for q in queries]
    assert logged.startswith("INSERT INTO auth_group") and "'logged'" in logged


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_it_is_sent_at_once_and_answered_when_asked():
    require(
        connection.vendor == "postgresql", "sending ahead is PostgreSQL's (SQLite runs it at once)"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
        # Run at once instead of sent, the INSERT would wait here for the lock below and
        # fail after this, rather than hang the test.
        cursor.execute("SET lock_timeout = '10s'")
    try:
        with psycopg.connect(postgres_dsn()) as other:
            other.execute("LOCK TABLE auth_group IN EXCLUSIVE MODE")  # held until commit
            in_flight = InsertInFlight(INSERT, ["ahead"])
            # Back here while PostgreSQL holds the INSERT, waiting for the lock.
            waiting, deadline = None, time.monotonic() + 10
            while waiting != ("Lock",) and time.monotonic() < deadline:
                waiting = other.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
                ).fetchone()
            assert waiting == ("Lock",)
            other.commit()
        row_id = in_flight.row_id()  # committed once the lock was free
        with psycopg.connect(postgres_dsn(), autocommit=True) as another:
            seen = another.execute("SELECT name FROM auth_group WHERE id = %s", [row_id])
            assert seen.fetchone() == ("ahead",)
        # The connection is free for the next query.
        assert Group.objects.get(pk=row_id).name == "ahead"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)
def test_a_failed_insert_raises_djangos_error_and_leaves_the_connection_usable():
    Group.objects.create(name="taken")
    with pytest.raises(IntegrityError):  # at once on SQLite, with the answer on PostgreSQL
        InsertInFlight(INSERT, ["taken"]).row_id()
    assert Group.objects.filter(name="taken").count() == 1


@pytest.mark.django_db(transaction=True)
def test_cut_off_while_waiting_the_connection_goes_rather_than_keep_an_unread_answer():
    require(connection.vendor == "postgresql", "only a statement sent ahead can be cut off")
    slow = (
        "WITH nap AS (SELECT pg_sleep(0.5)) "
        "INSERT INTO auth_group (name) SELECT %s FROM nap RETURNING id"
    )

    def cut_off(signum, frame):
        raise TimeoutError("cut off")

    previous = signal.signal(signal.SIGALRM, cut_off)
    try:
        in_flight = InsertInFlight(slow, ["slow"])
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(TimeoutError):
            in_flight.row_id()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert connection.connection is None
    # The next query connects anew and finds none of the old answer.
    assert list(Group.objects.filter(name="other").values_list("id", flat=True)) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_statement", [False, True])
def test_inside_a_transaction_it_belongs_to_the_transaction(first_statement):
    """Before a transaction's first statement psycopg has not begun it yet: the INSERT then
    runs at once, through Django's cursor, so that it is not committed on its own."""
    before = Group.objects.count()
    with transaction.atomic():
        if not first_statement:
            Group.objects.create(name="before")
        row_id = InsertInFlight(INSERT, ["inside"]).row_id()
        assert Group.objects.filter(pk=row_id).exists()
        transaction.set_rollback(True)
    assert Group.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_before_the_answer_raises_djangos_error_and_is_replaced():
    require(connection.vendor == "postgresql", "only a statement sent ahead can lose its answer")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with psycopg.connect(postgres_dsn()) as other:
        other.execute("LOCK TABLE auth_group IN EXCLUSIVE MODE")  # the INSERT waits on it
        in_flight = InsertInFlight(INSERT, ["lost"])
        other.execute("SELECT pg_terminate_backend(%s)", [pid])  # as a restart would
        other.commit()
    with pytest.raises(OperationalError):
        in_flight.row_id()
    assert connection.connection is None
    assert not Group.objects.filter(name="lost").exists()  # a new connection, and no row


@pytest.mark.django_db(transaction=True)
def test_another_statement_meanwhile_reads_the_answer_first_and_row_id_still_tells():
    """A cache in the database, say, queries the connection while the INSERT is in flight
    (a retried upstream call takes a unit of the rate limit there)."""
    require(connection.vendor == "postgresql", "only a statement sent ahead is in flight")
    in_flight = InsertInFlight(INSERT, ["first"])
    assert Group.objects.filter(name="first").count() == 1  # ran, after the INSERT's answer
    assert Group.objects.get(pk=in_flight.row_id()).name == "first"
    duplicate = InsertInFlight(INSERT, ["first"])
    assert Group.objects.filter(name="first").count() == 1  # the INSERT's failure is not its
    with pytest.raises(IntegrityError):
        duplicate.row_id()
    assert connection.execute_wrappers == []  # nothing left behind on the connection
