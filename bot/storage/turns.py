"""Loading a Turn before a step and applying its effects after it, in the step's transaction.

Applying holds no product rules: each effect is one plain write (bot/turn.py says what they mean).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from bot.engine.progress import Progress
from bot.storage import coaching, inbox, outbox, records
from bot.storage.tables import activities, aware, clearances, deliveries, insert_new, people, triage_results
from bot.turn import (AddMeasurement, AddScores, DropQueued, Effect, Forget, Person, PlanDay, RecordCheckin,
                      RecordClearance, RecordOutcome, SaveEnrolment, SaveProgress, SetStopped, Turn)

# Statements built once: building them per call costs more than SQLite's own work.
_SELECT_PERSON = sa.select(people).where(people.c.channel == sa.bindparam("b_channel"),
                                         people.c.external_id == sa.bindparam("b_external"))
_LOCK_PERSON = _SELECT_PERSON.with_for_update()
_DAYS = sa.select(deliveries.c.day, deliveries.c.status, deliveries.c.due_at, deliveries.c.checkin).where(
    deliveries.c.person_id == sa.bindparam("b_pid"))
_ACTIVITIES = sa.select(activities.c.slot, activities.c.name).where(
    activities.c.person_id == sa.bindparam("b_pid"))
_SAVE = people.update().where(people.c.id == sa.bindparam("b_id")).values(
    progress=sa.bindparam("b_progress"), updated_at=sa.bindparam("b_now"))


def load(conn: sa.Connection, person: Person, now: datetime,
         record: bool | Callable[[Turn], bool] = False) -> Turn:
    """A step's Turn: the person (from load_person) and their coaching data; with `record` (or when
    `record(turn)` says so, asked of the Turn loaded so far), everything stored about them too."""
    key = {"b_pid": person.id}
    enrolment = coaching.enrolment(conn, person.id, lock=True)
    days = {r.day: PlanDay(r.day, r.status, aware(r.due_at), r.checkin) for r in conn.execute(_DAYS, key)}
    names = {slot: name for slot, name in conn.execute(_ACTIVITIES, key)}
    turn = Turn(person, now, enrolment, days, names)
    if record(turn) if callable(record) else record:
        turn.record = records.person_record(conn, person.id)
    return turn


def _person(row: sa.Row) -> Person:
    return Person(row.id, row.channel, row.external_id, Progress.from_dict(row.progress), row.stopped)


def find(conn: sa.Connection, channel: str, external_id: str, lock: bool = False) -> Person | None:
    """The person, if known; `lock` holds their row for the step (PostgreSQL)."""
    query = _LOCK_PERSON if lock and conn.dialect.name == "postgresql" else _SELECT_PERSON
    row = conn.execute(query, {"b_channel": channel, "b_external": external_id}).one_or_none()
    return _person(row) if row else None


def load_person(conn: sa.Connection, channel: str, external_id: str, now: datetime) -> Person:
    """The person, locked for the step (PostgreSQL), created if new."""
    person = find(conn, channel, external_id, lock=True)
    if person is None:
        first = Progress(step=int(now.timestamp() * 1000))  # refs never repeat, even after an erasure
        conn.execute(insert_new(conn.dialect.name, people, "channel", "external_id"),
                     {"channel": channel, "external_id": external_id, "progress": first.to_dict(),
                      "created_at": now, "updated_at": now})
        person = find(conn, channel, external_id, lock=True)
    return person


def apply(conn: sa.Connection, turn: Turn) -> None:
    """Write the turn's effects, in the order the step recorded them."""
    for effect in turn.effects:
        _write(conn, turn, effect)


def _write(conn: sa.Connection, turn: Turn, effect: Effect) -> None:
    person, now = turn.person, turn.now
    match effect:
        case SaveProgress(progress):
            conn.execute(_SAVE, {"b_id": person.id, "b_progress": progress.to_dict(), "b_now": now})
        case SetStopped(reason):
            conn.execute(people.update().where(people.c.id == person.id).values(stopped=reason))
        case RecordOutcome(outcome, flags):
            conn.execute(triage_results.insert().values(person_id=person.id, outcome=outcome,
                                                        flags=list(flags), at=now))
        case RecordClearance(after_outcome):
            conn.execute(clearances.insert().values(person_id=person.id, after_outcome=after_outcome, at=now))
        case Forget():
            conn.execute(people.delete().where(people.c.id == person.id))
            outbox.forget(conn, person.channel, person.external_id)
            inbox.forget(conn, person.channel, person.external_id)
        case SaveEnrolment(values):
            coaching.save_enrolment(conn, person.id, now, **values)
        case DropQueued():
            coaching.drop_queued(conn, person.id)
        case RecordCheckin(day, answer):
            coaching.record_checkin(conn, person.id, day, answer)
        case AddMeasurement(cm):
            coaching.add_measurement(conn, person.id, now, cm)
        case AddScores(names, readings):
            records.add_scores(conn, person.id, names, readings, now)
        case _:
            raise TypeError(f"not an effect: {effect!r}")
