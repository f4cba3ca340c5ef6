"""Many rows in one go, in the statement shape each database runs fastest.

PostgreSQL takes each column as one array (INSERT ... SELECT FROM unnest, UPDATE ... FROM unnest): one
statement, prepared once, whatever the number of rows. SQLite runs one prepared single-row statement per
row (a multi-row VALUES runs slower there); the ids it gave are read back after the last id before, as
only one transaction writes at a time (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import functools
import operator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], also: tuple[str, ...] = (),
           skip_existing: tuple[str, ...] = ()) -> list[sa.Row]:
    """Insert `rows` (dicts with the same keys) into `table` (numbered by its `id`); (id, *also) of each
    row inserted, in the order given. A row whose `skip_existing` columns match a row's there is skipped."""
    columns, returning = tuple(rows[0]), ("id", *also)
    if conn.dialect.name == "postgresql":  # the ids of one statement rise in the order of its rows
        arrays = {f"b_{c}": [row[c] for row in rows] for c in columns}
        inserted = conn.execute(_unnest_insert(table, columns, returning, skip_existing), arrays).all()
        return sorted(inserted, key=operator.itemgetter(0))
    before = conn.execute(_last_id(table)).scalar() or 0
    conn.execute(_sqlite_insert(table, skip_existing), rows)
    return conn.execute(_inserted(table, returning), {"b_before": before}).all()


def update(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Set the columns of each of `rows` (dicts with the same keys) in the row whose `key` matches."""
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        arrays = {f"b_{c}": [row[c] for row in rows] for c in columns}
        conn.execute(_unnest_update(table, key, columns), arrays)
    else:
        params = [{f"b_{c}": v for c, v in row.items()} for row in rows]
        conn.execute(_sqlite_update(table, key, columns), params)


def _arrays(table: sa.Table, columns: tuple[str, ...]):
    """unnest of one array parameter per column, as a derived table with the columns' names (one dimension:
    a JSON value that is a list is an element, not a row of them)."""
    params = [sa.bindparam(f"b_{c}", type_=postgresql.ARRAY(table.c[c].type, dimensions=1)) for c in columns]
    return sa.func.unnest(*params).table_valued(*columns).render_derived()


@functools.cache
def _unnest_insert(table: sa.Table, columns: tuple[str, ...], returning: tuple[str, ...],
                   skip_existing: tuple[str, ...]):
    statement = postgresql.insert(table).from_select(columns, sa.select(_arrays(table, columns)))
    if skip_existing:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_existing))
    return statement.returning(*(table.c[c] for c in returning))


@functools.cache
def _unnest_update(table: sa.Table, key: str, columns: tuple[str, ...]):
    values = _arrays(table, columns)
    return (table.update().where(table.c[key] == values.c[key])
            .values({c: values.c[c] for c in columns if c != key}))


@functools.cache
def _last_id(table: sa.Table):
    return sa.select(sa.func.max(table.c.id))


@functools.cache
def _sqlite_insert(table: sa.Table, skip_existing: tuple[str, ...]):
    insert_ = sqlite.insert(table)
    return insert_.on_conflict_do_nothing(index_elements=list(skip_existing)) if skip_existing else insert_


@functools.cache
def _inserted(table: sa.Table, returning: tuple[str, ...]):
    return (sa.select(*(table.c[c] for c in returning)).where(table.c.id > sa.bindparam("b_before"))
            .order_by(table.c.id))


@functools.cache
def _sqlite_update(table: sa.Table, key: str, columns: tuple[str, ...]):
    return (table.update().where(table.c[key] == sa.bindparam(f"b_{key}"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns if c != key}))
