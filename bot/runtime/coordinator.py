"""PostgreSQL: what the processes of one bot tell each other, and which of them leads.

Each process keeps one connection of its own, outside the pool, that dies with it. On it, it LISTENs
for the others' news (rows written for anyone to take, a 429's pause), and tries every few seconds to
take the leader's session advisory lock: the process holding it polls or sets the webhook, writes the
plan days and runs the purge. A process that dies (kill -9 included) loses its session and with it the
lock, and another takes over at its next try; a process that loses its connection steps down at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa

from bot.storage.pace import NOTIFY

log = logging.getLogger(__name__)
LEADER_LOCK = 0x6261636C  # the advisory lock only the leader holds
TRY_EVERY = 2.0  # seconds between a follower's tries for the lock (and the leader's check of its session)


class Coordinator:
    def __init__(self, url: sa.URL, timeout: float, on_news: Callable[[str], None],
                 on_lead: Callable[[bool], Awaitable[None]]):
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.timeout, self.on_news, self.on_lead = timeout, on_news, on_lead
        self.leading = False
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._warned = False

    async def start(self) -> None:
        """Connect and try for the lock once now (a lone process leads from the start), then keep trying."""
        await self._try()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TRY_EVERY)
            await self._try()

    async def _try(self) -> None:
        try:
            if self._conn is None:
                self._conn = await asyncpg.connect(self.dsn, timeout=self.timeout)
                await self._conn.add_listener(NOTIFY, self._heard)
            if self.leading:  # the session lives, so the lock holds
                await self._conn.fetchval("SELECT 1", timeout=self.timeout)
            elif await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK,
                                           timeout=self.timeout):
                self.leading = True
                log.info("this process leads")
                await self.on_lead(True)
            if self._warned:
                self._warned = False
                log.info("the coordination connection is back")
        except TimeoutError as exc:
            if not self.leading or self._conn is None:  # nothing held: start again
                await self._fail(exc)
            elif not self._warned:  # a server that does not answer lets no one else take the lock either
                self._warned = True
                log.warning("the coordination connection does not answer; still leading until it is lost")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            await self._fail(exc)

    async def _fail(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            log.warning("the coordination connection failed (%s); trying again", exc.__class__.__name__)
        await self._drop()

    async def _drop(self) -> None:
        """Close the connection (which releases the lock) and step down."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()
        if self.leading:
            self.leading = False
            log.info("this process no longer leads")
            await self.on_lead(False)

    def _heard(self, _conn, _pid, _channel, payload: str) -> None:
        self.on_news(payload)
