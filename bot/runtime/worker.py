"""The inbox worker: applies each person's stored inputs one at a time, in update order.

A step runs in one transaction that locks the person (on PostgreSQL their row, FOR UPDATE: whichever
process holds it is the only one applying their inputs, and the next waits for it), takes their
earliest input, applies it, writes its outputs to the outbox (leased to this process) and marks the
input applied. The earliest input is read under the lock, so that two processes never apply the same
one and never one out of update order. While anything said to the person
has not gone out yet, their next input waits: an answer is only applied once the question it answers
was sent.
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa

from bot.engine import Text
from bot.runtime import rows
from bot.runtime.channel import Channel
from bot.runtime.dispatcher import LEASE, Dispatcher
from bot.service import Backline
from bot.storage import StorageUnavailable, inbox, outbox, turns
from bot.storage.outbox import Row

log = logging.getLogger(__name__)
TYPING_AFTER = 1.0  # seconds a step may take before the channel is told it is working
_WAIT = "wait"
SLOTS = 64  # people whose inputs this process applies at once; beyond, it leaves new ones to the others


class Worker:
    def __init__(self, backline: Backline, channels: dict[str, Channel], dispatcher: Dispatcher, owner: str):
        self.backline, self.channels, self.dispatcher, self.owner = backline, channels, dispatcher, owner
        self._tasks: dict[tuple[str, str], asyncio.Task] = {}
        self._again: set[tuple[str, str]] = set()

    def kick(self, channel: str, external_id: str) -> None:
        """The person may have inputs to apply."""
        key = (channel, external_id)
        if key in self._tasks:
            self._again.add(key)
        else:
            self._tasks[key] = asyncio.create_task(self._person(key))

    def full(self) -> bool:
        """Whether this process has as many people in progress as it takes on."""
        return len(self._tasks) >= SLOTS

    async def sweep(self, limit: int = 500) -> None:
        """Look for inputs no one is applying (after a restart, or a kick lost to an outage)."""
        for channel in self.channels:
            people = await self.backline.store.run(lambda conn: inbox.waiting(conn, channel, limit))
            for who in people:
                if not self.dispatcher.busy(channel, who):
                    self.kick(channel, who)

    async def drain(self, channel: str, external_id: str) -> None:
        """Wait until the person's inputs are applied and everything said to them is sent."""
        key = (channel, external_id)
        while (task := self._tasks.get(key)) is not None or self.dispatcher.busy(*key):
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            else:
                await self.dispatcher.drain(*key)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _person(self, key: tuple[str, str]) -> None:
        try:
            while True:
                self._again.discard(key)
                try:
                    written = await self._step(key)
                except StorageUnavailable as exc:
                    log.warning("an input waits for the database: %s", exc)
                    return
                except Exception as exc:  # a bug: set that input aside, say so, and go on with the next
                    log.error("an input failed: %s", exc.__class__.__name__, exc_info=exc)
                    written = await self._set_aside(key)
                if written is None or written == _WAIT:
                    if key in self._again:
                        continue
                    return
                self.dispatcher.hand(written)
                if self.dispatcher.busy(*key):
                    return  # the next input waits until these are sent (the dispatcher kicks again)
        finally:
            del self._tasks[key]

    async def _set_aside(self, key: tuple[str, str]) -> list[Row] | None:
        channel, who = key
        sorry = rows.draft_of(self.backline.say("error.failed"))
        now = self.backline.clock()

        def work(conn: sa.Connection) -> list[Row] | None:
            turns.find(conn, channel, who, lock=True)
            if not inbox.fail_next(conn, channel, who):
                return None
            return outbox.write(conn, channel, who, [sorry], now, self.owner, now + LEASE)

        try:
            return await self.backline.store.run(work)
        except StorageUnavailable:
            return None

    async def _step(self, key: tuple[str, str]) -> list[Row] | str | None:
        channel = self.channels[key[0]]
        typing = asyncio.get_running_loop().call_later(TYPING_AFTER, _spawn, channel.working, key[1])
        try:
            return await self.backline.store.run(lambda conn: self._apply(conn, *key))
        finally:
            typing.cancel()

    def _apply(self, conn: sa.Connection, channel: str, external_id: str) -> list[Row] | str | None:
        if inbox.next_entry(conn, channel, external_id) is None:  # nothing to do: no need to lock them
            return None
        now = self.backline.clock()
        person = turns.load_person(conn, channel, external_id, now)  # locked until the commit
        entry = inbox.next_entry(conn, channel, external_id)  # again, under the lock
        if entry is None:
            return None
        if outbox.busy(conn, channel, external_id):
            return _WAIT
        item = rows.input_of(entry.payload)
        progress = person.progress
        shown = (
            outbox.shown(conn, channel, external_id, progress.ref)
            if isinstance(item, Text) and progress.active
            else None
        )
        turn = turns.load(conn, person, now, self.backline.needs_record(item))
        outputs = self.backline.step(turn, item, entry.at, shown, entry.payload.get("language"))
        turns.apply(conn, turn)
        drafts = rows.drafts(item, outputs, entry.payload.get("context"))
        written = outbox.write(conn, channel, external_id, drafts, now, self.owner, now + LEASE)
        inbox.done(conn, entry.id)
        return written


def _spawn(work, *args) -> None:
    task = asyncio.ensure_future(work(*args))
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
