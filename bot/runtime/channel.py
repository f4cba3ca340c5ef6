"""What a channel (Telegram, the terminal, the simulator) gives the runtime: a way to send rows."""

from __future__ import annotations

from typing import Protocol

from bot.storage.outbox import Mark, Row


class Channel(Protocol):
    name: str

    async def send(self, rows: list[Row]) -> list[Mark]:
        """Send one person's rows in order; a mark for each row finished, in order. Rows left without a
        mark met a passing failure and are tried again."""

    async def working(self, external_id: str) -> None:
        """A step for this person is taking a while (Telegram shows "typing")."""
