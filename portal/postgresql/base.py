"""Django's PostgreSQL backend; a kept connection is checked on its socket, not with a query."""

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from psycopg import pq


class DatabaseWrapper(PostgresDatabaseWrapper):
    """With ``CONN_HEALTH_CHECKS``, Django sends ``SELECT 1`` before the first query of every
    request that reuses a connection: a round trip on each launch, as long as the launch's
    own lookup. A server that ended the connection (restarted, terminated the backend,
    idle timeout) has closed its socket or written its farewell on it, which a poll sees
    without asking anything: an idle connection with something to read is not reused.
    Any other doubt (an error earlier in the request) still asks ``SELECT 1``, as Django
    does."""

    def close_if_health_check_failed(self):
        if (
            self.pool
            or self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return
        if not _idle_and_open(self.connection):
            self.close()
        self.health_check_done = True


def _idle_and_open(connection) -> bool:
    if connection.closed or connection.broken:
        return False
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()  # not select(): a busy worker may hold descriptors past 1024
    try:
        poller.register(pgconn.socket, select.POLLIN)
        return not poller.poll(0)  # readable while idle: closed, or a farewell was sent
    except (OSError, ValueError):
        return False
