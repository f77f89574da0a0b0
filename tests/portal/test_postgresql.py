"""The PostgreSQL backend's health check: a dead kept connection is replaced before a
request uses it, a live one is kept, and neither costs a query."""

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept(postgres_required):
    """A second connection to the test database, as a worker thread keeps one between
    requests (health checks on, this request's check not done yet)."""
    wrapper = connections.create_connection("default")
    wrapper.health_check_enabled = True
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_engine_is_ours(kept):
    assert type(kept).__module__ == "portal.postgresql.base"


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(kept):
    pid = _backend_pid(kept)
    kept.health_check_done = False  # a new request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the server's farewell reaches the socket
    with kept.cursor() as cursor:  # the first query of the request: no error
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_live_connection_is_kept_without_a_query(kept):
    pid = _backend_pid(kept)
    kept.health_check_done = False  # a new request
    before = kept.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # this one's own statement, not the kept one's
    activity = "SELECT state_change FROM pg_stat_activity WHERE pid = %s"
    with connection.cursor() as cursor:
        cursor.execute(activity, [pid])
        changed = cursor.fetchone()[0]
    kept.close_if_health_check_failed()
    assert kept.connection is before and kept.health_check_done
    with connection.cursor() as cursor:
        cursor.execute(activity, [pid])
        assert cursor.fetchone()[0] == changed  # the server was asked nothing


def test_a_connection_left_inside_a_transaction_is_not_reused(kept):
    kept.connection.execute("BEGIN")
    kept.health_check_done = False
    kept.close_if_health_check_failed()
    assert kept.connection is None
