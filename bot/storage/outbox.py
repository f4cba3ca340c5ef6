"""The outbox: every output a row, written in its step's transaction and sent in order per person.

A sender takes rows with a lease (owner, until) that it renews while it lives; a lapsed lease is taken
over, so a process that died leaves nothing unsent for longer than the lease. Plain functions on a
Connection, like the rest of storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from bot.storage import bulk
from bot.storage.tables import aware, deliveries, outbox, people

PENDING, SENT, FAILED, BLOCKED, EXPIRED = "pending", "sent", "failed", "blocked", "expired"
KEEP = timedelta(days=30)  # finished rows are kept this long: a typed answer is checked against them


class Draft(NamedTuple):
    """An output to write: its kind and body as plain data (bot/runtime/rows.py makes them). A tuple: a
    batch of plan days makes thousands."""

    kind: str
    body: dict[str, Any]
    blob: bytes | None = None
    ref: str | None = None
    delivery_id: int | None = None
    expires_at: datetime | None = None


@dataclass(slots=True)
class Row:
    id: int
    channel: str
    external_id: str
    kind: str
    body: dict[str, Any]
    blob: bytes | None = None
    delivery_id: int | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    """What became of a row: sent (with the channel's message id), failed, blocked or expired."""

    row_id: int
    status: str
    sent_id: int | None = None
    at: datetime | None = None
    delivery_id: int | None = None


def write(
    conn: sa.Connection,
    channel: str,
    external_id: str,
    drafts: list[Draft],
    now: datetime,
    owner: str | None = None,
    until: datetime | None = None,
) -> list[Row]:
    """Append `drafts` for the person, in order; with `owner`, already leased to that sender."""
    return write_many(conn, channel, [(external_id, d) for d in drafts], now, owner, until)


def write_many(
    conn: sa.Connection,
    channel: str,
    drafts: list[tuple[str, Draft]],
    now: datetime,
    owner: str | None = None,
    until: datetime | None = None,
) -> list[Row]:
    """Append (external id, draft) pairs, in order, in one statement; with `owner`, already leased."""
    if not drafts:
        return []
    values = [(channel, external_id, d.kind, d.body, d.blob, d.ref, PENDING, owner, until, d.expires_at,
               d.delivery_id, now) for external_id, d in drafts]
    ids = [row.id for row in bulk.insert(conn, outbox, _WRITTEN, values)]
    return [Row(row_id, channel, external_id, d.kind, d.body, d.blob, d.delivery_id, d.expires_at)
            for row_id, (external_id, d) in zip(ids, drafts, strict=True)]


_WRITTEN = ("channel", "external_id", "kind", "body", "blob", "ref", "status", "lease_owner", "lease_until",
            "expires_at", "delivery_id", "created_at")  # write_many's row


def claim(
    conn: sa.Connection,
    owner: str,
    now: datetime,
    until: datetime,
    limit: int,
    skip: frozenset[int] = frozenset(),
) -> list[Row]:
    """Lease up to `limit` pending rows whose lease lapsed, oldest first, each only while no earlier row
    of the same person is still pending (one person's rows go out in order)."""
    earlier = outbox.alias("earlier")
    blocked = sa.exists().where(
        earlier.c.channel == outbox.c.channel,
        earlier.c.external_id == outbox.c.external_id,
        earlier.c.status == PENDING,
        earlier.c.id < outbox.c.id,
        earlier.c.lease_until >= now,
    )
    query = (
        sa.select(outbox)
        .where(
            outbox.c.status == PENDING,
            sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            ~blocked,
        )
        .order_by(outbox.c.id)
        .limit(limit + len(skip))
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=outbox, skip_locked=True)
    rows = [r for r in conn.execute(query).all() if r.id not in skip][:limit]
    if not rows:
        return []
    conn.execute(
        outbox.update()
        .where(outbox.c.id.in_([r.id for r in rows]))
        .values(lease_owner=owner, lease_until=until)
    )
    return [
        Row(r.id, r.channel, r.external_id, r.kind, r.body, r.blob, r.delivery_id, aware(r.expires_at))
        for r in rows
    ]


def renew(conn: sa.Connection, ids: list[int], owner: str, until: datetime) -> None:
    """Keep the leases of rows this sender is still working on (rows being marked meanwhile are
    skipped: they are finished; the others are locked in id order, as marks lock them)."""
    mine = sa.select(outbox.c.id).where(
        outbox.c.id.in_(ids), outbox.c.lease_owner == owner, outbox.c.status == PENDING
    ).order_by(outbox.c.id)
    if conn.dialect.name == "postgresql":
        mine = mine.with_for_update(skip_locked=True)
    locked = list(conn.execute(mine).scalars())
    if locked:
        conn.execute(outbox.update().where(outbox.c.id.in_(locked)).values(lease_until=until))


def release_all(conn: sa.Connection) -> int:
    """Lapse every lease: for a database only one process uses (SQLite), on start-up."""
    return conn.execute(
        outbox.update()
        .where(outbox.c.status == PENDING, outbox.c.lease_owner.is_not(None))
        .values(lease_owner=None, lease_until=None)
    ).rowcount


def mark(conn: sa.Connection, marks: list[Mark]) -> None:
    """Record what became of rows; a plan day's delivery follows its row, and a person who blocked the
    bot is stopped, their other pending rows with them. Rows are locked in id order (as renew locks them)."""
    for m in sorted(marks, key=lambda m: m.row_id):
        conn.execute(
            outbox.update()
            .where(outbox.c.id == m.row_id, outbox.c.status == PENDING)
            .values(
                status=m.status,
                sent_id=m.sent_id,
                sent_at=m.at if m.status == SENT else None,
                lease_owner=None,
                lease_until=None,
            )
        )
        if m.delivery_id is not None:
            status = {SENT: "sent", BLOCKED: "blocked"}.get(m.status, "skipped")
            conn.execute(
                deliveries.update()
                .where(deliveries.c.id == m.delivery_id)
                .values(status=status, sent_at=m.at if m.status == SENT else None)
            )
        if m.status == BLOCKED:
            who = sa.select(outbox.c.channel, outbox.c.external_id).where(outbox.c.id == m.row_id)
            channel, external_id = conn.execute(who).one()
            conn.execute(
                people.update()
                .where(people.c.channel == channel, people.c.external_id == external_id)
                .values(stopped="blocked")
            )
            conn.execute(
                outbox.update()
                .where(
                    outbox.c.channel == channel,
                    outbox.c.external_id == external_id,
                    outbox.c.status == PENDING,
                )
                .values(status=BLOCKED)
            )


_BUSY = (
    sa.select(outbox.c.id)
    .where(
        outbox.c.channel == sa.bindparam("b_channel"),
        outbox.c.external_id == sa.bindparam("b_who"),
        outbox.c.status == PENDING,
    )
    .limit(1)
)
_SHOWN = (
    sa.select(outbox.c.status, outbox.c.sent_at)
    .where(
        outbox.c.channel == sa.bindparam("b_channel"),
        outbox.c.external_id == sa.bindparam("b_who"),
        outbox.c.ref == sa.bindparam("b_ref"),
        outbox.c.kind == "message",
    )
    .order_by(sa.case((outbox.c.status == SENT, 0), else_=1), outbox.c.id)
    .limit(1)
)


def busy(conn: sa.Connection, channel: str, external_id: str) -> bool:
    """Whether something said to the person has not gone out yet."""
    return conn.execute(_BUSY, {"b_channel": channel, "b_who": external_id}).first() is not None


def shown(
    conn: sa.Connection, channel: str, external_id: str, ref: str
) -> tuple[str, datetime | None] | None:
    """(status, sent at) of the first message that showed question `ref` (else of the first that tried);
    None if none is kept."""
    row = conn.execute(_SHOWN, {"b_channel": channel, "b_who": external_id, "b_ref": ref}).one_or_none()
    return (row.status, aware(row.sent_at)) if row else None


def forget(conn: sa.Connection, channel: str, external_id: str) -> None:
    """Erase everything said to a person."""
    conn.execute(outbox.delete().where(outbox.c.channel == channel, outbox.c.external_id == external_id))


def prune(conn: sa.Connection, before: datetime) -> int:
    """Forget finished rows created before `before`."""
    return conn.execute(
        outbox.delete().where(outbox.c.status != PENDING, outbox.c.created_at < before)
    ).rowcount
