"""The tables. Alembic migrations (migrations/versions) create and upgrade them."""
from __future__ import annotations

import functools
from datetime import datetime, timezone

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# How a JSON column's value is written (storage/store.py's codec, storage/bulk.py's documents): keys that
# are not strings become strings, as the standard library's json.dumps writes them.
JSON_OPTIONS = orjson.OPT_NON_STR_KEYS
Time = sa.DateTime(timezone=True)

people = sa.Table(
    "people", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(64), nullable=False),
    sa.Column("progress", Json, nullable=False),
    sa.Column("last_update", sa.BigInteger, nullable=True),
    sa.Column("stopped", sa.String(16), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.UniqueConstraint("channel", "external_id", name="uq_people_channel_external"),
)

triage_results = sa.Table(
    "triage_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("flags", Json, nullable=False),
    sa.Column("at", Time, nullable=False),
)

clearances = sa.Table(
    "clearances", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("after_outcome", sa.String(16), nullable=False),
    sa.Column("at", Time, nullable=False),
)

enrolments = sa.Table(
    "enrolments", metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("delivery_time", sa.String(5), nullable=True),
    sa.Column("time_zone", sa.String(64), nullable=True),
    sa.Column("profile", Json, nullable=True),
    sa.Column("next_day", sa.Integer, nullable=True),
    sa.Column("next_due", Time, nullable=True),
    sa.Column("rescreened_at", Time, nullable=True),
    sa.Column("carry", Json, nullable=True),  # the adaptive planner's state (bot/coaching/adapt.py)
    sa.Index("ix_enrolments_due", "status", "next_due"),
)

deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("day", sa.Integer, nullable=False),
    sa.Column("local_date", sa.Date, nullable=False),
    sa.Column("due_at", Time, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("claimed_at", Time, nullable=True),
    sa.Column("sent_at", Time, nullable=True),
    sa.Column("checkin", sa.String(16), nullable=True),
    sa.UniqueConstraint("person_id", "day", name="uq_deliveries_person_day"),
)

measurements = sa.Table(
    "measurements", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("cm", sa.Float, nullable=False),
)

# The Patient-Specific Functional Scale's activities (up to three) and every 0-10 score: pain, and each
# activity's rating, at enrolment (day 0) and on measuring days.
activities = sa.Table(
    "activities", metadata,
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

scores = sa.Table(
    "scores", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("day", sa.Integer, nullable=False),
    sa.Column("measure", sa.String(16), nullable=False),
    sa.Column("slot", sa.Integer, nullable=True),
    sa.Column("value", sa.Float, nullable=False),
)

# Every input, stored before it is acknowledged; unique per channel and update id, so that an update
# delivered twice (or out of order) is applied once. Its payload is cleared once it has been applied.
inbox = sa.Table(
    "inbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("update_id", sa.BigInteger, nullable=False),
    sa.Column("external_id", sa.String(64), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("payload", Json, nullable=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("received_at", Time, nullable=False),
    sa.UniqueConstraint("channel", "update_id", name="uq_inbox_channel_update"),
    sa.Index("ix_inbox_person", "channel", "external_id", "status"),
    sa.Index("ix_inbox_status", "status", "received_at"),
)

# Every output, written in the step's transaction, sent in order per person by the dispatcher and
# marked as it goes. A lease (owner, until) is held while a process sends; a lapsed one is taken over.
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("body", Json, nullable=False),
    sa.Column("blob", sa.LargeBinary, nullable=True),
    sa.Column("ref", sa.String(32), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("lease_owner", sa.String(32), nullable=True),
    sa.Column("lease_until", Time, nullable=True),
    sa.Column("expires_at", Time, nullable=True),
    sa.Column("delivery_id", sa.Integer, nullable=True),
    sa.Column("sent_id", sa.BigInteger, nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("sent_at", Time, nullable=True),
    sa.Index("ix_outbox_person", "channel", "external_id", "status", "id"),
    sa.Index("ix_outbox_pending", "status", "lease_until"),
)


# The send cap shared by every process of one bot (PostgreSQL): for each key ("global", "chat:<id>") the
# earliest time, in seconds since the epoch, at which the next send keeps to the rate; "pause" is when a
# 429's retry_after ends.
send_pace = sa.Table(
    "send_pace", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
)


@functools.cache
def insert_new(dialect: str, table: sa.Table, *unique: str):
    """INSERT into `table` that skips rows whose `unique` columns already exist; built once per dialect."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return insert.on_conflict_do_nothing(index_elements=list(unique))


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value
