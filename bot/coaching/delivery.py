"""Delivering due plan days: claim in one transaction, send through an adapter, mark each as it goes."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.engine import Message
from bot.service import Backline
from bot.storage import StorageUnavailable
from bot.storage import coaching as records
from bot.storage.coaching import Due

log = logging.getLogger(__name__)

# What a send reports: "sent", "blocked" (the person blocked the bot: no more messages), or None
# (a passing failure: the claim stays and is sent again while its local day lasts).
Send = Callable[[Due, Message], Awaitable[str | None]]


class Delivery:
    def __init__(self, backline: Backline, channel: str, batch: int = 500):
        self.backline, self.channel, self.batch = backline, channel, batch

    async def run_due(self, now: datetime, send: Send, external_id: str | None = None) -> list[tuple[Due, str | None]]:
        """Send everything due by `now` on this channel (optionally for one person); return what happened."""
        results: list[tuple[Due, str | None]] = []
        while True:
            claimed = await self.backline.store.run(
                lambda conn: records.claim_due(conn, now, self.batch, self.channel, external_id))
            if not claimed:
                return results
            results += await asyncio.gather(*(self._deliver(due, now, send) for due in claimed))
            if len(claimed) < self.batch:
                return results

    async def _deliver(self, due: Due, now: datetime, send: Send) -> tuple[Due, str | None]:
        message = self.backline.coach.day_message(due.day, due.profile, due.locale, rescreened=due.rescreened)
        try:
            status = await send(due, message)
        except Exception as exc:  # one person's failure must not stop the others' deliveries
            log.warning("delivery of day %s failed: %s", due.day, exc.__class__.__name__)
            status = None
        if status is not None:
            try:
                await self.backline.store.run(lambda conn: records.finish_delivery(conn, due, status, now))
            except StorageUnavailable as exc:
                log.warning("could not record a delivery: %s", exc)
        return due, status
