"""A launch's audit row: durable as started before the redirect goes out, finished once sent."""

import os
import re
import socket
import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import OperationalError, close_old_connections, connection
from django.test import Client
from django.urls import reverse

from embedding.models import LaunchEvent
from tenants.models import User
from tests.conftest import postgres_dsn, require
from tests.fixtures_portal import post_unsent

pytestmark = pytest.mark.django_db


def launch_url(slug: str) -> str:
    return reverse("open_invoicing", args=[slug])


@contextmanager
def audit_refusing(event: str, outcome: str):
    """The database refuses to ``event`` (INSERT or UPDATE) a launch row of ``outcome``, as
    a full disk or a revoked grant would: a trigger, dropped afterwards."""
    table = LaunchEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER audit_refused BEFORE {event} ON {table} FOR EACH ROW "
                f"WHEN (NEW.outcome = '{outcome}') EXECUTE FUNCTION audit_refused()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER audit_refused BEFORE {event} ON {table} "
                f"WHEN NEW.outcome = '{outcome}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER audit_refused ON {table}")
                cursor.execute("DROP FUNCTION audit_refused()")
            else:
                cursor.execute("DROP TRIGGER audit_refused")


def closed_as_a_server_would(response) -> None:
    """Close the response without Django's end-of-request connection clean-up (as the test
    client closes it): what the close did to the connection stays visible."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=True)  # autocommit, as a server runs
def test_the_row_is_started_before_the_redirect_goes_out_and_finished_once_it_has(
    login_as, acme, simulator
):
    response = post_unsent(login_as("bo@acme.example"), launch_url("acme"))
    assert response.status_code == 303 and "token=" in response["Location"]
    row = LaunchEvent.objects.get()
    assert (row.outcome, row.upstream_status, row.mode) == ("started", None, "user")
    assert row.customer_slug == "acme" and row.user.email == "bo@acme.example"
    assert simulator.request_ids("POST /entities/users/{id}/token") == [row.request_id]
    # A process that died now would leave it so: the attempt on record, its outcome not.
    closed_as_a_server_would(response)
    row.refresh_from_db()
    assert (row.outcome, row.upstream_status) == ("launched", 201)
    assert LaunchEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_another_connection_sees_the_started_row_before_the_redirect_is_sent(
    login_as, acme, simulator
):
    require(connection.vendor == "postgresql", "commits seen from another connection")
    response = post_unsent(login_as("bo@acme.example"), launch_url("acme"))
    assert response.status_code == 303
    with psycopg.connect(postgres_dsn(), autocommit=True) as other:
        query = f"SELECT outcome, upstream_status FROM {LaunchEvent._meta.db_table}"
        assert other.execute(query).fetchall() == [("started", None)]
        closed_as_a_server_would(response)
        assert other.execute(query).fetchall() == [("launched", 201)]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_only_the_outcome_skips_the_log_flush_and_the_connection_keeps_its_own(
    login_as, acme, simulator
):
    require(connection.vendor == "postgresql", "PostgreSQL's synchronous_commit")
    table = LaunchEvent._meta.db_table
    with connection.cursor() as cursor:
        # Each write of a launch row notes the setting its transaction commits with.
        cursor.execute("CREATE TABLE commit_seen (event text, setting text)")
        cursor.execute(
            "CREATE FUNCTION commit_seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO commit_seen VALUES (TG_OP, current_setting('synchronous_commit')); "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER commit_seen BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION commit_seen()"
        )
    try:
        response = post_unsent(login_as("bo@acme.example"), launch_url("acme"))
        closed_as_a_server_would(response)
        with connection.cursor() as cursor:
            cursor.execute("SELECT event, setting FROM commit_seen")
            seen = cursor.fetchall()
            cursor.execute("SHOW synchronous_commit")
            after = cursor.fetchone()[0]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER commit_seen ON {table}")
            cursor.execute("DROP FUNCTION commit_seen()")
            cursor.execute("DROP TABLE commit_seen")
    # The started row waits for the flush (durable before the redirect); its outcome not.
    assert seen == [("INSERT", "on"), ("UPDATE", "off")]
    assert after == "on"
    assert LaunchEvent.objects.get().outcome == "launched"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_outcome_is_written_by_a_statement_prepared_once(
    login_as, acme, simulator
):
    require(connection.vendor == "postgresql", "prepared statements are PostgreSQL's")

    def runs() -> list[int]:
        """How often each prepared UPDATE of launch rows ran on this connection."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE %s",
                [f"%UPDATE {connection.ops.quote_name(LaunchEvent._meta.db_table)}%"],
            )
            return [n for (n,) in cursor.fetchall()]

    client = login_as("bo@acme.example")
    before = runs() or [0]  # the connection outlives a test: earlier launches count
    for _ in range(2):
        closed_as_a_server_would(post_unsent(client, launch_url("acme")))
    assert [n - b for n, b in zip(runs(), before, strict=True)] == [2]
    assert list(LaunchEvent.objects.values_list("outcome", flat=True)) == ["launched"] * 2


@pytest.mark.django_db(transaction=True)
def test_without_its_audit_row_a_launch_is_not_redirected(acme, simulator):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(email="bo@acme.example"))
    with audit_refusing("INSERT", "started"):
        response = client.post(launch_url("acme"))
    assert response.status_code == 500 and not response.has_header("Location")
    assert "token=" not in response.content.decode()
    assert LaunchEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_outcome_that_cannot_be_written_is_logged_and_leaves_the_row_started(
    login_as, acme, simulator, caplog
):
    response = post_unsent(login_as("bo@acme.example"), launch_url("acme"))
    assert response.status_code == 303
    row = LaunchEvent.objects.get()
    with audit_refusing("UPDATE", "launched"), caplog.at_level("WARNING", "embedding"):
        closed_as_a_server_would(response)  # raises nothing: the answer has gone out
        # The connection is left usable (no failed transaction open on it).
        assert LaunchEvent.objects.get().outcome == "started"
    [logged] = [r.getMessage() for r in caplog.records if r.name == "embedding.launch_audit"]
    assert re.fullmatch(
        rf"launch {row.request_id}: audit row {row.pk} left as started "
        # The database's refusal, by its type: IntegrityError on SQLite, ProgrammingError on
        # PostgreSQL (a trigger raising an exception: SQLSTATE P0001).
        r"\((IntegrityError|ProgrammingError)\)",
        logged,
    )


@pytest.mark.parametrize(("status", "outcome"), [(401, "unavailable"), (403, "inactive")])
def test_a_member_synced_on_the_spot_and_refused_there_is_audited_with_that_answer(
    login_as, acme, make_member, simulator, status, outcome
):
    make_member(acme, "late@acme.example", "editor")  # never synced: synced at launch
    simulator.fault(path_prefix="/entities/users", method="GET", status=status, count=9)
    response = login_as("late@acme.example").post(launch_url("acme"))
    assert response.status_code == (503 if status == 401 else 403)
    assert simulator.requests_to("POST /entities/users/{id}/token") == 0  # no token asked
    row = LaunchEvent.objects.get()
    assert (row.outcome, row.upstream_status, row.mode) == (outcome, status, "user")
    assert row.request_id.startswith("portal:launch:")


@pytest.mark.django_db(transaction=True)
def test_a_refusal_whose_outcome_cannot_be_written_still_shows_its_page(
    login_as, acme, simulator, caplog
):
    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=9)
    with audit_refusing("UPDATE", "unavailable"), caplog.at_level("WARNING", "embedding"):
        response = login_as("bo@acme.example").post(launch_url("acme"))
    assert response.status_code == 503
    assert "Invoicing is unavailable right now" in response.content.decode()
    row = LaunchEvent.objects.get()
    assert row.outcome == "started"  # the attempt on record, its outcome not
    assert f"audit row {row.pk} left as started" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_started_row_that_failed_is_written_whole_with_the_refusal(acme, simulator, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(email="bo@acme.example"))
    simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=9)
    with audit_refusing("INSERT", "started"), caplog.at_level("WARNING", "embedding"):
        response = client.post(launch_url("acme"))
    rows = list(LaunchEvent.objects.values_list("outcome", "upstream_status"))
    if connection.vendor == "postgresql":  # sent ahead: its failure is known after the mint
        assert response.status_code == 503
        assert rows == [("unavailable", 503)]
        [logged] = [r.getMessage() for r in caplog.records if r.name == "embedding.launch_audit"]
        request_id = LaunchEvent.objects.get().request_id
        assert logged == (
            f"launch {request_id}: audit row not written (ProgrammingError); "
            "written whole with the refusal"
        )
    else:  # written at once: its failure stops the launch before anything is minted
        assert response.status_code == 500 and rows == []
        assert simulator.requests_to("POST /entities/users/{id}/token") == 0


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_during_the_mint_still_gets_the_outcome_written(
    login_as, acme, simulator
):
    require(connection.vendor == "postgresql", "a database restart is PostgreSQL's")
    client = login_as("bo@acme.example")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    simulator.latency(1000)
    restart = threading.Timer(0.3, _terminate, [pid])  # while Space Invoices holds the mint
    restart.start()
    try:
        response = post_unsent(client, launch_url("acme"))
    finally:
        restart.join()
        simulator.latency(0)
    assert response.status_code == 303
    closed_as_a_server_would(response)
    assert list(LaunchEvent.objects.values_list("outcome", "upstream_status")) == [
        ("launched", 201)
    ]


def _terminate(pid: int) -> None:
    with psycopg.connect(postgres_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _terminated(pid: int) -> None:
    """The backend is gone, not only told to go."""
    with psycopg.connect(postgres_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(500):
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} still there")


def launched_with_one_row(response) -> None:
    """Redirected with a token, and once the server is done, one row: launched."""
    assert response.status_code == 303 and "token=" in response["Location"]
    closed_as_a_server_would(response)
    assert list(LaunchEvent.objects.values_list("outcome", "upstream_status")) == [
        ("launched", 201)
    ]


def answer_lost_after_the_commit(broken: list):
    """An execute wrapper: the launch's first INSERT is sent, commits, and its answer never
    reaches the portal (``broken`` records that it happened)."""

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)  # sent ahead: not read yet
        if sql.startswith("INSERT") and not broken:
            _row_committed()
            _answer_lost(context)
            broken.append(True)
        return result

    return wrapper


def _row_committed() -> None:
    """A launch row is there, as another connection sees it (the INSERT has committed)."""
    with psycopg.connect(postgres_dsn(), autocommit=True) as other:
        for _ in range(500):
            if other.execute(f"SELECT 1 FROM {LaunchEvent._meta.db_table}").fetchone():
                return
            time.sleep(0.01)
    raise AssertionError("no launch row committed")


def _answer_lost(context) -> None:
    """The connection's socket is swapped for one whose peer has gone: whatever PostgreSQL
    answers next never reaches the portal (its own socket closes with the swap)."""
    ours, peer = socket.socketpair()
    os.dup2(ours.fileno(), context["connection"].connection.pgconn.socket)
    ours.close()
    peer.close()


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_just_before_the_started_row_goes_out_writes_it_on_a_new_one(
    login_as, acme, simulator
):
    """A database restart between the session read and the audit INSERT: the INSERT meets a
    dead connection, so the row is written on a new one, once, and the launch goes on."""
    require(connection.vendor == "postgresql", "a database restart is PostgreSQL's")
    client = login_as("bo@acme.example")
    lost = []

    def restart_before_the_insert(execute, sql, params, many, context):
        if sql.startswith("INSERT") and not lost:
            lost.append(context["connection"].connection.info.backend_pid)
            _terminated(lost[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(restart_before_the_insert):
        response = post_unsent(client, launch_url("acme"))
    assert lost, "the launch wrote no row through the connection"
    assert response.status_code == 303 and "token=" in response["Location"]
    assert simulator.requests_to("POST /entities/users/{id}/token") == 1
    closed_as_a_server_would(response)
    assert list(LaunchEvent.objects.values_list("outcome", "upstream_status")) == [
        ("launched", 201)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_just_before_a_key_mode_launch_reads_its_key_still_launches(
    login_as, globex, simulator
):
    """A database restart between the session read and the stored key's read: the key is
    read again on a new connection, and the attempt, counted already, gets its row."""
    require(connection.vendor == "postgresql", "a database restart is PostgreSQL's")
    from tenants.models import EntityApiKey

    client = login_as("cy@globex.example")
    keys = EntityApiKey._meta.db_table
    lost = []

    def restart_before_the_key_read(execute, sql, params, many, context):
        if keys in sql and not lost:
            lost.append(context["connection"].connection.info.backend_pid)
            _terminated(lost[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(restart_before_the_key_read):
        response = post_unsent(client, reverse("open_invoicing", args=["globex"]))
    assert lost, "the launch read no key"
    assert response.status_code == 303 and "token=" in response["Location"]
    closed_as_a_server_would(response)
    assert list(LaunchEvent.objects.values_list("outcome", "mode")) == [("launched", "api_key")]


@pytest.mark.django_db(transaction=True)
def test_a_started_row_committed_before_its_answer_was_lost_is_not_written_twice(
    login_as, acme, simulator
):
    """The INSERT ran and committed, then the connection broke before its answer was read:
    the row is found on a new connection, not written again."""
    require(connection.vendor == "postgresql", "a lost answer is PostgreSQL's")
    client = login_as("bo@acme.example")
    broken = []
    with connection.execute_wrapper(answer_lost_after_the_commit(broken)):
        response = post_unsent(client, launch_url("acme"))
    assert broken, "the launch wrote no row through the connection"
    launched_with_one_row(response)


@pytest.mark.django_db(transaction=True)
def test_a_started_row_that_commits_after_the_lost_connection_was_replaced_is_its_only_row(
    login_as, acme, simulator
):
    """The INSERT waits on a lock when the connection breaks; the row is written on a new
    connection meanwhile, and then the old INSERT, its client gone unnoticed, commits too:
    the attempt still has one row."""
    require(connection.vendor == "postgresql", "a lost answer is PostgreSQL's")
    client = login_as("bo@acme.example")
    table = LaunchEvent._meta.db_table
    locker = psycopg.connect(postgres_dsn())
    broken = []

    def insert_stuck_then_cut(execute, sql, params, many, context):
        if sql.startswith("INSERT") and not broken:
            locker.execute(f"LOCK TABLE {table} IN SHARE MODE")  # the INSERT waits for it
            result = execute(sql, params, many, context)
            _answer_lost(context)
            broken.append(True)
            threading.Timer(1.0, locker.commit).start()  # then the old INSERT commits
            return result
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(insert_stuck_then_cut):
            response = post_unsent(client, launch_url("acme"))
    finally:
        time.sleep(1.5)
        locker.close()
    assert broken, "the launch wrote no row through the connection"
    launched_with_one_row(response)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_whose_started_row_was_lost_then_found_committed_has_its_outcome_on_it(
    login_as, acme, simulator
):
    """The started row's answer is lost after its commit, and writing it again fails too
    (the database unreachable for a moment): the refusal, written whole, lands on that
    same row instead of failing on its request id."""
    require(connection.vendor == "postgresql", "a lost answer is PostgreSQL's")
    client = login_as("bo@acme.example")
    simulator.fault(path_prefix="/entities/users/", method="POST", status=403, count=1)
    broken = []
    lost = answer_lost_after_the_commit(broken)

    def answer_lost_then_unreachable(execute, sql, params, many, context):
        if "ON CONFLICT" in sql and "DO NOTHING" in sql:
            raise OperationalError("the database is unreachable")  # the new connection's try
        return lost(execute, sql, params, many, context)

    with connection.execute_wrapper(answer_lost_then_unreachable):
        response = post_unsent(client, launch_url("acme"))
    assert broken, "the launch wrote no row through the connection"
    assert response.status_code == 403  # the refusal's own page
    assert list(LaunchEvent.objects.values_list("outcome", "upstream_status")) == [
        ("inactive", 403)
    ]


@pytest.mark.django_db(transaction=True)
def test_with_the_cache_in_the_database_a_retried_mint_still_launches(
    login_as, acme, simulator, settings
):
    """The client takes a retry's unit of the rate limit from the cache, on the database
    connection that has the started row in flight."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "launch_audit_test_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    try:
        simulator.fault(path_prefix="/entities/users/", method="POST", status=503, count=1)
        response = login_as("bo@acme.example").post(launch_url("acme"))
        assert response.status_code == 303
        assert simulator.requests_to("POST /entities/users/{id}/token") == 2
        assert LaunchEvent.objects.get().outcome == "launched"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE launch_audit_test_cache")
