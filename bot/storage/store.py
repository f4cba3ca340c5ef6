"""The Store: each conversation step is one transaction, on SQLite (default) or PostgreSQL.

A step's reads and writes are one synchronous unit of work on a SQLAlchemy Connection. On
PostgreSQL it runs through the async engine (asyncpg) with `run_sync`. On SQLite it goes to one
database thread (aiosqlite would cost a thread hop for every cursor call, about ten a step),
which commits the steps queued at that moment together (group commit): no step is answered
before its commit, and a step that fails is re-run alone so that it fails alone.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.engine.progress import Progress
from bot.storage.tables import clearances, deliveries, insert_new, people, triage_results

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x6261636B  # one migrator at a time on a shared database
T = TypeVar("T")


# Statements built once: building them per call costs more than SQLite's own work.
_SELECT_PERSON = sa.select(people).where(people.c.channel == sa.bindparam("b_channel"),
                                         people.c.external_id == sa.bindparam("b_external"))
_LOCK_PERSON = _SELECT_PERSON.with_for_update()
_SAVE = people.update().where(people.c.id == sa.bindparam("b_id")).values(
    progress=sa.bindparam("b_progress"), updated_at=sa.bindparam("b_now"))
_SAVE_WITH_UPDATE = _SAVE.values(last_update=sa.bindparam("b_update"))


class StorageUnavailable(Exception):
    """The database could not be reached or failed; the step was rolled back."""


def default_database_url() -> str:
    """DATABASE_URL, or a SQLite file in the per-user data directory."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_url(url)
    folder = Path(platformdirs.user_data_dir("backline", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'backline.db'}"


def normalize_url(url: str) -> str:
    """asyncpg for PostgreSQL; the standard sqlite3 module (in the database thread) for SQLite."""
    for prefix, driver in (("postgres://", "postgresql+asyncpg://"), ("postgresql://", "postgresql+asyncpg://"),
                           ("sqlite+aiosqlite://", "sqlite://")):
        if url.startswith(prefix):
            return driver + url[len(prefix):]
    return url


@dataclass
class Person:
    """A person's row: who they are on which channel, and their conversation progress."""

    id: int
    channel: str
    external_id: str
    progress: Progress
    last_update: int | None
    stopped: str | None


class Turn:
    """One step's view of a person, and its writes; all commit together or not at all."""

    def __init__(self, conn: sa.Connection, person: Person, now: datetime):
        self.conn, self.person, self.now = conn, person, now

    def save(self, progress: Progress, update_id: int | None = None) -> None:
        values = {"b_id": self.person.id, "b_progress": progress.to_dict(), "b_now": self.now}
        if update_id is None:
            self.conn.execute(_SAVE, values)
        else:
            self.conn.execute(_SAVE_WITH_UPDATE, values | {"b_update": update_id})
        self.person.progress = progress

    def set_stopped(self, reason: str | None) -> None:
        self.conn.execute(people.update().where(people.c.id == self.person.id).values(stopped=reason))
        self.person.stopped = reason

    def record_outcome(self, outcome: str, flags: list[str]) -> None:
        self.conn.execute(triage_results.insert().values(
            person_id=self.person.id, outcome=outcome, flags=list(flags), at=self.now))

    def record_clearance(self, after_outcome: str) -> None:
        """The person said a professional has seen them since `after_outcome` and cleared exercise."""
        self.conn.execute(clearances.insert().values(person_id=self.person.id, after_outcome=after_outcome,
                                                     at=self.now))


class Store:
    """Async access to the database; `open` creates or upgrades the schema with Alembic."""

    def __init__(self, url: str):
        self.url = sa.make_url(url)
        if self.url.get_backend_name() == "sqlite":
            self._sqlite = _SqliteThread(self.url)
            self._async = None
        else:
            self._sqlite = None
            self._async = create_async_engine(self.url, pool_pre_ping=True)

    @classmethod
    async def open(cls, url: str | None = None) -> Store:
        store = cls(normalize_url(url) if url else default_database_url())
        try:
            await store.run(_upgrade)
        except StorageUnavailable:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        if self._async is not None:
            await self._async.dispose()
        else:
            await asyncio.to_thread(self._sqlite.stop)

    async def run(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` in one transaction, committed when it returns; failures raise StorageUnavailable."""
        try:
            if self._async is not None:
                async with self._async.begin() as conn:
                    return await conn.run_sync(work)
            return await self._sqlite.submit(work)
        except (DBAPIError, OSError) as exc:
            cause = getattr(exc, "orig", None) or exc
            raise StorageUnavailable(f"the database did not answer ({cause.__class__.__name__})") from exc

    async def step(self, channel: str, external_id: str, now: datetime, work: Callable[[Turn], T]) -> T:
        """Load (creating if new) and lock one person, run `work` on them, and commit."""
        return await self.run(lambda conn: work(Turn(conn, _person(conn, channel, external_id, now), now)))

    async def find(self, channel: str, external_id: str) -> Person | None:
        return await self.run(lambda conn: _find(conn, channel, external_id))

    async def forget(self, channel: str, external_id: str) -> bool:
        """Erase the person and everything stored about them; True if there was anything."""
        def erase(conn: sa.Connection) -> bool:
            deleted = conn.execute(people.delete().where(
                people.c.channel == channel, people.c.external_id == external_id))
            return deleted.rowcount > 0
        return await self.run(erase)

    async def purge_inactive(self, before: datetime) -> int:
        """Erase everyone who neither did anything nor was sent a plan day since `before`; how many."""
        recent = sa.select(deliveries.c.id).where(deliveries.c.person_id == people.c.id,
                                                  deliveries.c.sent_at >= before)

        def purge(conn: sa.Connection) -> int:
            return conn.execute(people.delete().where(people.c.updated_at < before, ~sa.exists(recent))).rowcount
        return await self.run(purge)

    async def mark_stopped(self, channel: str, external_id: str, reason: str) -> None:
        """Stop all messages to someone, if they are still known."""
        await self.run(lambda conn: conn.execute(people.update().where(
            people.c.channel == channel, people.c.external_id == external_id).values(stopped=reason)))

    async def ping(self) -> bool:
        try:
            await self.run(lambda conn: conn.execute(sa.text("SELECT 1")))
            return True
        except StorageUnavailable:
            return False


def _row_person(row: sa.Row) -> Person:
    return Person(row.id, row.channel, row.external_id, Progress.from_dict(row.progress), row.last_update,
                  row.stopped)


def _find(conn: sa.Connection, channel: str, external_id: str, lock: bool = False) -> Person | None:
    query = _LOCK_PERSON if lock and conn.dialect.name == "postgresql" else _SELECT_PERSON
    row = conn.execute(query, {"b_channel": channel, "b_external": external_id}).one_or_none()
    return _row_person(row) if row else None


def _person(conn: sa.Connection, channel: str, external_id: str, now: datetime) -> Person:
    person = _find(conn, channel, external_id, lock=True)
    if person is None:
        first = Progress(step=int(now.timestamp() * 1000))  # refs never repeat, even after an erasure
        conn.execute(insert_new(conn.dialect.name, people, "channel", "external_id"),
                     {"channel": channel, "external_id": external_id, "progress": first.to_dict(),
                      "created_at": now, "updated_at": now})
        person = _find(conn, channel, external_id, lock=True)
    return person


class _SqliteThread:
    """The one thread that touches a SQLite database; it commits queued units of work in batches."""

    MAX_BATCH = 64

    def __init__(self, url: sa.URL):
        self.engine = sa.create_engine(url, pool_size=1, max_overflow=0)
        _tune_sqlite(self.engine)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name="backline-sqlite", daemon=True)
        self.thread.start()

    def submit(self, work: Callable[[sa.Connection], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.queue.put((work, future, loop))
        return future

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.engine.dispose()

    def _serve(self) -> None:
        while (item := self.queue.get()) is not None:
            batch = [item]
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.queue.put(None)
                    break
                batch.append(more)
            try:
                with self.engine.begin() as conn:
                    results = [(future, loop, work(conn), None) for work, future, loop in batch]
            except Exception as exc:  # rolled back: re-run each alone, so only the failing one fails
                results = [self._alone(*each) for each in batch] if len(batch) > 1 else \
                    [(batch[0][1], batch[0][2], None, exc)]
            for future, loop, value, error in results:
                loop.call_soon_threadsafe(_settle, future, value, error)

    def _alone(self, work, future, loop):
        try:
            with self.engine.begin() as conn:
                return future, loop, work(conn), None
        except Exception as exc:  # handed to the awaiting step, which raises it
            return future, loop, None, exc


def _settle(future: asyncio.Future, value: object, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _tune_sqlite(engine: sa.Engine) -> None:
    """WAL with synchronous=NORMAL, foreign keys on, and BEGIN IMMEDIATE so writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: sa.Connection) -> None:
    from alembic import command  # imported here: only start-up needs it
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
