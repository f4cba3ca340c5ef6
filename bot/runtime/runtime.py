"""The runtime: one place that runs the bot whatever the channel.

It stores inputs in the inbox (`receive`), applies them (the worker), sends the outbox (the
dispatcher), and runs the scheduled jobs with APScheduler: the sweep that takes over what a dead
process left, the plan days, and the retention purge. Channels only turn their updates into inputs
and send rows.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import rows
from bot.runtime.channel import Channel
from bot.runtime.dispatcher import LEASE, Dispatcher
from bot.runtime.plan_days import queue_due
from bot.runtime.worker import Worker
from bot.service import Backline, Input, Who
from bot.storage import StorageUnavailable
from bot.storage import inbox, outbox
from bot.storage.inbox import Received

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2  # how often leases are renewed and lapsed ones taken over
PLAN_SECONDS = 15  # how often due plan days are looked for
PLAN_BATCH = 1000  # plan days written per transaction
RETENTION = timedelta(days=365)  # people with no activity this long are erased (see /privacy)
_LOCAL_IDS = itertools.count(time.time_ns())  # update ids for local channels: unique, in order


class Runtime:
    def __init__(self, backline: Backline, channels: list[Channel], plan_batch: int = PLAN_BATCH):
        self.backline, self.plan_batch = backline, plan_batch
        self.store = backline.store
        self.channels = {c.name: c for c in channels}
        self.owner = uuid.uuid4().hex[:16]
        self.dispatcher = Dispatcher(
            self.store, self.channels, lambda: backline.clock(), self.owner, self._idle
        )
        self.worker = Worker(backline, self.channels, self.dispatcher, self.owner)
        self.scheduler: AsyncIOScheduler | None = None
        self._failing: set[str] = set()

    def _idle(self, channel: str, external_id: str) -> None:
        self.worker.kick(channel, external_id)

    # intake -------------------------------------------------------------------------------------------
    async def receive(self, channel: str, items: list[Received]) -> None:
        """Store updates (each once, whatever arrives twice) and set them going; StorageUnavailable if the
        database did not take them: then nothing was stored and the channel must not acknowledge them."""
        now = self.backline.clock()
        people = await self.store.run(lambda conn: inbox.receive(conn, channel, items, now))
        for who in people:
            if not self.dispatcher.busy(channel, who):
                self.worker.kick(channel, who)

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
        """Write the rows of every plan day now due and hand them to the dispatcher; how many."""
        total = 0
        for channel in self.channels:
            while True:
                now = self.backline.clock()
                written = await self.store.run(
                    lambda conn: queue_due(
                        conn,
                        self.backline.coach,
                        channel,
                        now,
                        self.plan_batch,
                        self.owner,
                        now + LEASE,
                        external_id,
                    )
                )
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
        return erased

    async def settle(self) -> None:
        """Wait until everything handed to the dispatcher so far is sent and marked (tests, tools)."""
        await self.dispatcher.drain()

    # life cycle -----------------------------------------------------------------------------------------
    async def start(self, schedule: bool = True) -> None:
        """Take up what an earlier run left (on SQLite, only one process: its leases are this one's now),
        then start the scheduler."""
        if self.store.single_process:
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
                self._outlasting(name, job),
                every,
                id=name,
                next_run_time=self.backline.clock(),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.worker.close()
        await self.dispatcher.close()

    def _outlasting(self, name: str, job: Callable[[], Awaitable[object]]):
        """`job` as the scheduler runs it: a database outage is one warning, not a traceback per run."""

        async def run() -> None:
            try:
                await job()
            except StorageUnavailable as exc:
                if name not in self._failing:
                    self._failing.add(name)
                    log.warning("%s: %s; trying again on each run until it answers", name, exc)
                return
            if name in self._failing:
                self._failing.discard(name)
                log.info("%s: the database answers again", name)

        return run
