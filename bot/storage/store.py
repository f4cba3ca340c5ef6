"""The Store: each conversation step is one transaction, on SQLite (default) or PostgreSQL.

A step's reads and writes are one synchronous unit of work on a SQLAlchemy Connection. On
PostgreSQL it runs through the async engine (asyncpg) with `run_sync`. On SQLite it goes to one
database thread (aiosqlite would cost a thread hop for every cursor call, about ten a step),
which commits the steps queued at that moment together (group commit): no step is answered
before its commit, and a step that fails is re-run alone so that it fails alone.

Every unit of work has a deadline (DATABASE_TIMEOUT, 4 s): a database that stops answering, even
without an error (a frozen host), gives StorageUnavailable by then. The deadline counts silence,
not queueing: a unit gives up once that long has passed both since it began and since the
database last completed any unit, so a burst that queues is still served. Each statement and
connection attempt has three quarters of it, enforced by the server where it can and by the
client too. A unit whose caller gave up is never committed afterwards.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import asyncpg
import orjson
import platformdirs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.settings import DEFAULT_TIMEOUT
from bot.storage import inbox, outbox, turns
from bot.storage.tables import JSON_OPTIONS, deliveries, people
from bot.turn import Person, Turn

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x6261636B  # one migrator at a time on a shared database
T = TypeVar("T")
HEALTH_TIMEOUT = 1.5  # seconds a health check waits for the database
PURGE_BATCH = 1000  # people erased per transaction, so that no purge statement runs long
POOL = 20  # PostgreSQL connections kept open (a connection opened per unit costs more than the unit)
# SQLite's page cache: a batch of 1,000 plan days touches some 4,000 pages (16 MiB); in the default 2 MiB
# they are read again and spilled to the WAL before the commit.
CACHE_KIB = 32 * 1024


def _json_text(value: object) -> str:
    """JSON as the standard library's json.dumps reads it back (keys that are not strings become strings),
    about five times faster."""
    return orjson.dumps(value, option=JSON_OPTIONS).decode()


# JSON columns (progress, carry, outbox bodies...) through orjson on every engine: a batch of plan days
# decodes and encodes thousands of them.
JSON_CODEC = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


class StorageUnavailable(Exception):
    """The database could not be reached, failed or did not answer in time; the step was rolled back."""


class InUse(Exception):
    """Another process runs on this SQLite database; the message is one line for the person starting it."""


def default_database_url() -> str:
    """A SQLite file in the per-user data directory (DATABASE_URL unset)."""
    folder = Path(platformdirs.user_data_dir("backline", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'backline.db'}"


def normalize_url(url: str) -> str:
    """asyncpg for PostgreSQL; the standard sqlite3 module (in the database thread) for SQLite."""
    for prefix, driver in (("postgres://", "postgresql+asyncpg://"),
                           ("postgresql://", "postgresql+asyncpg://"), ("sqlite+aiosqlite://", "sqlite://")):
        if url.startswith(prefix):
            return driver + url[len(prefix):]
    return url


class Store:
    """Async access to the database; `open` creates or upgrades the schema with Alembic."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT):
        self.url = sa.make_url(url)
        self.timeout = timeout
        self.limit = self.timeout * 0.75  # each statement, connection attempt or lock wait
        self._alive = _Liveness()
        self._held: int | None = None  # the lock file's descriptor while this process holds a SQLite file
        if self.url.get_backend_name() == "sqlite":
            self._sqlite = _SqliteThread(self.url, busy_ms=int(self.limit * 1000))
            self._async = None
        else:
            self._sqlite = None
            self._async = _postgres_engine(self.url, self.limit, self.timeout)

    def answering(self) -> bool:
        """Whether the database completed a unit of work within the last `timeout` seconds."""
        return time.monotonic() - self._alive.last < self.timeout

    @property
    def single_process(self) -> bool:
        """Whether only one process may use this database (SQLite)."""
        return self._async is None

    @classmethod
    async def open(cls, url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Store:
        """The database at `url` (default: a SQLite file in the user's data folder), migrated."""
        store = cls(normalize_url(url) if url else default_database_url(), timeout)
        try:
            await store._migrate()
        except StorageUnavailable:
            await store.close()
            raise
        return store

    async def _migrate(self) -> None:
        """Alembic's upgrade, with no deadline but the connection's: a migration may rightly take long."""
        if self._async is None:
            await self.run(_upgrade, timeout=None)
            return
        migrator = create_async_engine(self.url, poolclass=NullPool, connect_args={"timeout": self.limit},
                                       **JSON_CODEC)
        try:
            async with migrator.begin() as conn:
                await conn.run_sync(_upgrade)
            self._alive.answered()
        except (DBAPIError, OSError) as exc:
            raise _unavailable(exc) from exc
        finally:
            await migrator.dispose()

    async def hold(self) -> None:
        """SQLite: hold the database for this process's lifetime (an exclusive lock on `<file>.lock`,
        which the system lets go when the process ends, however it ends); InUse if another holds it."""
        path = self.url.database
        if self._async is not None or self._held is not None or not path or path == ":memory:":
            return
        fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InUse(f"another backline process is running on {path}; SQLite serves one process "
                        "(use PostgreSQL, DATABASE_URL=postgresql://..., to run several)") from None
        self._held = fd

    async def close(self) -> None:
        if self._held is not None:
            os.close(self._held)
            self._held = None
        if self._async is not None:
            await self._async.dispose()
        else:
            await asyncio.to_thread(self._sqlite.stop)

    async def run(self, work: Callable[[sa.Connection], T], timeout: float | None | bool = True) -> T:
        """Run `work` in one transaction, committed when it returns; failures, and no answer within
        `timeout` seconds (default: the store's; None: no deadline), raise StorageUnavailable."""
        deadline = self.timeout if timeout is True else timeout
        try:
            if self._async is not None:
                result = await self._postgres(work, deadline)
            else:
                result = await self._sqlite.run(work, deadline, self._alive)
        except (DBAPIError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _unavailable(exc) from exc  # asyncpg's own: a connection refused ("too many clients")
        self._alive.answered()
        return result

    async def _postgres(self, work: Callable[[sa.Connection], T], deadline: float | None) -> T:
        """The unit in a task of its own; given up, it is cancelled and left to clean up alone (a frozen
        server answers neither the statement nor its cancellation)."""
        task = asyncio.ensure_future(_postgres_unit(self._async, work))
        try:
            finished = await self._alive.wait(task, deadline)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not finished:
            task.cancel()
            task.add_done_callback(_consume)
            raise StorageUnavailable(f"the database did not answer within {deadline:g} s")
        return task.result()

    async def step(self, channel: str, external_id: str, now: datetime, work: Callable[[Turn], T],
                   record: bool = False) -> T:
        """Load (creating if new) and lock one person, run `work` on them, apply its effects and commit;
        `record`: load everything stored about them too."""
        def unit(conn: sa.Connection) -> T:
            turn = turns.load(conn, turns.load_person(conn, channel, external_id, now), now, record)
            result = work(turn)
            turns.apply(conn, turn)
            return result
        return await self.run(unit)

    async def find(self, channel: str, external_id: str) -> Person | None:
        return await self.run(lambda conn: turns.find(conn, channel, external_id))

    async def forget(self, channel: str, external_id: str) -> bool:
        """Erase the person and everything stored about them; True if there was anything."""
        def erase(conn: sa.Connection) -> bool:
            deleted = conn.execute(people.delete().where(
                people.c.channel == channel, people.c.external_id == external_id))
            outbox.forget(conn, channel, external_id)
            inbox.forget(conn, channel, external_id)
            return deleted.rowcount > 0
        return await self.run(erase)

    async def purge_inactive(self, before: datetime) -> int:
        """Erase everyone who neither did anything nor was sent a plan day since `before`; how many."""
        recent = sa.select(deliveries.c.id).where(deliveries.c.person_id == people.c.id,
                                                  deliveries.c.sent_at >= before)

        inactive = (sa.select(people.c.id).where(people.c.updated_at < before, ~sa.exists(recent))
                    .limit(PURGE_BATCH))

        def purge(conn: sa.Connection) -> int:
            return conn.execute(people.delete().where(people.c.id.in_(inactive.scalar_subquery()))).rowcount
        erased = 0
        while (done := await self.run(purge)) > 0:
            erased += done
            if done < PURGE_BATCH:
                break
        return erased

    async def mark_stopped(self, channel: str, external_id: str, reason: str) -> None:
        """Stop all messages to someone, if they are still known."""
        await self.run(lambda conn: conn.execute(people.update().where(
            people.c.channel == channel, people.c.external_id == external_id).values(stopped=reason)))

    async def ping(self) -> bool:
        """Whether the database answers within HEALTH_TIMEOUT seconds."""
        try:
            await self.run(lambda conn: conn.execute(sa.text("SELECT 1")), min(self.timeout, HEALTH_TIMEOUT))
            return True
        except StorageUnavailable:
            return False


def _unavailable(exc: BaseException) -> StorageUnavailable:
    """The failure by its kind: the driver's class and, from PostgreSQL, the SQLSTATE (never the text,
    which may quote values)."""
    cause = getattr(exc, "orig", None) or exc
    code = getattr(cause, "sqlstate", None) or getattr(cause.__cause__, "sqlstate", None)
    kind = f"{cause.__class__.__name__} {code}" if code else cause.__class__.__name__
    return StorageUnavailable(f"the database did not answer ({kind})")


def _postgres_engine(url: sa.URL, limit: float, timeout: float) -> AsyncEngine:
    """asyncpg with a connect timeout, a client-side command timeout and the server's statement_timeout."""
    server = {"statement_timeout": str(int(limit * 1000)),
              "idle_in_transaction_session_timeout": str(int(timeout * 2000))}
    return create_async_engine(url, pool_pre_ping=True, pool_size=POOL, max_overflow=0, connect_args={
        "timeout": limit, "command_timeout": limit, "server_settings": server}, **JSON_CODEC)


# What leaves a connection in an unknown state (mid-statement, or the server gone silent): it is
# closed, never returned to the pool.
_BROKEN = (asyncio.CancelledError, TimeoutError, OSError, InterfaceError)


async def _postgres_unit(engine: AsyncEngine, work: Callable[[sa.Connection], T]) -> T:
    conn: AsyncConnection
    async with engine.connect() as conn:
        try:
            await conn.begin()
            result = await conn.run_sync(work)
            await conn.commit()
            return result
        except _BROKEN:  # no rollback: that would wait on the silent server too
            await conn.invalidate()
            raise


class _Liveness:
    """When the database last completed a unit of work, for deadlines that count silence."""

    def __init__(self) -> None:
        self.last = 0.0

    def answered(self) -> None:
        self.last = time.monotonic()

    async def wait(self, future: asyncio.Future, deadline: float | None) -> bool:
        """Whether `future` is done before `deadline` seconds pass both since it began and since the
        database last answered."""
        began = time.monotonic()
        while True:
            left = None if deadline is None else max(began, self.last) + deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            done, _ = await asyncio.wait((future,), timeout=left)
            if done:
                return True


def _consume(task: asyncio.Task) -> None:
    if not task.cancelled():
        task.exception()


class _Job:
    """A unit of work queued for the SQLite thread. Its state goes from "queued" to "committing" (the
    thread is about to commit it) or to "abandoned" (its caller stopped waiting: never committed)."""

    __slots__ = ("work", "future", "loop", "state")

    def __init__(self, work: Callable[[sa.Connection], object], loop: asyncio.AbstractEventLoop):
        self.work, self.loop, self.future, self.state = work, loop, loop.create_future(), "queued"


class _Abandoned(Exception):
    """A caller stopped waiting during the batch: it is rolled back and the others re-run alone."""


class _SqliteThread:
    """The one thread that touches a SQLite database; it commits queued units of work in batches."""

    MAX_BATCH = 64

    def __init__(self, url: sa.URL, busy_ms: int):
        self.engine = sa.create_engine(url, pool_size=1, max_overflow=0, **JSON_CODEC)
        _tune_sqlite(self.engine, busy_ms)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, name="backline-sqlite", daemon=True)
        self.thread.start()

    async def run(self, work: Callable[[sa.Connection], T], deadline: float | None, alive: _Liveness) -> T:
        job = _Job(work, asyncio.get_running_loop())
        self.queue.put(job)
        try:
            finished = await alive.wait(job.future, deadline)
        except asyncio.CancelledError:
            self._abandon(job)
            raise
        if not finished and not job.future.done() and self._abandon(job):
            raise StorageUnavailable(f"the database did not answer within {deadline:g} s")
        return await job.future  # done, or being committed: its answer is a moment away

    def _abandon(self, job: _Job) -> bool:
        with self.lock:
            if job.state == "queued":
                job.state = "abandoned"
            return job.state == "abandoned"

    def _claim(self, jobs: list[_Job]) -> None:
        """Mark `jobs` as committing, unless one was abandoned meanwhile (then _Abandoned)."""
        with self.lock:
            if any(job.state != "queued" for job in jobs):
                raise _Abandoned
            for job in jobs:
                job.state = "committing"

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
            self._commit([job for job in batch if job.state == "queued"])

    def _commit(self, batch: list[_Job]) -> None:
        ran: list[_Job] | None = None
        try:
            with self.engine.begin() as conn:
                ran = [job for job in batch if job.state == "queued"]  # beginning may have waited
                results = [(job, job.work(conn), None) for job in ran]
                self._claim(ran)
        except Exception as exc:
            if ran is None:  # it could not even begin: every one fails alike
                results = [(job, None, exc) for job in batch]
            else:  # rolled back: re-run each alone, so only the failing one fails
                with self.lock:
                    for job in ran:
                        job.state = "queued" if job.state == "committing" else job.state
                results = [self._alone(job) for job in ran] if len(ran) > 1 or isinstance(exc, _Abandoned) \
                    else [(job, None, exc) for job in ran]
        for job, value, error in results:
            if job is not None:
                job.loop.call_soon_threadsafe(_settle, job, value, error)

    def _alone(self, job: _Job) -> tuple[_Job | None, object, BaseException | None]:
        if job.state != "queued":
            return None, None, None
        try:
            with self.engine.begin() as conn:
                value = job.work(conn)
                self._claim([job])
            return job, value, None
        except _Abandoned:
            return None, None, None
        except Exception as exc:  # handed to the awaiting step, which raises it
            return job, None, exc


def _settle(job: _Job, value: object, error: BaseException | None) -> None:
    if job.state == "abandoned" or job.future.done():
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        job.future.set_result(value)


def _tune_sqlite(engine: sa.Engine, busy_ms: int) -> None:
    """WAL with synchronous=NORMAL, foreign keys on, a CACHE_KIB page cache, and BEGIN IMMEDIATE so writers
    queue instead of failing, for at most `busy_ms` (another process's lock held longer gives "database is
    locked")."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", f"busy_timeout={busy_ms}",
                   f"cache_size=-{CACHE_KIB}")
        for pragma in pragmas:
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
