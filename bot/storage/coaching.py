"""Coaching records: enrolments and their schedule, deliveries (claimed once), check-ins, measurements.

Plain functions on a Connection, so that they run inside one Store transaction with the rest of a step.
"""
from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from bot.storage import bulk
from bot.storage.tables import Time, deliveries, enrolments, measurements, outbox, people
from bot.storage.tables import aware as _aware
from bot.turn import Enrolment, Planner


class Due(NamedTuple):
    """A plan day claimed for sending: who, which day, with their calf-check profile (a tuple: a batch
    claims a thousand)."""

    delivery_id: int
    person_id: int
    channel: str
    external_id: str
    day: int
    local_date: date
    profile: dict[str, Any]
    rescreened: bool = False  # the screen ran again after the six weeks
    zone: str = "UTC"
    locale: str | None = None  # the person's language
    decision: Any = None  # what the plan decided for the day (Advance.decision)


def enrolment(conn: sa.Connection, person_id: int, lock: bool = False) -> Enrolment | None:
    """The person's enrolment; `lock` holds its row (PostgreSQL) so a delivery claim can't race the step."""
    query = sa.select(enrolments).where(enrolments.c.person_id == person_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        return None
    return Enrolment(row.person_id, row.status, row.delivery_time, row.time_zone, row.profile or {},
                     row.next_day, _aware(row.next_due), _aware(row.rescreened_at), row.carry or {})


def save_enrolment(conn: sa.Connection, person_id: int, now: datetime, **values: Any) -> None:
    """Set enrolment fields, creating the enrolment if there is none."""
    values["updated_at"] = now
    done = conn.execute(enrolments.update().where(enrolments.c.person_id == person_id).values(values))
    if done.rowcount == 0:
        conn.execute(enrolments.insert().values(person_id=person_id, **values))


def drop_queued(conn: sa.Connection, person_id: int) -> None:
    """Plan days queued for the person and not sent yet are not sent: recorded as skipped."""
    queued = sa.select(deliveries.c.id).where(deliveries.c.person_id == person_id,
                                              deliveries.c.status == "queued")
    ids = list(conn.execute(queued).scalars())
    if ids:
        conn.execute(outbox.update().where(outbox.c.delivery_id.in_(ids), outbox.c.status == "pending")
                     .values(status="expired"))
        conn.execute(deliveries.update().where(deliveries.c.id.in_(ids)).values(status="skipped"))


def record_checkin(conn: sa.Connection, person_id: int, day: int, answer: str) -> None:
    conn.execute(deliveries.update().where(deliveries.c.person_id == person_id, deliveries.c.day == day)
                 .values(checkin=answer))


def add_measurement(conn: sa.Connection, person_id: int, at: datetime, cm: float) -> None:
    conn.execute(measurements.insert().values(person_id=person_id, at=at, cm=float(cm)))


def claim_due(conn: sa.Connection, now: datetime, limit: int, channel: str, plan: Planner,
              external_id: str | None = None) -> list[Due]:
    """Claim up to `limit` enrolments due by `now` on `channel`, each exactly once, even with several
    processes, and record what `plan` makes of each: skipped days, and the day to send as queued (the
    outbox row that sends it marks it sent)."""
    params = {"b_now": now, "b_channel": channel, "b_limit": limit}
    if external_id is not None:
        params["b_external"] = external_id
    rows = conn.execute(_due(conn.dialect.name, external_id is not None), params).all()
    days, advanced, sending = [], [], {}
    # the plan decides; the writes below go in two batched statements
    for person_id, next_day, next_due, at, zone, profile, rescreened_at, carry, external, locale in rows:
        step = plan(next_day, _aware(next_due), at, zone, now, carry or {})
        for day, local, due in step.skipped:
            days.append((person_id, day, local, due, "skipped", None))
        if step.send is not None:
            day, local, due = step.send
            days.append((person_id, day, local, due, "queued", now))
            sending[person_id] = (external, day, local, profile or {}, rescreened_at is not None, zone,
                                  locale, step.decision)
        kept = carry if step.carry is None else step.carry
        advanced.append((person_id, step.next_day, step.next_due, kept))
    claimed = []
    if days:  # a day that already has a row was claimed by another process: it is not ours
        inserted = bulk.insert(conn, deliveries, _DELIVERY, days, ("person_id", "status"),
                               skip_existing=("person_id", "day"))
        claimed = [Due(delivery_id, person_id, channel, *sending[person_id])
                   for delivery_id, person_id, status in inserted if status == "queued"]
    if advanced:
        bulk.update(conn, enrolments, "person_id", _ADVANCED, advanced)
    return claimed


_DELIVERY = ("person_id", "day", "local_date", "due_at", "status", "claimed_at")  # claim_due's rows
_ADVANCED = ("person_id", "next_day", "next_due", "carry")
_LOCALE = people.c.progress["locale"].as_string().label("locale")  # not the whole conversation's progress
# What claim_due unpacks from each due row, before the person's external id and language.
_DUE_COLUMNS = (enrolments.c.person_id, enrolments.c.next_day, enrolments.c.next_due,
                enrolments.c.delivery_time, enrolments.c.time_zone, enrolments.c.profile,
                enrolments.c.rescreened_at, enrolments.c.carry)


@functools.cache
def _due(dialect: str, one: bool) -> sa.Select:
    """Up to `b_limit` active enrolments due by `b_now` of people on `b_channel` not stopped (with `one`:
    of the person `b_external`), with the person's external id and language, soonest first; on PostgreSQL
    locked (skipping rows another process holds). Built once: a batch of due days is claimed each minute."""
    due = (enrolments.c.status == "active", enrolments.c.next_due <= sa.bindparam("b_now", type_=Time))
    who = [people.c.channel == sa.bindparam("b_channel"), people.c.stopped.is_(None)]
    if one:
        who.append(people.c.external_id == sa.bindparam("b_external"))
    if dialect == "postgresql" and not one:
        # The person of each due enrolment, looked up (LATERAL): in a join, PostgreSQL hashes every person.
        person = (sa.select(people.c.external_id, _LOCALE).where(people.c.id == enrolments.c.person_id, *who)
                  .limit(1).lateral("person"))
        query = (sa.select(*_DUE_COLUMNS, person.c.external_id, person.c.locale)
                 .join_from(enrolments, person, sa.true()).where(*due))
    else:
        query = (sa.select(*_DUE_COLUMNS, people.c.external_id, _LOCALE)
                 .join_from(enrolments, people, people.c.id == enrolments.c.person_id).where(*due, *who))
    query = query.order_by(enrolments.c.next_due).limit(sa.bindparam("b_limit"))
    return query.with_for_update(of=enrolments, skip_locked=True) if dialect == "postgresql" else query

