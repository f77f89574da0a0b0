"""Statements run on every request, prepared once per PostgreSQL connection instead of
planned each time."""

import weakref
from functools import lru_cache

from django.conf import settings

# psycopg prepares a statement when asked (prepare=True) only while the connection has a
# threshold; Django sets none. One is set only for the length of these statements' own
# runs, out of reach of counting: nothing else is prepared, and psycopg keeps no count (nor
# text) of the connection's other statements.
_ONLY_WHEN_ASKED = 2**31
# Connections on which a prepared statement went stale (a column's type changed under it):
# they run these statements unprepared until they are replaced.
_unprepared = weakref.WeakSet()


def statements_prepared(connection) -> bool:
    """PostgreSQL with psycopg 3, ``PORTAL_PREPARED_STATEMENTS`` on (the default), and
    connections that outlive a request."""
    return (
        connection.vendor == "postgresql"
        and settings.PORTAL_PREPARED_STATEMENTS
        and _connections_kept(connection.settings_dict)
        and (connection.connection is None or connection.connection not in _unprepared)
        and _preparing_cursor_class() is not None
    )


def _connections_kept(settings_dict: dict) -> bool:
    # Preparing costs a round trip of its own, repaid by every later run on the same
    # connection: not with a new connection per request (CONN_MAX_AGE 0), unless a pool
    # keeps them.
    return settings_dict.get("CONN_MAX_AGE") != 0 or bool(
        settings_dict.get("OPTIONS", {}).get("pool")
    )


def statement_cursor(connection):
    """For a statement run on every request: ``preparing_cursor`` where statements are
    prepared (``statements_prepared``), Django's own cursor elsewhere."""
    return preparing_cursor(connection) if statements_prepared(connection) else connection.cursor()


def preparing_cursor(connection):
    """A cursor (Django's wrapper: logged, wrapped, its errors Django's) whose statement is
    prepared once per connection and then run with new parameters, never planned again.

    Why: planning was most of PostgreSQL's work for the statements run on every launch
    (its session read: 0.58 ms of the database's CPU unprepared, 0.24 ms prepared; its
    outcome's UPDATE 0.26 and 0.17 ms). PgBouncer in transaction mode carries them from
    1.21 on, with ``max_prepared_statements`` above 0; else ``PORTAL_PREPARED_STATEMENTS=0``
    is required: a statement found stale or taken is run unprepared, but such a pooler may
    also hand over a server session holding another client's statement of the same name.
    Only ``statements_prepared`` connections may be given."""
    # As Django's cursor(): its health check (when due), then a connection.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # Django's own wrapping of a cursor it made (validation, query log, wrappers).
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@lru_cache(maxsize=1)
def _preparing_cursor_class():
    try:
        from django.db.backends.postgresql.base import ServerBindingCursor
        from psycopg import errors, pq
    except ImportError:  # psycopg 2, or no PostgreSQL driver
        return None

    class PreparingCursor(ServerBindingCursor):
        """Binds its parameters on the server and prepares every statement it runs."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            raw = self.connection
            threshold = raw.prepare_threshold
            if threshold is None:
                raw.prepare_threshold = _ONLY_WHEN_ASKED
            try:
                super().execute(query, params, prepare=True, binary=binary)
            except (
                errors.FeatureNotSupported,
                errors.InvalidSqlStatementName,
                errors.DuplicatePreparedStatement,
            ):
                # PostgreSQL re-plans a prepared statement after a schema change, but not
                # when a column it returns changed type ("cached plan must not change result
                # type"; a longer varchar will do); or the statement is gone (DISCARD ALL);
                # or, behind a pooler that does not carry prepared statements, the server
                # session already holds another client's of the same name (every process
                # numbers its own from _pg3_0). Outside a transaction, nothing has failed
                # but the statement: run it again, unprepared, and prepare nothing more on
                # this connection.
                if raw.info.transaction_status != pq.TransactionStatus.IDLE:
                    raise
                _unprepared.add(raw)
                super().execute(query, params, prepare=False, binary=binary)
            finally:
                raw.prepare_threshold = threshold
            # psycopg keeps no text of a prepared statement's run; Django's query log reads
            # it here (``last_executed_query``), so it gets one, quoted only when read.
            self._query = _QueryText(raw, query, params)
            return self

    return PreparingCursor


class _QueryText:
    """A prepared statement as Django's query log shows it: parameters quoted in."""

    def __init__(self, raw_connection, query: str, params) -> None:
        self._connection, self._text, self._params = raw_connection, query, params

    @property
    def query(self) -> bytes:
        from psycopg import ClientCursor

        with ClientCursor(self._connection) as cursor:
            return cursor.mogrify(self._text, self._params).encode()
