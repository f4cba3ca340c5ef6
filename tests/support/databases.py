"""Throw-away databases for tests and benchmarks, and people already on the plan."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import sqlalchemy as sa

from bot.storage import Store
from bot.storage.tables import enrolments, people


async def fresh_postgres(base: str, prefix: str = "backline") -> tuple[str, str]:
    """A new, empty database on the server of `base` (a PostgreSQL URL): its URL and name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.rsplit("/", 1)[0] + f"/{name}", name


async def seed_plan_days(url: str, ids: list[int], due: list[datetime] | None = None) -> None:
    """People enrolled on Telegram whose first plan day fell due a minute ago (or falls due at `due`)."""
    now = datetime.now(timezone.utc)
    due = due or [now - timedelta(minutes=1)] * len(ids)
    store = await Store.open(url)

    def load(conn: sa.Connection) -> None:
        for uid, at in zip(ids, due, strict=True):
            pid = conn.execute(
                people.insert().values(
                    channel="telegram", external_id=str(uid), progress={}, created_at=now, updated_at=now
                )
            ).inserted_primary_key[0]
            conn.execute(
                enrolments.insert().values(
                    person_id=pid,
                    status="active",
                    updated_at=now,
                    delivery_time=now.strftime("%H:%M"),
                    time_zone="UTC",
                    profile={},
                    next_day=1,
                    next_due=at,
                )
            )

    try:
        await store.run(load)
    finally:
        await store.close()
