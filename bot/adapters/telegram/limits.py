"""Flow control: Telegram's send limits, retries, and one person's updates strictly in order."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

from bot.service import KeyedLocks

log = logging.getLogger(__name__)

# Methods whose repetition is harmless: a timed-out call to them is retried. A timed-out
# sendMessage may have been delivered, so it is not repeated (a lost reply beats a doubled one).
IDEMPOTENT = frozenset({"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendChatAction",
                        "setMyCommands", "deleteWebhook", "setWebhook", "getMe", "deleteMessage"})


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (30 messages/s overall, 20/min per group, 429 retry_after honoured by pausing
    every request), plus retries with exponential back-off for network errors and 5xx replies."""

    def __init__(self, *, network_retries: int = 4, backoff: float = 0.5, **kwargs: Any):
        kwargs.setdefault("max_retries", 5)
        super().__init__(**kwargs)
        self.network_retries, self.backoff = network_retries, backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # noqa: D401
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                retry = endpoint != "getUpdates" and (not isinstance(exc, TimedOut) or endpoint in IDEMPOTENT)
                if not retry or attempt == self.network_retries:
                    raise
                delay = self.backoff * 2 ** attempt
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc.__class__.__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class PerPersonOrder(BaseUpdateProcessor):
    """Updates of different people run concurrently; one person's strictly one at a time, in order."""

    def __init__(self, max_concurrent_updates: int = 512):
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        async with self._locks.hold(user.id):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
