"""Bulk INSERT that is fast on PostgreSQL as well as SQLite.

On PostgreSQL rows go in with COPY (psycopg sends an executemany row by row, and re-parses the
long statements of multi-row INSERTs on every call); rows that may already exist are copied into
a temporary staging table and moved with ``INSERT ... ON CONFLICT DO NOTHING``. On SQLite a plain
executemany is already fast. Values pass through each column type's own bind processing, so
`UTCDateTime` and JSON columns are stored exactly as the ORM would store them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, ColumnElement, String, Table, any_, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session

from hustings.storage.database import require_transaction

T = TypeVar("T")
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of `size`, to keep IN lists and executemany batches bounded."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _converter(table: Table, column: str, dialect: Dialect) -> Callable[[Any], Any]:
    column_type = table.c[column].type
    implementation = column_type.dialect_impl(dialect)
    if isinstance(implementation, JSON) or isinstance(column_type, JSON):
        return lambda value: None if value is None else Jsonb(value)
    process = column_type.bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def _copy(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    ignore_conflicts: bool,
    returning: str | None = None,
) -> list[Any]:
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0].keys())
    converters = [_converter(table, column, dialect) for column in columns]
    quoted = ", ".join(f'"{column}"' for column in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    target = table.name
    with driver.cursor() as cursor:
        # Table and column names come from our own metadata, never from input.
        if ignore_conflicts:
            target = f"_stage_{table.name}"
            cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{target}" (LIKE "{table.name}") ON COMMIT DROP')
        with cursor.copy(f'COPY "{target}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [convert(row[column]) for column, convert in zip(columns, converters, strict=True)]
                )
        inserted: list[Any] = []
        if ignore_conflicts:
            cursor.execute(
                f'INSERT INTO "{table.name}" ({quoted}) SELECT {quoted} FROM "{target}" '  # noqa: S608 - names from our metadata
                "ON CONFLICT DO NOTHING" + (f' RETURNING "{returning}"' if returning else "")
            )
            if returning:
                inserted = [row[0] for row in cursor.fetchall()]
            cursor.execute(f'DELETE FROM "{target}"')  # noqa: S608 - names from our metadata
    return inserted


def insert_rows(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert `rows` (dicts with the same keys) into `model`'s table; never commits.

    With `ignore_conflicts`, rows whose key already exists are skipped silently.
    """
    if not rows:
        return
    require_transaction(session)
    table: Table = model.__table__  # type: ignore[assignment]  # declarative models always have a Table
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows, ignore_conflicts)
        return
    statement = sqlite.insert(table)
    if ignore_conflicts:
        statement = statement.on_conflict_do_nothing()
    session.execute(statement, list(rows))


def insert_new_rows(
    session: Session, model: type[DeclarativeBase], rows: Sequence[Mapping[str, Any]], *, key: str
) -> set[Any]:
    """Insert the `rows` that clash with no row already there, and return their `key` column.

    A row that clashes with one a concurrent transaction is inserting waits for it to end, and
    is skipped if it commits: the caller learns it lost the race rather than meeting an error.
    """
    if not rows:
        return set()
    require_transaction(session)
    table: Table = model.__table__  # type: ignore[assignment]  # declarative models always have a Table
    if session.get_bind().dialect.name == "postgresql":
        return set(_copy(session, table, rows, ignore_conflicts=True, returning=key))
    statement = sqlite.insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set(session.scalars(statement, list(rows)))


def among(
    session: Session, column: ColumnElement[str] | InstrumentedAttribute[str], values: Sequence[str]
) -> ColumnElement[bool]:
    """`column IN values`, bound as one array parameter on PostgreSQL (``= ANY(:values)``).

    A long IN list is a long statement that psycopg parses afresh each time; one array
    parameter keeps the statement short and cached.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(list(values))
