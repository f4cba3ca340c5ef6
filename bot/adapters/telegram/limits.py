"""Flow control: Telegram's send limits (the bot's one cap, bot/runtime/pace.py), and retries."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

from bot.runtime.pace import Pace

log = logging.getLogger(__name__)

# Methods whose repetition is harmless: a timed-out call to them is retried. A timed-out
# sendMessage may have been delivered, so it is not repeated (a lost reply beats a doubled one).
IDEMPOTENT = frozenset({"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendChatAction",
                        "setMyCommands", "deleteWebhook", "setWebhook", "getMe", "deleteMessage"})

# Requests to a chat that Telegram's flood limits do not count; and those that are new messages in it.
UNCOUNTED = frozenset({"sendChatAction"})
MESSAGES = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


class RetryingRateLimiter(BaseRateLimiter[None]):
    """Every request to a chat (but "typing") waits for its slot under the bot's cap (`pace`; None: no
    cap of ours); a 429 pauses every send of the bot for its retry_after, then the request is tried
    again (up to `max_retries` times); network errors and 5xx replies are retried with exponential
    back-off."""

    def __init__(self, pace: Pace | None = None, *, network_retries: int = 4, backoff: float = 0.5,
                 max_retries: int = 5):
        self.pace, self.max_retries = pace, max_retries
        self.network_retries, self.backoff = network_retries, backoff

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args) -> Any:
        network = floods = 0
        while True:
            try:
                chat_id = data.get("chat_id")
                if self.pace is None or not isinstance(chat_id, int) or endpoint in UNCOUNTED:
                    return await callback(*args, **kwargs)
                async with self.pace.slot(chat_id, per_chat=endpoint in MESSAGES):
                    return await callback(*args, **kwargs)
            except BadRequest:
                raise
            except RetryAfter as exc:
                if floods == self.max_retries:
                    raise
                floods += 1
                seconds = _seconds(exc.retry_after)
                log.warning("%s: Telegram asks to wait %.0f s; every send waits", endpoint, seconds)
                if self.pace is not None:
                    await self.pace.pause(seconds)
                else:
                    await asyncio.sleep(seconds)
            except NetworkError as exc:
                retry = endpoint != "getUpdates" and (not isinstance(exc, TimedOut) or endpoint in IDEMPOTENT)
                if not retry or network == self.network_retries:
                    raise
                delay = self.backoff * 2 ** network
                network += 1
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc.__class__.__name__, delay)
                await asyncio.sleep(delay)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
