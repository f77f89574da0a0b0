"""A data migration tested on rows already there: the database taken back, then forward."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextmanager
def rows_before(before: tuple[str, str], after: tuple[str, str]) -> Iterator:
    """The database at ``before``: yields its historical apps to make rows with, then
    migrates to ``after`` (the migration under test) and, whatever happens, to the latest."""
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        yield executor.loader.project_state([before]).apps
        MigrationExecutor(connection).migrate([after])
    finally:
        latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
        MigrationExecutor(connection).migrate(latest)
