"""The launch audit row: one per attempt, durable before the browser has its answer."""

import logging
from contextlib import contextmanager
from functools import lru_cache

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone

from embedding.models import LaunchEvent
from portal.compiled_select import connection_lost
from portal.insert_in_flight import InsertInFlight
from portal.prepared_statements import statement_cursor
from tenants.models import Membership

logger = logging.getLogger(__name__)
Outcome = LaunchEvent.Outcome

_AUDIT_FIELDS = (
    "user",
    "customer",
    "customer_slug",
    "mode",
    "outcome",
    "upstream_status",
    "request_id",
    "client_ip",
    "created_at",
)


def launch_event_record(*, user_id: int | None, slug: str, outcome: str, client_ip: str) -> None:
    """The whole row of an attempt refused before any membership was known (rate limited,
    not a member), committed before the refusal is answered (autocommit). A member's
    attempt has its row through ``LaunchAttempt``, with its request id."""
    values = _values(user_id, slug, outcome, None, client_ip, None, "")
    with connection.cursor() as cursor:
        cursor.execute(_audit_insert(), values)


class LaunchAttempt:
    """The row of an attempt that goes to Space Invoices: started as ``Outcome.STARTED``
    while the mint is in flight, then finished with its outcome.

    A launch's row must be durable before the browser is redirected, and no row may claim a
    launch that did not happen. The started row says only that an attempt was made; it is
    sent just before the one request that mints and read back (committed) as soon as Space
    Invoices has answered, so its write costs the launch no round trip of its own. A
    connection lost before its answer came (a database restart) has the row looked for, or
    written, on a new one. Without it there is no redirect (an error page; the token minted
    meanwhile expires unused).

    The outcome follows: before a refusal's page, and for a redirect once the server is
    done with the response (``finish_after_response``; *launched* then means minted and
    handed to the server, as it always did). A row stays *started* when its outcome could
    not be written: the process died in between, or the database failed the write (logged).
    The attempt is on record either way; its outcome is not."""

    def __init__(self, *, membership: Membership, client_ip: str, request_id: str) -> None:
        self.membership = membership
        self.client_ip = client_ip
        self.request_id = request_id
        self.row_id: int | None = None

    @contextmanager
    def upstream_call(self):
        """Around the one request that mints: the started row is written meanwhile. An
        attempt that succeeds has its row or raises (no row, no redirect); one refused
        upstream keeps its refusal, and its row is written whole by ``finish`` if the
        started one failed."""
        values = _values(
            self.membership.user_id,
            self.membership.customer.slug,
            Outcome.STARTED,
            self.membership,
            self.client_ip,
            None,
            self.request_id,
        )
        started = InsertInFlight(_audit_insert(), values)
        try:
            yield
        except BaseException:
            try:
                self.row_id = _started_row_id(started, values)
            except DatabaseError as exc:
                self._row_failed(exc)
            raise
        self.row_id = _started_row_id(started, values)

    def finish(self, outcome: str, upstream_status: int | None = None) -> None:
        """Record the outcome: on the started row (a failure is logged, and the row stays
        started), or as a whole row when the attempt never had one (a failure raises)."""
        if self.row_id is None:
            # Its started row may be there after all (committed, its answer lost): then
            # the outcome goes on that row (one row per request id) instead of failing.
            values = _values(
                self.membership.user_id,
                self.membership.customer.slug,
                outcome,
                self.membership,
                self.client_ip,
                upstream_status,
                self.request_id,
            )
            with connection.cursor() as cursor:
                cursor.execute(_audit_insert_or_outcome(), values)
            return
        try:
            try:
                _outcome_write(self.row_id, outcome, upstream_status)
            except (OperationalError, InterfaceError):
                if not connection_lost(connection):
                    raise
                # Lost while the mint was in flight (a database restart, say): once more,
                # on a new connection. Writing the same outcome twice does no harm.
                connection.close()
                _outcome_write(self.row_id, outcome, upstream_status)
        except DatabaseError as exc:
            logger.warning(
                "launch %s: audit row %s left as started (%s)",
                self.request_id,
                self.row_id,
                type(exc).__name__,
            )

    def finish_after_response(self) -> None:
        """The launch's outcome, written once the server is done with the redirect (off the
        browser's wait)."""
        self.finish(Outcome.LAUNCHED, 201)

    def _row_failed(self, exc: DatabaseError) -> None:
        logger.warning(
            "launch %s: audit row not written (%s); written whole with the refusal",
            self.request_id,
            type(exc).__name__,
        )


def _started_row_id(started: InsertInFlight, values: list) -> int:
    """The started row's id. When the connection was lost before the INSERT's answer came
    (a database restart, say), the row is written again on a new connection, unless the
    first INSERT committed: before or, its client gone unnoticed, after this one (one row
    per request id, the database waiting on the first to decide). The attempt keeps one
    row, and a token minted meanwhile its redirect."""
    try:
        return started.row_id()
    except (OperationalError, InterfaceError):
        if not connection_lost(connection):
            raise
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(_audit_insert_once(), values)
        written = cursor.fetchone()
        if written is not None:
            return written[0]
        cursor.execute(_started_row_select(), [values[_AUDIT_FIELDS.index("request_id")]])
        return cursor.fetchone()[0]


def _outcome_write(row_id: int, outcome: str, upstream_status: int | None) -> None:
    # The row is durable already (as started), so its outcome need not wait for PostgreSQL
    # to flush its log: the thread is free for the next request at once (after a redirect
    # it had waited 1.2 ms for the flush, with the next browser queueing behind it). Lost
    # only if the database itself crashes within a fraction of a second, which leaves the
    # row started. In autocommit, the statement is its own transaction, so the setting
    # holds for its commit and ends with it.
    unflushed = connection.get_autocommit() and connection.vendor == "postgresql"
    with statement_cursor(connection) as cursor:
        cursor.execute(_outcome_update(unflushed=unflushed), [outcome, upstream_status, row_id])


def _values(user_id, slug, outcome, membership, client_ip, upstream_status, request_id) -> list:
    customer = membership.customer if membership else None
    values = {
        "user": user_id,
        "customer": customer.pk if customer else None,
        "customer_slug": slug[:80],
        "mode": customer.access_mode if customer else "",
        "outcome": outcome,
        "upstream_status": upstream_status,
        "request_id": request_id,
        "client_ip": client_ip or None,
        # As the ORM would send it (the database's time zone handling).
        "created_at": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    # The statement's column order, by field name.
    return [values[name] for name in _AUDIT_FIELDS]


@lru_cache(maxsize=1)
def _audit_insert() -> str:
    """``INSERT INTO embedding_launchevent (user_id, …) VALUES (%s, …) RETURNING id``, built
    once from the model, so that a renamed column is followed. One prepared INSERT: the
    ORM's create() compiled the same statement on every launch, a third of the view's CPU."""
    meta = LaunchEvent._meta
    columns = [meta.get_field(name).column for name in _AUDIT_FIELDS]
    quote = connection.ops.quote_name
    # Table and column names come from the model, quoted; every value is a parameter.
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote(meta.pk.column)}"
    )


def _audit_insert_once() -> str:
    """``_audit_insert()`` that writes nothing when a row of the same request id is there
    (``launchevent_one_row_per_request``): then it returns no id."""
    return _audit_insert_on_conflict(outcome_written=False)


def _audit_insert_or_outcome() -> str:
    """``_audit_insert()`` that, when a row of the same request id is there, writes this
    row's outcome and upstream status on it instead."""
    return _audit_insert_on_conflict(outcome_written=True)


@lru_cache(maxsize=2)
def _audit_insert_on_conflict(*, outcome_written: bool) -> str:
    meta = LaunchEvent._meta
    quote = connection.ops.quote_name
    request_id, outcome, status = (
        quote(meta.get_field(n).column) for n in ("request_id", "outcome", "upstream_status")
    )
    action = (
        f"UPDATE SET {outcome} = EXCLUDED.{outcome}, {status} = EXCLUDED.{status}"
        if outcome_written
        else "NOTHING"
    )
    values, returning = _audit_insert().rsplit(" RETURNING ", 1)
    # The target's condition as the constraint spells it: SQLite wants it word for word.
    return (
        f"{values} ON CONFLICT ({request_id}) WHERE NOT ({request_id} = '') DO {action} "
        f"RETURNING {returning}"
    )


@lru_cache(maxsize=1)
def _started_row_select() -> str:
    """The id of the row of a request id (unique where there is one)."""
    meta = LaunchEvent._meta
    quote = connection.ops.quote_name
    request_id = quote(meta.get_field("request_id").column)
    return f"SELECT {quote(meta.pk.column)} FROM {quote(meta.db_table)} WHERE {request_id} = %s"  # noqa: S608


@lru_cache(maxsize=2)
def _outcome_update(*, unflushed: bool) -> str:
    """``UPDATE embedding_launchevent SET outcome = %s, upstream_status = %s WHERE id = %s``;
    ``unflushed`` (PostgreSQL) adds a commit that does not wait for the log flush."""
    meta = LaunchEvent._meta
    quote = connection.ops.quote_name
    outcome, status = (quote(meta.get_field(n).column) for n in ("outcome", "upstream_status"))
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    if not unflushed:
        return f"UPDATE {table} SET {outcome} = %s, {status} = %s WHERE {pk} = %s"  # noqa: S608
    # One statement, not BEGIN; SET LOCAL …; UPDATE; COMMIT (four for PostgreSQL to parse
    # and plan): set_config(…, true) lasts until the end of the statement's own
    # transaction, whose commit reads it. The CTE is volatile, so it is never inlined away.
    return (
        "WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f"UPDATE {table} SET {outcome} = %s, {status} = %s "
        f"FROM unflushed WHERE {table}.{pk} = %s"
    )
