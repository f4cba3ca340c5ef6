"""Everything stored about one person, as the plain record the exports take (bot/export/portable.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collections.abc import Iterable, Mapping
from bot.storage.tables import (
    activities,
    aware,
    clearances,
    deliveries,
    enrolments,
    measurements,
    people,
    scores,
    triage_results,
)

_FIELDS = {
    "triage_results": (triage_results, ("outcome", "flags", "at"), "id"),
    "clearances": (clearances, ("after_outcome", "at"), "id"),
    "deliveries": (
        deliveries,
        ("day", "local_date", "due_at", "status", "claimed_at", "sent_at", "checkin"),
        "day",
    ),
    "measurements": (measurements, ("at", "cm"), "at"),
    "activities": (activities, ("slot", "name", "created_at"), "slot"),
    "scores": (scores, ("at", "day", "measure", "slot", "value"), "id"),
}
_ENROLMENT = (
    "status",
    "updated_at",
    "delivery_time",
    "time_zone",
    "profile",
    "next_day",
    "next_due",
    "rescreened_at",
    "carry",
)


def person_record(conn: sa.Connection, person_id: int) -> dict[str, Any]:
    """{person, progress, triage_results, clearances, enrolment, deliveries, measurements, activities,
    scores}, times as aware datetimes."""
    row = conn.execute(sa.select(people).where(people.c.id == person_id)).one()
    record: dict[str, Any] = {
        "person": {
            "id": row.id,
            "channel": row.channel,
            "external_id": row.external_id,
            "stopped": row.stopped,
            "created_at": aware(row.created_at),
            "updated_at": aware(row.updated_at),
        },
        "progress": row.progress,
    }
    for name, (table, fields, order) in _FIELDS.items():
        rows = conn.execute(
            sa.select(*(table.c[f] for f in fields))
            .where(table.c.person_id == person_id)
            .order_by(table.c[order])
        ).all()
        record[name] = [{f: _plain(getattr(r, f)) for f in fields} for r in rows]
    enrolment = conn.execute(sa.select(enrolments).where(enrolments.c.person_id == person_id)).one_or_none()
    record["enrolment"] = {f: _plain(getattr(enrolment, f)) for f in _ENROLMENT} if enrolment else None
    return record


def add_scores(
    conn: sa.Connection,
    person_id: int,
    names: Mapping[int, str],
    readings: Iterable[Mapping[str, Any]],
    now: datetime,
) -> None:
    """Store scores ({at, day, measure, slot, value}) and, at the baseline, the activities they rate."""
    for slot, name in names.items():
        conn.execute(
            activities.delete().where(activities.c.person_id == person_id, activities.c.slot == slot)
        )
        conn.execute(
            activities.insert().values(person_id=person_id, slot=slot, name=name[:80], created_at=now)
        )
    rows = [{"person_id": person_id} | dict(r) for r in readings]
    if rows:
        conn.execute(scores.insert(), rows)


def activity_names(conn: sa.Connection, person_id: int) -> dict[int, str]:
    rows = conn.execute(
        sa.select(activities.c.slot, activities.c.name).where(activities.c.person_id == person_id)
    )
    return {slot: name for slot, name in rows}


def _plain(value: Any) -> Any:
    return aware(value) if hasattr(value, "tzinfo") and hasattr(value, "hour") else value
