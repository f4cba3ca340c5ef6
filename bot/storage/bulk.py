"""Many rows in one go, in the statement shape each database runs fastest.

PostgreSQL takes the rows as one JSON document (INSERT ... SELECT FROM jsonb_to_recordset, UPDATE ... FROM
jsonb_to_recordset): one statement and one parameter whatever the number of rows, encoded in one call (an
array per column costs the driver a type check per value; json_to_recordset costs the server a parse per
row). SQLite runs one prepared single-row statement per row (a multi-row VALUES runs slower there),
handed to the driver as plain tuples converted a column at a time (SQLAlchemy's per-row parameter
handling costs more than SQLite's insert); the ids it gave are read back after the last id before, as
only one transaction writes at a time (BEGIN IMMEDIATE). Either way a value is stored as SQLAlchemy's
own statements store it (None in a JSON column is JSON null, as the column type says).
"""
from __future__ import annotations

import base64
import functools
import operator
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from bot.storage.tables import JSON_OPTIONS

_PG = postgresql.dialect()
_OPTIONS = JSON_OPTIONS | orjson.OPT_NAIVE_UTC


def insert(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple],
           also: tuple[str, ...] = (), skip_existing: tuple[str, ...] = ()) -> list[sa.Row]:
    """Insert `rows` (tuples of `columns`' values) into `table` (numbered by its `id`); (id, *also) of each
    row inserted, in the order given. A row whose `skip_existing` columns match a row's there is skipped."""
    returning = ("id", *also)
    if conn.dialect.name == "postgresql":  # the ids of one statement rise in the order of its rows
        statement = _pg_insert(table, columns, returning, skip_existing)
        document = _document(columns, rows)
        return sorted(conn.execute(statement, {"b_rows": document}).all(), key=operator.itemgetter(0))
    before = conn.execute(_last_id(table)).scalar() or 0
    _driver_many(conn, _sqlite_insert(table, columns, skip_existing), table, columns, list(zip(*rows)))
    return conn.execute(_inserted(table, returning), {"b_before": before}).all()


def update(conn: sa.Connection, table: sa.Table, key: str, columns: tuple[str, ...], rows: list[tuple]
           ) -> None:
    """Set the columns of each of `rows` (tuples of `columns`' values) in the row whose `key` matches."""
    if conn.dialect.name == "postgresql":
        conn.execute(_pg_update(table, key, columns), {"b_rows": _document(columns, rows)})
        return
    by_column = dict(zip(columns, zip(*rows)))
    ordered = (*(c for c in columns if c != key), key)  # the SET columns, then the key, as in the SQL
    _driver_many(conn, _sqlite_update(table, key, ordered), table, ordered, [by_column[c] for c in ordered])


# -- PostgreSQL --------------------------------------------------------------------------------------------

def _document(columns: tuple[str, ...], rows: list[tuple]) -> str:
    """The rows as one JSON array of objects: times with their offset, bytes in base64 (decoded by the
    statement)."""
    return orjson.dumps([dict(zip(columns, row)) for row in rows], default=_base64, option=_OPTIONS).decode()


def _base64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _recordset(table: sa.Table, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The FROM of the rows' document, with each column's type, and the expression of each column."""
    fields, values = [], []
    for name in columns:
        kind = table.c[name].type.dialect_impl(_PG)
        binary = isinstance(kind, sa.LargeBinary)
        fields.append(f"{name} {'text' if binary else kind.compile(dialect=_PG)}")
        if binary:
            values.append(f"decode(r.{name}, 'base64')")
        elif isinstance(kind, sa.JSON) and not kind.none_as_null:  # the document's null reads as NULL
            values.append(f"COALESCE(r.{name}, 'null'::jsonb)")
        else:
            values.append(f"r.{name}")
    return f"jsonb_to_recordset(CAST(:b_rows AS jsonb)) AS r({', '.join(fields)})", values


@functools.cache
def _pg_insert(table: sa.Table, columns: tuple[str, ...], returning: tuple[str, ...],
               skip_existing: tuple[str, ...]) -> sa.TextClause:
    source, values = _recordset(table, columns)
    skip = f" ON CONFLICT ({', '.join(skip_existing)}) DO NOTHING" if skip_existing else ""
    return sa.text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(values)} "
                   f"FROM {source}{skip} RETURNING {', '.join(returning)}")


@functools.cache
def _pg_update(table: sa.Table, key: str, columns: tuple[str, ...]) -> sa.TextClause:
    source, values = _recordset(table, columns)
    assignments = ", ".join(f"{c} = {v}" for c, v in zip(columns, values) if c != key)
    return sa.text(f"UPDATE {table.name} SET {assignments} FROM {source} WHERE {table.name}.{key} = r.{key}")


# -- SQLite ------------------------------------------------------------------------------------------------

def _driver_many(conn: sa.Connection, sql: str, table: sa.Table, columns: tuple[str, ...],
                 values: list[tuple]) -> None:
    """Run `sql` (qmark parameters in the order of `columns`) once per row, as the driver's executemany;
    `values` holds each column's values, in the order of `columns`."""
    converted = []
    for column, given in zip(columns, values, strict=True):
        convert, by_value = _converter(table.c[column].type, conn.dialect)
        if convert is None:
            converted.append(given)
            continue
        # A batch repeats its times (now, the minute due) and bodies: each converted once, a time by its
        # value, anything else by identity (every value is alive until the statement has run).
        done: dict[Any, Any] = {}
        key = _same if by_value else id
        converted.append([done[k] if (k := key(v)) in done else done.setdefault(k, convert(v))
                          for v in given])
    conn.exec_driver_sql(sql, list(zip(*converted)))


def _same(value: Any) -> Any:
    return value


def _converter(kind: sa.types.TypeEngine, dialect: sa.Dialect) -> tuple[Any, bool]:
    """The function that makes a column's value (None too) what SQLite stores, as the column's type would
    bind it (SQLAlchemy's own text of a date or time, made without its per-value formatting), and whether
    equal values convert alike (times, dates) rather than only the same object."""
    if isinstance(kind, sa.DateTime):
        return _sqlite_time, True
    if isinstance(kind, sa.Date):
        return _sqlite_date, True
    return kind.dialect_impl(dialect).bind_processor(dialect), False


def _sqlite_time(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite text of a datetime: its wall time to the microsecond, no offset (UTC here)."""
    return None if value is None else value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@functools.cache
def _last_id(table: sa.Table):
    return sa.select(sa.func.max(table.c.id))


@functools.cache
def _sqlite_insert(table: sa.Table, columns: tuple[str, ...], skip_existing: tuple[str, ...]) -> str:
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    skip = f" ON CONFLICT ({', '.join(skip_existing)}) DO NOTHING" if skip_existing else ""
    return f"INSERT INTO {table.name} ({names}) VALUES ({marks}){skip}"


@functools.cache
def _inserted(table: sa.Table, returning: tuple[str, ...]):
    return (sa.select(*(table.c[c] for c in returning)).where(table.c.id > sa.bindparam("b_before"))
            .order_by(table.c.id))


@functools.cache
def _sqlite_update(table: sa.Table, key: str, columns: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{c} = ?" for c in columns if c != key)
    return f"UPDATE {table.name} SET {assignments} WHERE {key} = ?"
