"""The dispatcher: sends outbox rows through their channel, one person's in order, and marks each one.

Rows come leased: from the step that wrote them, or claimed when a lease lapsed (a process that died),
or claimed from those written for any process to take (plan days on PostgreSQL: each process takes
what it has room for when told of them, and more as it gets through them).
Leases are renewed while this process holds the rows. Marks are written in batches as soon as rows
are sent; while the database is away they are kept and written when it answers, and rows awaiting a
mark are never sent again by this process.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.runtime.channel import Channel
from bot.storage import Store, StorageUnavailable
from bot.storage import outbox
from bot.storage.outbox import Mark, Row

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=10)  # a dead process's rows are taken over this long after its last renewal
RETRY = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before a row that met a passing failure is tried again
CONCURRENT = 64  # people whose rows are being sent at once
FINISH = 7.0  # seconds a stopping process gives the sends under way (a Bot API call: 5 s at most) to
# finish and be marked
ROOM = 2 * CONCURRENT  # rows a process holds at most when it takes rows written for anyone


class Dispatcher:
    def __init__(
        self,
        store: Store,
        channels: dict[str, Channel],
        clock: Callable[[], datetime],
        owner: str,
        on_idle: Callable[[str, str], None],
    ):
        self.store, self.channels, self.clock, self.owner = store, channels, clock, owner
        self.on_idle = on_idle  # told when a person has nothing left to send (their inputs may go on)
        self._queues: dict[tuple[str, str], deque[Row]] = defaultdict(deque)
        self._tasks: dict[tuple[str, str], asyncio.Task] = {}
        self._held: set[int] = set()  # rows leased to this process: queued, in flight, or awaiting a mark
        self._marks: list[tuple[list[Mark], asyncio.Future]] = []  # each batch, and who waits for it
        self._writer: asyncio.Task | None = None
        self._slots = asyncio.Semaphore(CONCURRENT)
        self._taking: asyncio.Task | None = None
        self._more = False  # the last take was full: there may be more rows for anyone
        self._closing = False

    def hand(self, rows: list[Row]) -> None:
        """Rows leased to this process, to be sent in order."""
        for row in rows:
            if row.id in self._held:
                continue
            self._held.add(row.id)
            key = (row.channel, row.external_id)
            self._queues[key].append(row)
            if key not in self._tasks:
                self._tasks[key] = asyncio.create_task(self._person(key))

    async def sweep(self) -> int:
        """Renew the leases held, and take rows whose lease lapsed or that no one holds; how many."""
        now = self.clock()
        if self._held:
            ids = list(self._held)
            await self.store.run(lambda conn: outbox.renew(conn, ids, self.owner, now + LEASE))
        return await self.take()

    async def take(self) -> int:
        """Take rows no one holds (written for anyone, or a lapsed lease), as many as there is room for."""
        room = ROOM - len(self._held)
        if room <= 0:
            self._more = True
            return 0
        now = self.clock()
        rows = await self.store.run(
            lambda conn: outbox.claim(conn, self.owner, now, now + LEASE, room, frozenset(self._held))
        )
        self._more = len(rows) == room
        self.hand([r for r in rows if r.channel in self.channels])
        return len(rows)

    def told(self) -> None:
        """Rows were written for anyone to take: take some soon (once, however often told meanwhile)."""
        if self._taking is None or self._taking.done():
            self._taking = asyncio.create_task(self._take_quietly())

    async def _take_quietly(self) -> None:
        try:
            await self.take()
        except StorageUnavailable as exc:  # the sweep takes them once the database answers
            log.warning("could not take rows: %s", exc)

    def busy(self, channel: str, external_id: str) -> bool:
        return (channel, external_id) in self._tasks

    async def drain(self, channel: str | None = None, external_id: str | None = None) -> None:
        """Wait until the rows handed so far (for one person, or all) are sent and marked."""
        while True:
            tasks = [
                t
                for (ch, who), t in self._tasks.items()
                if (channel is None or ch == channel) and (external_id is None or who == external_id)
            ]
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            elif self._taking is not None and not self._taking.done():
                await asyncio.gather(self._taking, return_exceptions=True)
            elif self._writer is not None and not self._writer.done():
                await asyncio.gather(self._writer, return_exceptions=True)
            else:
                return

    async def close(self) -> None:
        """Stop: the sends under way finish and are marked (for at most FINISH seconds), no new one
        begins; the rows left keep their leases until they lapse, and another process takes them."""
        self._closing = True
        if self._taking is not None:
            self._taking.cancel()
            await asyncio.gather(self._taking, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=FINISH)
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _person(self, key: tuple[str, str]) -> None:
        queue = self._queues[key]
        try:
            while queue and not self._closing:
                async with self._slots:
                    written = await self._send(key, queue)
                await asyncio.gather(*written)  # this person's marks first, then their inputs go on
        finally:
            del self._tasks[key]
            if not queue:
                self._queues.pop(key, None)
        if self._closing:
            return
        if self._more and len(self._held) <= CONCURRENT:
            self.told()
        self.on_idle(*key)

    async def _send(self, key: tuple[str, str], queue: deque[Row]) -> list[asyncio.Future]:
        """Send what is queued for one person; rows that met a passing failure are tried again later.
        Returns what to wait on for their marks to be written."""
        channel, failures, written = self.channels[key[0]], 0, []
        while queue and not self._closing:
            now = self.clock()
            rows = list(queue)
            expired = [r for r in rows if r.expires_at is not None and r.expires_at <= now]
            marks = [Mark(r.id, outbox.EXPIRED, at=now, delivery_id=r.delivery_id) for r in expired]
            live = [r for r in rows if r not in expired]
            if live:
                try:
                    marks += await channel.send(live)
                except Exception as exc:  # one person's failure must not stop the others
                    log.warning("sending to a person failed: %s", exc.__class__.__name__)
            done = {m.row_id for m in marks}
            for _ in range(len(queue)):
                row = queue.popleft()
                if row.id not in done:
                    queue.append(row)
            if any(m.status == outbox.BLOCKED for m in marks):
                marks += [Mark(r.id, outbox.BLOCKED, delivery_id=r.delivery_id) for r in queue]
                queue.clear()
            if marks:
                written.append(self._record(marks))
            if queue:
                await asyncio.sleep(RETRY[min(failures, len(RETRY) - 1)])
                failures += 1
        return written

    def _record(self, marks: list[Mark]) -> asyncio.Future:
        """Queue marks for the writer; the future is done once they are written."""
        done = asyncio.get_running_loop().create_future()
        self._marks.append((marks, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return done

    async def _write(self) -> None:
        """Write the marks gathered, in batches, until none are left; through an outage, keep trying."""
        warned = False
        while self._marks:
            taken, self._marks = self._marks, []
            batch = [mark for marks, _ in taken for mark in marks]
            try:
                await self.store.run(lambda conn: outbox.mark(conn, batch))
            except StorageUnavailable as exc:
                self._marks = taken + self._marks
                if not warned:
                    log.warning(
                        "could not record %d sent messages: %s; keeping them until it answers",
                        len(batch),
                        exc,
                    )
                    warned = True
                await asyncio.sleep(0.5)
                continue
            if warned:
                log.info("sent messages recorded again")
                warned = False
            self._held.difference_update(m.row_id for m in batch)
            for _, done in taken:
                if not done.done():
                    done.set_result(None)
