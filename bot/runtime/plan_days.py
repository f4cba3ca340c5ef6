"""Plan days into the outbox: the scheduler's job writes the rows of every day now due; the dispatcher
sends them. A day's row expires at the end of its local day (a day not sent by then is skipped)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.coaching.coach import Coach
from bot.coaching.schedule import due_at
from bot.engine import Message
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
    """Claim up to `limit` plan days due by `now`, as the adaptive plan decides them, and write their
    messages (the day's, then a nudge if any), leased to `owner`, in one statement."""
    drafts: list[tuple[str, outbox.Draft]] = []
    # Days share messages (a message is one day's): a draft and its body by message id, so that a body
    # shared is written once (the message is kept too, so that its id stays its own).
    made: dict[int, tuple[Message, outbox.Draft, dict]] = {}
    for due in records.claim_due(conn, now, limit, channel, coach.planner, external_id):
        expires = due_at(due.local_date + _DAY, "00:00", due.zone)
        messages = coach.day_messages(due.day, due.profile, due.locale or "en", due.rescreened, due.decision)
        for n, message in enumerate(messages):
            kept = made.get(id(message))
            if kept is None:
                d = rows.draft_of(message)
                kept = made[id(message)] = message, d, d.body | {"day": due.day}
            _, d, first = kept
            body, delivery = (first, due.delivery_id) if n == 0 else (d.body, None)
            drafts.append((due.external_id, outbox.Draft(d.kind, body, d.blob, d.ref, delivery, expires)))
    return outbox.write_many(conn, channel, drafts, now, owner, until)


_DAY = timedelta(days=1)
