"""The runtime: one place that runs the bot whatever the channel.

It stores inputs in the inbox (`receive`), applies them (the worker), sends the outbox (the
dispatcher), and runs the scheduled jobs with APScheduler: the sweep that takes over what a dead
process left, the plan days, and the retention purge. Channels only turn their updates into inputs
and send rows.

Several processes may share one PostgreSQL database (bot/runtime/coordinator.py): each applies the
inputs it stored (one that has as many people in progress as it takes on leaves new ones to the
others, NOTIFYing them), any of them sends the plan days (written for anyone to take, NOTIFYed), and
one of them, the leader, writes the plan days, runs the purge and does the channel's leader duties
(`on_lead`: polling, or setting the webhook). On SQLite only one process may run: a second is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import rows
from bot.runtime.channel import Channel
from bot.runtime.coordinator import Coordinator
from bot.runtime.dispatcher import LEASE, Dispatcher
from bot.runtime.plan_days import queue_due
from bot.runtime.worker import Worker
from bot.service import Backline, Input, Who
from bot.storage import StorageUnavailable
from bot.storage import inbox, outbox, pace
from bot.storage.inbox import Received
from bot.storage.pace import NOTIFY

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2  # how often leases are renewed and lapsed ones taken over
PLAN_SECONDS = 15  # how often due plan days are looked for
PLAN_BATCH = 1000  # plan days written per transaction
RETENTION = timedelta(days=365)  # people with no activity this long are erased (see /privacy)
_LOCAL_IDS = itertools.count(time.time_ns())  # update ids for local channels: unique, in order


async def _nothing(_leading: bool) -> None:
    return None


class Runtime:
    def __init__(self, backline: Backline, channels: list[Channel], plan_batch: int = PLAN_BATCH,
                 on_lead: Callable[[bool], Awaitable[None]] = _nothing):
        self.backline, self.plan_batch, self.on_lead = backline, plan_batch, on_lead
        self.store = backline.store
        self.channels = {c.name: c for c in channels}
        self.owner = uuid.uuid4().hex[:16]
        self.dispatcher = Dispatcher(
            self.store, self.channels, lambda: backline.clock(), self.owner, self._idle
        )
        self.worker = Worker(backline, self.channels, self.dispatcher, self.owner)
        self.scheduler: AsyncIOScheduler | None = None
        self._failing: set[str] = set()
        self.shared = not self.store.single_process
        self.leading = False
        self.coordinator: Coordinator | None = None
        self.listeners: dict[str, Callable[[str], None]] = {}  # news from other processes, by its first word

    def _idle(self, channel: str, external_id: str) -> None:
        self.worker.kick(channel, external_id)

    # intake -------------------------------------------------------------------------------------------
    async def receive(self, channel: str, items: list[Received]) -> None:
        """Store updates (each once, whatever arrives twice) and set them going; StorageUnavailable if the
        database did not take them: then nothing was stored and the channel must not acknowledge them."""
        now = self.backline.clock()
        full = self.shared and self.worker.full()

        def store(conn: sa.Connection) -> list[str]:
            people = inbox.receive(conn, channel, items, now)
            if full and people:  # this process has its hands full: the others take them
                _notify(conn, "\n".join(f"inbox {channel} {who}" for who in people))
            return people

        people = await self.store.run(store)
        for who in people if not full else ():
            if not self.dispatcher.busy(channel, who):
                self.worker.kick(channel, who)

    def _news(self, payload: str) -> None:
        """What another process said (pg_notify): inputs to apply, rows to send, a pause."""
        for line in payload.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "inbox":
                channel, _, who = rest.partition(" ")
                free = not self.worker.full() and not self.dispatcher.busy(channel, who)
                if channel in self.channels and free:
                    self.worker.kick(channel, who)
            elif kind == "outbox":
                self.dispatcher.told()
            elif kind in self.listeners:
                self.listeners[kind](rest)

    async def converse(self, who: Who, item: Input, language: str | None = None) -> None:
        """One input from a local channel (terminal, simulator): stored, applied and sent before returning;
        `language` is a new person's language."""
        now = self.backline.clock()
        item_id = next(_LOCAL_IDS)
        payload = rows.payload(item, language=language)
        await self.receive(who.channel, [Received(item_id, who.external_id, payload, now)])
        await self.worker.drain(who.channel, who.external_id)

    # scheduled work -------------------------------------------------------------------------------------
    async def sweep(self) -> None:
        """Renew leases, take over rows a dead process left, and apply inputs no one is applying."""
        await self.dispatcher.sweep()
        await self.worker.sweep()

    async def plan_days(self, external_id: str | None = None) -> int:
        """Write the rows of every plan day now due: on PostgreSQL for any process to take (told to all;
        this one takes what it has room for at once), on SQLite handed to this process's dispatcher;
        how many."""
        total = 0
        owner = None if self.shared else self.owner

        def write(conn: sa.Connection, channel: str, now) -> list:
            until = None if owner is None else now + LEASE
            rows = queue_due(conn, self.backline.coach, channel, now, self.plan_batch, owner, until,
                             external_id)
            if rows and owner is None:
                _notify(conn, "outbox")
            return rows

        for channel in self.channels:
            while True:
                now = self.backline.clock()
                written = await self.store.run(lambda conn: write(conn, channel, now))
                if owner is None:
                    await self.dispatcher.take()
                else:
                    self.dispatcher.hand(written)
                total += len(written)
                if len(written) < self.plan_batch:
                    break
        return total

    async def purge(self) -> int:
        """Erase people inactive for RETENTION, and inbox and outbox rows no longer needed."""
        now = self.backline.clock()
        erased = await self.store.purge_inactive(now - RETENTION)
        await self.store.run(lambda conn: inbox.prune(conn, now - inbox.KEEP))
        await self.store.run(lambda conn: outbox.prune(conn, now - outbox.KEEP))
        if self.shared:
            await self.store.run(lambda conn: pace.prune(conn, now.timestamp()))
        return erased

    async def settle(self) -> None:
        """Wait until everything handed to the dispatcher so far is sent and marked (tests, tools)."""
        await self.dispatcher.drain()

    # life cycle -----------------------------------------------------------------------------------------
    async def start(self, schedule: bool = True) -> None:
        """On SQLite, hold the database for this process (InUse if another has it) and take up what an
        earlier run left (its leases are this one's now); on PostgreSQL, join the others (and lead if no
        one does). Then start the scheduler."""
        if not self.shared:
            await self.store.hold()
            await self.store.run(outbox.release_all)
        if not schedule:
            return
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        jobs: list[tuple[str, Callable[[], Awaitable[object]], IntervalTrigger]] = [
            ("sweep", self.sweep, IntervalTrigger(seconds=SWEEP_SECONDS)),
            ("plan", self.plan_days, IntervalTrigger(seconds=PLAN_SECONDS)),
            ("purge", self.purge, IntervalTrigger(days=1)),
        ]
        for name, job, every in jobs:
            self.scheduler.add_job(
                self._outlasting(name, job, leader_only=name != "sweep"),
                every,
                id=name,
                next_run_time=self.backline.clock(),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self.scheduler.start()
        if self.shared:
            self.coordinator = Coordinator(self.store.url, self.store.limit, self._news, self._lead)
            await self.coordinator.start()
        else:
            await self._lead(True)

    async def _lead(self, leading: bool) -> None:
        """This process became the leader (or stopped being it): the leader's jobs run now, then on time."""
        self.leading = leading
        if leading and self.scheduler is not None:
            for name in ("plan", "purge"):
                self.scheduler.modify_job(name, next_run_time=self.backline.clock())
        try:
            await self.on_lead(leading)
        except Exception as exc:  # the channel's duty failed (its server unreachable): it says so itself
            log.warning("leader duties %s: %s", "taken" if leading else "given up", exc.__class__.__name__)

    async def stop(self) -> None:
        if self.coordinator is not None:
            await self.coordinator.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.worker.close()
        await self.dispatcher.close()

    def _outlasting(self, name: str, job: Callable[[], Awaitable[object]], leader_only: bool):
        """`job` as the scheduler runs it (a leader's job only while this process leads): a database
        outage is one warning, not a traceback per run."""

        async def run() -> None:
            if leader_only and not self.leading:
                return
            try:
                await job()
            except asyncio.CancelledError:  # the process is stopping: the job's transaction is rolled back
                return
            except StorageUnavailable as exc:
                if name not in self._failing:
                    self._failing.add(name)
                    log.warning("%s: %s; trying again on each run until it answers", name, exc)
                return
            if name in self._failing:
                self._failing.discard(name)
                log.info("%s: the database answers again", name)

        return run


def _notify(conn: sa.Connection, payload: str) -> None:
    """Tell every process, once this transaction commits."""
    conn.execute(sa.select(sa.func.pg_notify(NOTIFY, payload)))
