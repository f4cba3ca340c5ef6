"""Flow control: Telegram's send limits, and retries."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter


log = logging.getLogger(__name__)

# Methods whose repetition is harmless: a timed-out call to them is retried. A timed-out
# sendMessage may have been delivered, so it is not repeated (a lost reply beats a doubled one).
IDEMPOTENT = frozenset({"editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendChatAction",
                        "setMyCommands", "deleteWebhook", "setWebhook", "getMe", "deleteMessage"})


class RetryingRateLimiter(AIORateLimiter):
    """python-telegram-bot's AIORateLimiter (a 429's retry_after pauses every request; 20 per minute
    per group), with two changes. The overall cap is a sliding window: at most `overall_max_rate`
    requests that carry a chat_id are answered in any one second, where AIORateLimiter's token bucket
    lets twice that through in the first second (measured: 245 answers of 429 for 600 messages).
    And network errors and 5xx replies are retried with exponential back-off."""

    def __init__(self, *, overall_max_rate: int = 30, network_retries: int = 4, backoff: float = 0.5,
                 **kwargs: Any):
        kwargs.setdefault("max_retries", 5)
        super().__init__(overall_max_rate=0, **kwargs)
        self._window = asyncio.Semaphore(overall_max_rate) if overall_max_rate else None
        self.network_retries, self.backoff = network_retries, backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # noqa: D401
        for attempt in range(self.network_retries + 1):
            try:
                return await self._paced(callback, args, kwargs, endpoint, data, rate_limit_args)
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

    async def _paced(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        """One attempt, holding a window slot until a second after its answer."""
        request = (callback, args, kwargs, endpoint, data, rate_limit_args)
        if self._window is None or data.get("chat_id") is None:
            return await super().process_request(*request)
        await self._window.acquire()
        try:
            return await super().process_request(*request)
        finally:
            asyncio.get_running_loop().call_later(1.0, self._window.release)
