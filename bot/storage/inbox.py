"""The inbox: inputs stored before they are acknowledged, taken one person at a time in update order.

Plain functions on a Connection, so that they run inside one Store transaction with the rest of a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.storage.tables import aware as _aware
from bot.storage.tables import inbox, insert_new

PENDING, DONE, UNREADABLE, FAILED = "pending", "done", "unreadable", "failed"


@dataclass(frozen=True, slots=True)
class Received:
    """One update as a channel hands it over; `payload` None for one that could not be read."""

    update_id: int
    external_id: str | None
    payload: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    update_id: int
    payload: dict[str, Any]
    at: datetime


def receive(conn: sa.Connection, channel: str, items: list[Received], now: datetime) -> list[str]:
    """Store `items`, skipping update ids already stored; the people with something new, in order."""
    if not items:
        return []
    rows = [
        {
            "channel": channel,
            "update_id": i.update_id,
            "external_id": i.external_id,
            "at": i.at,
            "status": PENDING if i.payload is not None and i.external_id is not None else UNREADABLE,
            "payload": i.payload,
            "received_at": now,
        }
        for i in items
    ]
    statement = insert_new(conn.dialect.name, inbox, "channel", "update_id").returning(
        inbox.c.external_id, inbox.c.status
    )
    new = [r for row in rows for r in conn.execute(statement, row).all()]
    return list(dict.fromkeys(who for who, status in new if status == PENDING))


def seen(conn: sa.Connection, channel: str, update_id: int, now: datetime) -> bool:
    """Record an update applied directly (no payload kept); False if it was seen before."""
    row = {"channel": channel, "update_id": update_id, "status": DONE, "at": now, "received_at": now}
    return conn.execute(insert_new(conn.dialect.name, inbox, "channel", "update_id"), row).rowcount == 1


_NEXT = (
    sa.select(inbox.c.id, inbox.c.update_id, inbox.c.payload, inbox.c.at)
    .where(
        inbox.c.channel == sa.bindparam("b_channel"),
        inbox.c.external_id == sa.bindparam("b_who"),
        inbox.c.status == PENDING,
    )
    .order_by(inbox.c.update_id)
    .limit(1)
)
_DONE = inbox.update().where(inbox.c.id == sa.bindparam("b_id")).values(status=DONE, payload=None)


def next_entry(conn: sa.Connection, channel: str, external_id: str) -> Entry | None:
    """The person's earliest input not yet applied."""
    row = conn.execute(_NEXT, {"b_channel": channel, "b_who": external_id}).one_or_none()
    return Entry(row.id, row.update_id, row.payload, _aware(row.at)) if row else None


def done(conn: sa.Connection, entry_id: int) -> None:
    """The input was applied: its content is not kept, only that its update id was seen."""
    conn.execute(_DONE, {"b_id": entry_id})


def fail_next(conn: sa.Connection, channel: str, external_id: str) -> bool:
    """Set aside the person's earliest input, which could not be applied (its content is not kept)."""
    entry = next_entry(conn, channel, external_id)
    if entry is not None:
        conn.execute(inbox.update().where(inbox.c.id == entry.id).values(status=FAILED, payload=None))
    return entry is not None


def waiting(conn: sa.Connection, channel: str, limit: int) -> list[str]:
    """People on `channel` with inputs not yet applied (after a restart, or taken from another process)."""
    query = (
        sa.select(inbox.c.external_id)
        .where(inbox.c.channel == channel, inbox.c.status == PENDING)
        .group_by(inbox.c.external_id)
        .order_by(sa.func.min(inbox.c.id))
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def prune(conn: sa.Connection, before: datetime) -> int:
    """Forget applied and unreadable updates received before `before` (no channel repeats one that old)."""
    return conn.execute(
        inbox.delete().where(inbox.c.status != PENDING, inbox.c.received_at < before)
    ).rowcount


def forget(conn: sa.Connection, channel: str, external_id: str) -> None:
    """Erase what is kept of a person's applied inputs."""
    conn.execute(
        inbox.delete().where(
            inbox.c.channel == channel, inbox.c.external_id == external_id, inbox.c.status != PENDING
        )
    )


KEEP = timedelta(days=2)  # Telegram gives up redelivering an update after 24 hours
