"""bot/storage/bulk.py: many rows in one statement store exactly what SQLAlchemy's own insert and update
store, on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from bot.storage import bulk
from bot.storage.tables import deliveries, enrolments, outbox, people

UTC = timezone.utc
NOW = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)


def _people(conn: sa.Connection, count: int) -> None:
    conn.execute(people.insert(), [{"id": i, "channel": "telegram", "external_id": str(i), "progress": {},
                                    "created_at": NOW, "updated_at": NOW} for i in range(1, count + 1)])


def _split(rows: list[dict]) -> tuple[tuple[str, ...], list[tuple]]:
    """Dicts with the same keys as bulk takes them: the columns, and a tuple of values per row."""
    return tuple(rows[0]), [tuple(row.values()) for row in rows]


def _outbox_row(n: int) -> dict:
    return {"channel": "telegram", "external_id": str(n), "kind": "photo" if n % 2 else "message",
            "body": {"text": f"day {n} – “quoted” \\ é", "buttons": [["done", "Done"]], "day": n,
                     "none": None},
            "blob": bytes(range(256)) * 3 if n % 2 else None, "ref": f"day{n}", "status": "pending",
            "lease_owner": None if n % 3 else "p1", "lease_until": NOW + timedelta(seconds=n),
            "expires_at": None, "delivery_id": n, "created_at": NOW}


async def test_insert_stores_what_the_orm_insert_stores_and_returns_ids_in_order(store):
    rows = [_outbox_row(n) for n in range(1, 8)]

    def work(conn: sa.Connection):
        conn.execute(outbox.insert(), rows[:1])  # the reference: SQLAlchemy's own statement
        inserted = bulk.insert(conn, outbox, *_split(rows), ("external_id",))
        stored = conn.execute(sa.select(outbox).order_by(outbox.c.id)).all()
        return inserted, stored

    inserted, stored = await store.run(work)
    assert [r.external_id for r in inserted] == [str(n) for n in range(1, 8)]
    assert [r.id for r in inserted] == sorted(r.id for r in inserted)
    reference, *written = stored
    assert [r.id for r in written] == [r.id for r in inserted]
    columns = [c for c in outbox.c.keys() if c != "id"]
    assert {c: getattr(written[0], c) for c in columns} == {c: getattr(reference, c) for c in columns}
    for row, sent in zip(written, rows):
        assert row.body == sent["body"] and row.blob == sent["blob"]
        assert row.lease_until.replace(tzinfo=UTC) == sent["lease_until"]  # SQLite hands back naive UTC


async def test_stored_times_compare_and_sort_as_the_orm_ones(store):
    """On SQLite a time is text: the bulk text must be SQLAlchemy's, or `next_due <= now` goes wrong."""
    def work(conn: sa.Connection):
        _people(conn, 4)
        conn.execute(enrolments.insert(), [{"person_id": 1, "status": "active", "updated_at": NOW,
                                            "next_due": NOW}])
        bulk.insert(conn, deliveries, *_split([
            {"person_id": p, "day": 1, "local_date": date(2026, 3, 29), "due_at": NOW + timedelta(minutes=p),
             "status": "queued", "claimed_at": None} for p in (2, 3)]), ("person_id",))
        conn.execute(enrolments.insert(), [{"person_id": p, "status": "active", "updated_at": NOW,
                                            "next_due": NOW + timedelta(days=1), "carry": {}}
                                           for p in (2, 3)])
        conn.execute(enrolments.insert(), [{"person_id": 4, "status": "active", "updated_at": NOW,
                                            "next_due": NOW + timedelta(days=1), "carry": None}])
        bulk.update(conn, enrolments, "person_id", *_split([
            {"person_id": 2, "next_due": NOW - timedelta(microseconds=1),
             "carry": {"day": 1, "sent": [[1, None]]}},
            {"person_id": 3, "next_due": NOW + timedelta(microseconds=1), "carry": None}]))
        due = sa.select(enrolments.c.person_id).where(enrolments.c.next_due <= NOW).order_by(
            enrolments.c.next_due)
        raw = conn.exec_driver_sql("SELECT local_date FROM deliveries ORDER BY person_id").scalars().all()
        carried = dict(conn.execute(sa.select(enrolments.c.person_id, enrolments.c.carry)).all())
        sql_null = dict(conn.exec_driver_sql("SELECT person_id, carry IS NULL FROM enrolments").all())
        return conn.execute(due).scalars().all(), raw, carried, sql_null

    due, raw, carried, sql_null = await store.run(work)
    assert due == [2, 1]  # 2 a microsecond before now, 1 at now; 3 a microsecond after
    assert [str(d) for d in raw] == ["2026-03-29", "2026-03-29"]
    assert carried[2] == {"day": 1, "sent": [[1, None]]} and carried[3] is None and carried[4] is None
    assert sql_null[3] == sql_null[4]  # None is stored as SQLAlchemy's own insert stores it (JSON null)


async def test_skip_existing_leaves_the_row_there_and_returns_only_the_new_ones(store):
    def work(conn: sa.Connection):
        _people(conn, 3)
        first = bulk.insert(conn, deliveries, *_split([
            {"person_id": 1, "day": 5, "local_date": date(2026, 3, 29), "due_at": NOW, "status": "sent",
             "claimed_at": NOW}]), ("person_id",), skip_existing=("person_id", "day"))
        again = bulk.insert(conn, deliveries, *_split([
            {"person_id": p, "day": 5, "local_date": date(2026, 3, 30), "due_at": NOW, "status": "queued",
             "claimed_at": NOW} for p in (1, 2, 3)]), ("person_id",), skip_existing=("person_id", "day"))
        statuses = dict(conn.execute(sa.select(deliveries.c.person_id, deliveries.c.status)).all())
        return first, again, statuses

    first, again, statuses = await store.run(work)
    assert [r.person_id for r in first] == [1]
    assert [r.person_id for r in again] == [2, 3] and first[0].id not in {r.id for r in again}
    assert statuses == {1: "sent", 2: "queued", 3: "queued"}
