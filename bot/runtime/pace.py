"""The send cap of one bot: about 30 requests a second overall, one a second in a chat (after a short
burst), 20 a minute in a group, and a 429's retry_after holding every send.

Overall, a request holds one of `rate` places from before it is made until a second after its
answer, so no more than `rate` requests reach Telegram in any second, however late each travels. On
PostgreSQL the places and the chats' clocks are in the database (bot/storage/pace.py), so that every
process of the bot keeps to one cap together, and a 429 met by one process pauses them all (the pause
is also NOTIFYed, so that a process about to send waits too). On SQLite (one process) they are in
memory.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from bot.storage import Store, StorageUnavailable
from bot.storage import pace
from bot.storage.pace import PAUSE, Rate

log = logging.getLogger(__name__)
# A private chat: one a second, after a burst of ten (Telegram allows short bursts over the 1/s; a
# person's quick exchange never waits, a run of the bot's own messages to one chat is spread out).
PRIVATE = Rate(1.0, burst=10.0)
GROUP = Rate(3.0, burst=57.0)  # a group: 20 a minute
WINDOW = 1.0  # seconds a request holds its place after its answer
ASK = 1.5  # seconds the database has to answer for the cap; then this process keeps to it alone


class Closed(Exception):
    """The process is stopping: no new request goes out (the row is left for another process)."""


class Pace:
    def __init__(self, store: Store, rate: int):
        self.store, self.rate, self.shared = store, rate, not store.single_process
        self._clocks: dict[str, float] = {}  # the chats' clocks, in memory when not shared
        self._paused_until = 0.0
        self._places = asyncio.Semaphore(rate)  # the places in memory (SQLite)
        self._taking = asyncio.Lock()  # one request of this process at a time looks for a shared place
        self._prepared = False
        self.closed = False

    def close(self) -> None:
        """No request that has not begun yet goes out (those under way finish and are marked)."""
        self.closed = True

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int, per_chat: bool = True) -> AsyncIterator[None]:
        """Wait until a request to `chat_id` keeps to the cap (`per_chat`: the chat's too: a new message
        in it, not an edit), and hold its place while it is made."""
        # The database away (the sweep, every 2 s, would have reached it): keep to the cap alone at once.
        shared, place = self.shared and self.store.answering(), None
        if shared:
            try:
                if per_chat:
                    await self._chat(chat_id, shared)
                place = await self._take()
            except StorageUnavailable:  # the database is away: keep to the cap in this process alone
                shared, place = False, None
        if not shared:
            await self._places.acquire()
        try:
            if not shared and per_chat:
                await self._chat(chat_id, shared)
            held = self._paused_until - time.time()
            if held > 0:  # a pause began while this request waited for its turn
                await asyncio.sleep(held)
            if self.closed:
                raise Closed
            yield
        finally:
            if not shared:
                asyncio.get_running_loop().call_later(WINDOW, self._places.release)
            if place is not None:
                await self._give_back(place, time.time() + WINDOW)

    async def _chat(self, chat_id: int, shared: bool) -> None:
        key, rate = f"chat:{chat_id}", PRIVATE if chat_id > 0 else GROUP
        if shared:
            delay = await self.store.run(lambda conn: pace.reserve_chat(conn, key, rate), timeout=ASK)
        else:
            now = time.time()
            delay = pace.gcra(self._clocks, now, key, rate) - now
        if delay > 0:
            await asyncio.sleep(delay)

    async def _take(self) -> str:
        async with self._taking:
            if not self._prepared:
                await self.store.run(lambda conn: pace.prepare(conn, self.rate), timeout=ASK)
                self._prepared = True
            while True:
                place, wait = await self.store.run(lambda conn: pace.take(conn, self.rate), timeout=ASK)
                if place is not None:
                    return place
                await asyncio.sleep(wait)

    async def _give_back(self, place: str, at: float) -> None:
        try:
            await self.store.run(lambda conn: pace.give_back(conn, place, at))
        except StorageUnavailable as exc:  # it comes back on its own after pace.LEASE
            log.warning("a send place could not be given back: %s", exc)

    async def pause(self, seconds: float) -> None:
        """Telegram answered 429: no send of this bot goes for `seconds`."""
        if self.shared:
            seconds = await self.store.run(lambda conn: pace.pause(conn, seconds))
        else:
            self._clocks[PAUSE] = max(self._clocks.get(PAUSE, 0.0), time.time() + seconds)
        self.paused(time.time() + seconds)

    def paused(self, until: float) -> None:
        """Another process met a 429: sends wait until `until` (seconds since the epoch)."""
        self._paused_until = max(self._paused_until, until)
