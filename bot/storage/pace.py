"""The send cap's state on PostgreSQL, shared by every process of the bot.

The overall cap is `rate` slots (rows "slot:<n>"): a request takes a free slot, and gives it back a
second after its answer came (slots are taken on the database's clock), so that at most
`rate` requests reach Telegram in any second, however late each one travels. A slot held by a process
that died comes back after LEASE. Each chat has a GCRA (generic cell rate algorithm) clock: the
earliest time its next message keeps to the chat's rate. "pause" is when a 429's retry_after ends;
no slot is free before it.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from bot.storage.tables import insert_new, send_pace

PAUSE = "pause"
NOTIFY = "backline"  # the LISTEN/NOTIFY channel of bot/runtime/coordinator.py
LEASE = 15.0  # seconds after which a slot taken and never given back (its process died) is free again


@dataclass(frozen=True, slots=True)
class Rate:
    """At most one send every `interval` seconds, after a burst of `burst` seconds' worth."""

    interval: float
    burst: float = 0.0


def gcra(clocks: dict[str, float], now: float, key: str, rate: Rate) -> float:
    """When a send under `key` may go (never before a pause), given the clocks (updated in place)."""
    at = max(now, clocks.get(key, now) - rate.burst, clocks.get(PAUSE, now))
    clocks[key] = max(clocks.get(key, now), at) + rate.interval
    return at


_NOW = sa.text("SELECT extract(epoch FROM clock_timestamp())")


def _now(conn: sa.Connection) -> float:
    return float(conn.execute(_NOW).scalar_one())


def slots(count: int) -> list[str]:
    return [f"slot:{n}" for n in range(count)]


def reserve_chat(conn: sa.Connection, chat: str, rate: Rate) -> float:
    """Reserve a send to `chat` under its rate: in how many seconds it may go."""
    conn.execute(insert_new(conn.dialect.name, send_pace, "key"), [{"key": chat, "at": 0.0}])
    query = sa.select(send_pace.c.key, send_pace.c.at)
    clocks = {key: at for key, at in conn.execute(query.where(send_pace.c.key == chat).with_for_update())}
    clocks |= {key: at for key, at in conn.execute(query.where(send_pace.c.key == PAUSE))}  # not locked
    now = _now(conn)
    at = gcra(clocks, now, chat, rate)
    conn.execute(send_pace.update().where(send_pace.c.key == chat).values(at=clocks[chat]))
    return at - now


def prepare(conn: sa.Connection, count: int) -> None:
    """The `count` overall slots, and the pause, exist."""
    rows = [{"key": k, "at": 0.0} for k in slots(count) + [PAUSE]]
    conn.execute(insert_new(conn.dialect.name, send_pace, "key"), rows)


def take(conn: sa.Connection, count: int) -> tuple[str | None, float]:
    """Take one of the `count` overall slots: (its key, 0), or (None, seconds until one may be free)."""
    keys = slots(count)
    now = _now(conn)
    free = conn.execute(sa.select(send_pace.c.key)
                        .where(send_pace.c.key.in_(keys), send_pace.c.at <= now)
                        .order_by(send_pace.c.at).limit(1).with_for_update(skip_locked=True)).scalar()
    if free is None:
        soonest = conn.execute(sa.select(sa.func.min(send_pace.c.at)).where(send_pace.c.key.in_(keys)))
        return None, max(0.01, float(soonest.scalar_one()) - now)
    conn.execute(send_pace.update().where(send_pace.c.key == free).values(at=now + LEASE))
    return free, 0.0


def give_back(conn: sa.Connection, key: str, at: float) -> None:
    """The request made under slot `key` was answered: the slot is free at `at` (seconds since the
    epoch, a second after the answer; this process's clock, which on one host is the database's), and
    not before a pause ends."""
    pause_at = sa.select(send_pace.c.at).where(send_pace.c.key == PAUSE).scalar_subquery()
    at = sa.func.greatest(at, sa.func.coalesce(pause_at, 0.0))
    conn.execute(send_pace.update().where(send_pace.c.key == key).values(at=at))


def pause(conn: sa.Connection, seconds: float) -> float:
    """Hold every send for `seconds` (a 429's retry_after), and tell every process; how long it holds."""
    now = _now(conn)
    conn.execute(insert_new(conn.dialect.name, send_pace, "key"), {"key": PAUSE, "at": 0.0})
    until = conn.execute(send_pace.update().where(send_pace.c.key == PAUSE)
                         .values(at=sa.func.greatest(send_pace.c.at, now + seconds))
                         .returning(send_pace.c.at)).scalar_one()
    conn.execute(send_pace.update().where(send_pace.c.key.like("slot:%"))
                 .values(at=sa.func.greatest(send_pace.c.at, until)))
    conn.execute(sa.select(sa.func.pg_notify(NOTIFY, f"pause {until}")))
    return until - now


def prune(conn: sa.Connection, now: float) -> int:
    """Forget chat clocks long past (they no longer hold anyone back)."""
    old = sa.and_(send_pace.c.key.like("chat:%"), send_pace.c.at < now - 3600)
    return conn.execute(send_pace.delete().where(old)).rowcount
