"""An INSERT sent to PostgreSQL now and its new row's id read later, so that the database
writes and commits it while the caller waits on something else (an upstream call)."""

import functools
import select
import time
from collections.abc import Sequence

from django.db import DatabaseError, connections
from psycopg import ClientCursor, errors, pq

from portal.compiled_select import statements_together


class InsertInFlight:
    """``INSERT … RETURNING <id>`` on ``using``'s connection, sent at once; ``row_id()``
    waits for the answer (committed first, in autocommit) and returns the id.

    Meanwhile the connection stays usable: the first statement anything else runs on it (a
    cache in the database, say) reads the answer first, and ``row_id()`` then returns or
    raises what it was. Where the statement cannot be sent ahead (SQLite; or server-side
    binding, where Django's cursor prepares it) it runs at once, and ``row_id()`` returns
    what it gave.

    Why: a launch's audit row must be durable before the browser is redirected. Written
    after the mint it cost the launch a round trip and a WAL flush (1.2 ms at the median
    under the benchmark's load); sent just before the mint, PostgreSQL has flushed it
    long before Space Invoices answers."""

    def __init__(self, sql: str, params: Sequence, using: str = "default") -> None:
        self._connection = connection = connections[using]
        self._pgconn = None
        self._row_id = None
        self._error: DatabaseError | None = None
        # As Django's cursor would: its health check (when due), a connection, and no
        # statement inside a transaction that already failed.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        if not _can_send_ahead(connection):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                (self._row_id,) = cursor.fetchone()
            return
        connection.validate_no_broken_transaction()
        # Through the connection's execute wrappers, as a cursor's statement would go.
        send = self._send
        for wrapper in reversed(connection.execute_wrappers):
            send = functools.partial(wrapper, send)
        send(sql, params, False, {"connection": connection, "cursor": None})

    def _send(self, sql: str, params: Sequence, many: bool, context: dict) -> None:
        raw = self._connection.connection
        # The text Django's client-side binding would send, quoted by the connection's own
        # adapters (every value is a parameter).
        with ClientCursor(raw) as quoting:
            text = quoting.mogrify(sql, params)
        self._started = time.monotonic()
        self._encoding = raw.info.encoding
        with self._connection.wrap_database_errors:
            raw.pgconn.send_query(text.encode(self._encoding))  # raises if it cannot send
        self._pgconn = raw.pgconn
        self._text = text
        self._connection.execute_wrappers.append(self._answer_first)

    def row_id(self) -> int:
        """The new row's id, once PostgreSQL has answered; raises what Django's cursor
        would (``django.db.IntegrityError``, ``OperationalError``…) if the INSERT failed."""
        self._answer_read()
        if self._error is not None:
            raise self._error
        return self._row_id

    def _answer_read(self) -> None:
        if self._pgconn is None:
            return
        pgconn, self._pgconn = self._pgconn, None
        self._connection.execute_wrappers.remove(self._answer_first)
        try:
            with self._connection.wrap_database_errors:  # Django's errors, as a cursor's
                results = _answer(pgconn)
        except BaseException:
            # Cut off while reading: an answer left unread would meet the next query on
            # this connection, so the connection goes (the next query connects anew).
            self._connection.close()
            raise
        self._log()
        try:
            with self._connection.wrap_database_errors:
                self._row_id = _first_id(results, self._encoding)
        except DatabaseError as exc:
            self._error = exc
        finally:
            if pgconn.status == pq.ConnStatus.BAD:  # lost meanwhile (a restart, say)
                self._connection.close()  # the next query connects anew

    def _answer_first(self, execute, sql, params, many, context):
        """An execute wrapper while the INSERT is in flight: another statement on this
        connection reads its answer first (kept for ``row_id()``), then runs."""
        self._answer_read()
        return execute(sql, params, many, context)

    def _log(self) -> None:
        # Seen by CaptureQueriesContext and DEBUG's query log, as any statement is.
        if self._connection.queries_logged:
            self._connection.queries_log.append(
                {"sql": self._text, "time": f"{time.monotonic() - self._started:.3f}"}
            )


def _can_send_ahead(connection) -> bool:
    if not statements_together(connection):  # PostgreSQL, with client-side binding
        return False
    # Outside autocommit, psycopg opens the transaction with the first statement it sends
    # itself: a statement sent ahead of that would run outside it.
    raw = connection.connection
    return raw.autocommit or raw.pgconn.transaction_status == pq.TransactionStatus.INTRANS


def _answer(pgconn) -> list:
    """Every result of the statement sent, waiting on the socket meanwhile (the GIL free)."""
    poll = select.poll()
    poll.register(pgconn.socket, select.POLLIN)
    pgconn.consume_input()
    while pgconn.is_busy():
        poll.poll()
        pgconn.consume_input()
    results = []
    while (result := pgconn.get_result()) is not None:
        results.append(result)
    return results


def _first_id(results: list, encoding: str) -> int:
    for result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise _error(result, encoding)
    (result,) = results
    return int(result.get_value(0, 0))


def _error(result, encoding: str) -> errors.Error:
    """The psycopg error class for the answer's SQLSTATE (IntegrityError for a foreign key),
    which Django's wrapper then turns into its own."""
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    try:
        kind = errors.lookup(state.decode()) if state else errors.DatabaseError
    except KeyError:
        kind = errors.DatabaseError
    return kind(result.error_message.decode(encoding, "replace"))
