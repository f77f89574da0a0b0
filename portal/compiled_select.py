"""Lookups run on every request, compiled to SQL once; rows made into instances as the ORM does."""

from collections.abc import Sequence
from functools import lru_cache

from django.db import InterfaceError, OperationalError, connections
from django.db.models import Model

from portal.prepared_statements import statement_cursor


class CompiledSelect:
    """``SELECT <every concrete column of each model> FROM … WHERE …``, written once per
    database from the models' metadata, then run with new parameters each time.

    Why not the ORM: building and compiling the launch's ``select_related`` query took
    1.02 ms of CPU, the query compiled once 0.21 ms (the user's 0.48 and 0.16 ms); the SQL
    never changes, only the parameters. What the ORM does with a row is kept: the
    same columns, the backend's and the fields' converters (SQLite's datetimes, booleans
    and UUIDs; any field's ``from_db_value``), ``Model.from_db`` (so ``_state`` is right for
    a later save), and the related instance cached on its foreign key.

    ``tables`` is a list of ``(model, alias)``; the first is the row's subject, each later
    one is joined on a foreign key the first holds to it. ``where`` uses the aliases and
    ``{column}`` placeholders, e.g. ``"{m.user} = %s AND {c.slug} = %s"``.
    """

    def __init__(
        self, tables: Sequence[tuple[type[Model], str]], where: str, *, joins: str | None = None
    ) -> None:
        self.tables = tuple(tables)
        self.where = where
        # Written out instead of inner joins on the subject's foreign keys: what follows the
        # first table in FROM, ``{alias}`` standing for a table with its alias. A table an
        # outer join found no row of is None.
        self.joins = joins

    def get(self, params: Sequence, using: str = "default") -> Model | None:
        """The first model's instance (the others cached on it), or None if no row."""
        return select_together((self, params), using=using)[0]

    def get_each(self, params: Sequence, using: str = "default") -> list[Model | None]:
        """Each table's instance, in order (each related one cached on every instance with
        a foreign key to it): all None if no row, and one None where an outer join had none."""
        connection = connections[using]
        [row] = _rows_checked(connection, [(self, params)])
        if row is None:
            return [None] * len(self.tables)
        return self._each(self._converted(row, connection), connection)

    def _instance(self, row: tuple | None, connection) -> Model | None:
        if row is None:
            return None
        return self._each(self._converted(row, connection), connection)[0]

    def _converted(self, row: tuple, connection) -> list:
        _, converters, _, _ = self._compiled(connection.alias, connection.vendor)
        values = list(row)
        for position, field_converters, expression in converters:
            value = values[position]
            for convert in field_converters:
                value = convert(value, expression, connection)
            values[position] = value
        return values

    def _each(self, values: list, connection) -> list[Model | None]:
        _, _, layout, links = self._compiled(connection.alias, connection.vendor)
        start, instances = 0, []
        for (model, _), (names, pk) in zip(self.tables, layout, strict=True):
            own = values[start : start + len(names)]
            start += len(names)
            # Only an outer join leaves a whole row out: every table has its primary key.
            found = own[pk] is not None
            instances.append(model.from_db(connection.alias, names, own) if found else None)
        for holder, related, key in links:
            if instances[holder] is not None:
                key.set_cached_value(instances[holder], instances[related])
        return instances

    def _links(self) -> list[tuple[int, int, object]]:
        """``(holder, related, foreign key)``: the first table holds a key to each later one;
        with ``joins``, any table to any later one it holds a key to."""
        if self.joins is None:
            subject = self.tables[0][0]
            return [
                (0, position, self._foreign_key(subject, model))
                for position, (model, _) in enumerate(self.tables[1:], start=1)
            ]
        return [
            (holder, related, key)
            for holder, (model, _) in enumerate(self.tables)
            for related in range(holder + 1, len(self.tables))
            for key in self._keys(model, self.tables[related][0])
        ]

    @staticmethod
    def _keys(holder: type[Model], model: type[Model]) -> list:
        return [
            f for f in holder._meta.concrete_fields if f.is_relation and f.related_model is model
        ]

    def _foreign_key(self, holder: type[Model], model: type[Model]):
        (field,) = self._keys(holder, model)
        return field

    def _inner_joins(self, quote) -> list[str]:
        """``INNER JOIN`` of each later table, on the key the first table holds to it."""
        subject, subject_alias = self.tables[0]
        joins = []
        for model, alias_name in self.tables[1:]:
            key = self._foreign_key(subject, model)
            joins.append(
                f"INNER JOIN {quote(model._meta.db_table)} {quote(alias_name)} ON "
                f"{quote(alias_name)}.{quote(key.target_field.column)} = "
                f"{quote(subject_alias)}.{quote(key.column)}"
            )
        return joins

    # Keyed by the connection's alias and vendor: the SQL quotes names, and the converters
    # differ, per database backend.
    @lru_cache(maxsize=8)  # noqa: B019 (instances are module-level constants, never freed)
    def _compiled(self, alias: str, vendor: str) -> tuple[str, list, list, list]:
        connection = connections[alias]
        quote = connection.ops.quote_name
        columns, converters, names = [], [], {}
        for model, alias_name in self.tables:
            table_names = {}
            for field in model._meta.concrete_fields:
                column = f"{quote(alias_name)}.{quote(field.column)}"
                table_names[field.name] = column
                expression = field.get_col(alias_name)
                found = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                    connection
                )
                if found:
                    converters.append((len(columns), found, expression))
                columns.append(column)
            names[alias_name] = _Columns(
                table_names, f"{quote(model._meta.db_table)} {quote(alias_name)}"
            )
        subject, subject_alias = self.tables[0]
        joins = [f"{quote(subject._meta.db_table)} {quote(subject_alias)}"]
        if self.joins is not None:
            joins.append(self.joins.format(**names))
        else:
            joins.extend(self._inner_joins(quote))
        # Every name here comes from the models, quoted; every value is a parameter.
        sql = (
            f"SELECT {', '.join(columns)} FROM {' '.join(joins)} "  # noqa: S608
            f"WHERE {self.where.format(**names)}"
        )
        # Per table: its fields' attnames (the row's values in order), where its key is.
        layout = []
        for model, _ in self.tables:
            attnames = [f.attname for f in model._meta.concrete_fields]
            layout.append((attnames, attnames.index(model._meta.pk.attname)))
        return sql, converters, layout, self._links()


def select_together(
    *lookups: tuple[CompiledSelect, Sequence], using: str = "default"
) -> list[Model | None]:
    """Each ``(select, params)``'s instance, or None, in order: on PostgreSQL in one round
    trip, the statements sent together (psycopg's client-side binding, Django's default,
    quotes every parameter into the text and reads one result per statement); elsewhere,
    and with server-side binding (one statement per prepared query), one after another.

    As a request's first query, it also stands in for Django's health check (with
    CONN_HEALTH_CHECKS, a ``SELECT 1`` before the first query of every request: one round
    trip more): these statements only read, so on a connection found broken they run again,
    once, on a new one, which is what the check would have led to."""
    connection = connections[using]
    rows = _rows_checked(connection, lookups)
    return [
        select._instance(row, connection) for (select, _), row in zip(lookups, rows, strict=True)
    ]


def _rows_checked(connection, lookups) -> list[tuple | None]:
    unchecked = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if unchecked:
        connection.health_check_done = True
    try:
        rows = _rows(connection, lookups)
    except (OperationalError, InterfaceError):
        if not (unchecked and connection_lost(connection)):
            raise
        connection.close()  # the next cursor connects anew
        rows = _rows(connection, lookups)
    return rows


def _rows(connection, lookups) -> list[tuple | None]:
    statements = [select._compiled(connection.alias, connection.vendor)[0] for select, _ in lookups]
    rows = []
    if len(lookups) == 1:
        with statement_cursor(connection) as cursor:
            cursor.execute(statements[0], lookups[0][1])
            return [cursor.fetchone()]
    with connection.cursor() as cursor:
        if len(lookups) > 1 and statements_together(connection):
            cursor.execute("; ".join(statements), [p for _, params in lookups for p in params])
            for position in range(len(lookups)):
                if position:
                    cursor.nextset()
                rows.append(cursor.fetchone())
        else:
            for sql, (_, params) in zip(statements, lookups, strict=True):
                cursor.execute(sql, params)
                rows.append(cursor.fetchone())
    return rows


def connection_lost(connection) -> bool:
    """The driver's connection is lost (psycopg: closed, or ``broken`` by a failure of
    the connection itself), not a query that failed on a live one."""
    raw = connection.connection
    return raw is None or bool(getattr(raw, "closed", False) or getattr(raw, "broken", False))


def statements_together(connection) -> bool:
    """Several statements can go in one message: PostgreSQL with client-side binding."""
    options = connection.settings_dict.get("OPTIONS", {})
    return connection.vendor == "postgresql" and not options.get("server_side_binding")


class _Columns:
    """``{m.user}`` in a where clause: the quoted column of field ``user`` of alias ``m``;
    ``{m}``, the table itself."""

    def __init__(self, columns: dict[str, str], table: str) -> None:
        self._columns = columns
        self._table = table

    def __format__(self, spec: str) -> str:
        """``{m}`` in a join: the quoted table with its alias."""
        return self._table

    def __getattr__(self, name: str) -> str:
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None
