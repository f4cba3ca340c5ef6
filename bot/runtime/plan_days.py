"""Plan days into the outbox: the scheduler's job writes the rows of every day now due; the dispatcher
sends them. A day's row expires at the end of its local day (a day not sent by then is skipped)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.coaching.coach import Coach
from bot.coaching.schedule import advance, due_at
from bot.runtime import rows
from bot.storage import coaching as records
from bot.storage import outbox
from bot.storage.outbox import Row


def queue_due(
    conn: sa.Connection,
    coach: Coach,
    channel: str,
    now: datetime,
    limit: int,
    owner: str,
    until: datetime,
    external_id: str | None = None,
) -> list[Row]:
    """Claim up to `limit` plan days due by `now` and write their messages, leased to `owner`."""
    written: list[Row] = []
    for due in records.claim_due(conn, now, limit, channel, advance, external_id):
        message = coach.day_message(due.day, due.profile, due.locale or "en", rescreened=due.rescreened)
        draft = rows.draft_of(message)
        draft = outbox.Draft(
            draft.kind,
            draft.body | {"day": due.day},
            ref=draft.ref,
            delivery_id=due.delivery_id,
            expires_at=due_at(due.local_date + timedelta(days=1), "00:00", due.zone),
        )
        written += outbox.write(conn, channel, due.external_id, [draft], now, owner, until)
    return written
