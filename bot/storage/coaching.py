"""Coaching records: enrolments and their schedule, deliveries (claimed once), check-ins, measurements.

Plain functions on a Connection, so that they run inside one Store transaction with the rest of a step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from bot.coaching.schedule import due_at, following, local_date
from bot.storage.tables import deliveries, enrolments, insert_new, measurements, people

# A claim older than this was lost with its process and is sent again; longer than any send takes,
# flood-control waits included, so that a slow sender is never doubled by another process.
STALE_CLAIM = timedelta(minutes=15)


@dataclass
class Enrolment:
    person_id: int
    status: str
    delivery_time: str | None
    time_zone: str | None
    profile: dict[str, Any]
    next_day: int | None
    next_due: datetime | None
    rescreened_at: datetime | None = None


@dataclass
class Due:
    """A delivery claimed for sending: who, which plan day, with their calf-check profile."""

    delivery_id: int
    person_id: int
    channel: str
    external_id: str
    day: int
    local_date: date
    profile: dict[str, Any]
    rescreened: bool = False  # the screen ran again after the six weeks
    locale: str | None = None  # the person's language


def enrolment(conn: sa.Connection, person_id: int, lock: bool = False) -> Enrolment | None:
    """The person's enrolment; `lock` holds its row (PostgreSQL) so a delivery claim can't race a change."""
    query = sa.select(enrolments).where(enrolments.c.person_id == person_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    return Enrolment(row.person_id, row.status, row.delivery_time, row.time_zone, row.profile or {},
                     row.next_day, _aware(row.next_due), _aware(row.rescreened_at))


def save_enrolment(conn: sa.Connection, person_id: int, now: datetime, **values: Any) -> None:
    values["updated_at"] = now
    done = conn.execute(enrolments.update().where(enrolments.c.person_id == person_id).values(values))
    if done.rowcount == 0:
        conn.execute(enrolments.insert().values(person_id=person_id, **values))


def next_plan_day(conn: sa.Connection, person_id: int) -> int:
    """Where a (re-)enrolled person's plan carries on: after the last day already recorded."""
    last = conn.execute(sa.select(sa.func.max(deliveries.c.day)).where(deliveries.c.person_id == person_id))
    return (last.scalar_one() or 0) + 1


def last_delivered_at(conn: sa.Connection, person_id: int) -> datetime | None:
    """When the latest plan day that was sent (or is being sent) fell due."""
    return _aware(conn.execute(sa.select(sa.func.max(deliveries.c.due_at)).where(
        deliveries.c.person_id == person_id, deliveries.c.status != "skipped")).scalar_one())


def delivered_day(conn: sa.Connection, person_id: int, day: int) -> dict | None:
    row = conn.execute(sa.select(deliveries).where(deliveries.c.person_id == person_id, deliveries.c.day == day,
                                                   deliveries.c.status == "sent")).one_or_none()
    return row._asdict() if row else None


def record_checkin(conn: sa.Connection, person_id: int, day: int, answer: str) -> None:
    conn.execute(deliveries.update().where(deliveries.c.person_id == person_id, deliveries.c.day == day)
                 .values(checkin=answer))


def add_measurement(conn: sa.Connection, person_id: int, at: datetime, cm: float) -> None:
    conn.execute(measurements.insert().values(person_id=person_id, at=at, cm=float(cm)))


def history(conn: sa.Connection, person_id: int) -> tuple[list[tuple[int, str | None]], list[tuple[datetime, float]]]:
    """(day, check-in) of every sent delivery, and every (time, cm) measurement, oldest first."""
    sent = conn.execute(sa.select(deliveries.c.day, deliveries.c.checkin).where(
        deliveries.c.person_id == person_id, deliveries.c.status == "sent").order_by(deliveries.c.day)).all()
    measured = conn.execute(sa.select(measurements.c.at, measurements.c.cm).where(
        measurements.c.person_id == person_id).order_by(measurements.c.at)).all()
    return [tuple(r) for r in sent], [(_aware(at), cm) for at, cm in measured]


def claim_due(conn: sa.Connection, now: datetime, limit: int, channel: str,
              external_id: str | None = None) -> list[Due]:
    """Claim up to `limit` deliveries due by `now` on `channel`, each exactly once, even with several processes.

    A day whose local date has passed unsent is recorded as skipped and the plan moves on; a claim
    left unsent by a process that died is taken again while its local day lasts.
    """
    who = [people.c.channel == channel, people.c.stopped.is_(None)]
    if external_id is not None:
        who.append(people.c.external_id == external_id)
    due = _claim_scheduled(conn, now, limit, who)
    return due + _reclaim_stale(conn, now, limit - len(due), who) if len(due) < limit else due


def _claim_scheduled(conn: sa.Connection, now: datetime, limit: int, who: list) -> list[Due]:
    query = (sa.select(enrolments.c.person_id, enrolments.c.next_day, enrolments.c.next_due,
                       enrolments.c.delivery_time, enrolments.c.time_zone, enrolments.c.profile,
                       enrolments.c.rescreened_at, people.c.channel, people.c.external_id, people.c.progress)
             .join(people, people.c.id == enrolments.c.person_id)
             .where(enrolments.c.status == "active", enrolments.c.next_due <= now, *who)
             .order_by(enrolments.c.next_due).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=enrolments, skip_locked=True)
    rows = conn.execute(query).all()
    skipped, sending, advanced, claims = [], [], [], {}
    for row in rows:  # the schedule in Python; the writes below go in three batched statements
        day, due, zone, at = row.next_day, _aware(row.next_due), row.time_zone, row.delivery_time
        local, today = local_date(due, zone), local_date(now, zone)
        while local < today:  # missed while nobody was running: skip it and move on
            skipped.append(_delivery_row(row.person_id, day, local, due, "skipped", None))
            day, (local, due) = day + 1, following(day, local, at, zone)
        if due <= now:
            sending.append(_delivery_row(row.person_id, day, local, due, "sending", now))
            claims[row.person_id] = Due(0, row.person_id, row.channel, row.external_id, day, local,
                                        row.profile or {}, row.rescreened_at is not None, _locale(row))
            day, (local, due) = day + 1, following(day, local, at, zone)
        advanced.append({"b_pid": row.person_id, "b_day": day, "b_due": due})
    if skipped:
        conn.execute(_insert_deliveries(conn.dialect.name), skipped)
    claimed = []
    if sending:  # a day that already has a row was claimed by another process: it is not ours
        for delivery_id, person_id in conn.execute(_insert_deliveries(conn.dialect.name, returning=True), sending):
            claims[person_id].delivery_id = delivery_id
            claimed.append(claims[person_id])
    if advanced:
        conn.execute(_ADVANCE, advanced)
    return claimed


def _reclaim_stale(conn: sa.Connection, now: datetime, limit: int, who: list) -> list[Due]:
    query = (sa.select(deliveries, enrolments.c.status.label("plan_status"), enrolments.c.time_zone,
                       enrolments.c.profile, enrolments.c.rescreened_at, people.c.channel,
                       people.c.external_id, people.c.progress)
             .join(enrolments, enrolments.c.person_id == deliveries.c.person_id)
             .join(people, people.c.id == deliveries.c.person_id)
             .where(deliveries.c.status == "sending", deliveries.c.claimed_at < now - STALE_CLAIM, *who)
             .limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=deliveries, skip_locked=True)
    claimed = []
    for row in conn.execute(query).all():
        if row.plan_status != "active" or row.local_date < local_date(now, row.time_zone):  # held, or too late
            conn.execute(deliveries.update().where(deliveries.c.id == row.id).values(status="skipped"))
            continue
        conn.execute(deliveries.update().where(deliveries.c.id == row.id).values(claimed_at=now))
        claimed.append(Due(row.id, row.person_id, row.channel, row.external_id, row.day, row.local_date,
                           row.profile or {}, row.rescreened_at is not None, _locale(row)))
    return claimed


def _locale(row: sa.Row) -> str | None:
    return (row.progress or {}).get("locale")


_ADVANCE = enrolments.update().where(enrolments.c.person_id == sa.bindparam("b_pid")).values(
    next_day=sa.bindparam("b_day"), next_due=sa.bindparam("b_due"))


def _delivery_row(person_id: int, day: int, local: date, due: datetime, status: str,
                  claimed_at: datetime | None) -> dict[str, Any]:
    return {"person_id": person_id, "day": day, "local_date": local, "due_at": due, "status": status,
            "claimed_at": claimed_at}


def _insert_deliveries(dialect: str, returning: bool = False):
    """INSERT of delivery rows, skipping days that already have one (another process claimed them)."""
    statement = insert_new(dialect, deliveries, "person_id", "day")
    return statement.returning(deliveries.c.id, deliveries.c.person_id) if returning else statement


def finish_delivery(conn: sa.Connection, due: Due, status: str, now: datetime) -> None:
    """Mark a claimed delivery sent, or blocked (and then the person is sent nothing more)."""
    conn.execute(deliveries.update().where(deliveries.c.id == due.delivery_id)
                 .values(status=status, sent_at=now if status == "sent" else None))
    if status == "blocked":
        conn.execute(people.update().where(people.c.id == due.person_id).values(stopped="blocked"))


def schedule_from(conn: sa.Connection, person_id: int, now: datetime, at: str, zone: str) -> tuple[date, datetime]:
    """The next due date and instant for a (new) time or zone, never a second message on a day already served
    (the last one's instant is read in the new zone, so a change of zone can neither double nor drop a day)."""
    local = local_date(now, zone)
    due = due_at(local, at, zone)
    last_at = last_delivered_at(conn, person_id)
    last = local_date(last_at, zone) if last_at is not None else None
    while due <= now or (last is not None and local <= last):
        local += timedelta(days=1)
        due = due_at(local, at, zone)
    return local, due


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value
