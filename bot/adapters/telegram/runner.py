"""`backline run`: the Telegram channel wired to the runtime, by long polling or behind a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot import locales
from bot.adapters.telegram.callbacks import CallbackSigner
from bot.adapters.telegram.intake import Intake, Poller, UpdatesRequest
from bot.adapters.telegram.limits import RetryingRateLimiter
from bot.adapters.telegram.sender import TelegramChannel
from bot.settings import Settings
from bot.adapters.telegram.webhook import serve, webhook_app
from bot.runtime import Runtime
from bot.service import COMMANDS, Backline

log = logging.getLogger(__name__)
CONNECTIONS = 16  # PTB's default of 256 costs more in httpcore's pool bookkeeping than it gains


def build_bot(settings: Settings, limiter: RetryingRateLimiter | None = None) -> ExtBot:
    """The Bot API client: the rate limiter, and getUpdates answers screened for unreadable updates."""
    return ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        request=HTTPXRequest(connection_pool_size=CONNECTIONS),
        get_updates_request=UpdatesRequest(),
        rate_limiter=limiter or RetryingRateLimiter(overall_max_rate=settings.send_rate),
    )


class Runner:
    """Starts and stops the bot around a running event loop (tests drive this directly)."""

    def __init__(self, bot: ExtBot, backline: Backline, settings: Settings):
        self.bot, self.backline, self.settings = bot, backline, settings
        signer = CallbackSigner(settings.token)
        self.channel = TelegramChannel(bot, signer, lambda: backline.clock())
        self.runtime = Runtime(backline, [self.channel])
        self.intake = Intake(self.runtime, bot, signer)
        self._server = None
        self._polling: asyncio.Task | None = None

    async def deliver_due(self) -> int:
        """Write every plan day now due and send them; the number written."""
        written = await self.runtime.plan_days()
        await self.runtime.settle()
        return written

    async def start(
        self,
        webhook_url: str | None = None,
        port: int = 8080,
        listen: str = "0.0.0.0",
        poll_timeout: int = 30,
    ) -> None:
        await self.bot.initialize()
        await self.channel.register_commands(
            {
                language: [
                    (name, self.backline.text(f"command.{name}", language or locales.DEFAULT))
                    for name in COMMANDS
                ]
                for language in (None, *locales.LOCALES)
            }
        )
        await self.runtime.start()
        if webhook_url is None:
            with contextlib.suppress(Exception):
                await self.bot.delete_webhook()
            self._polling = asyncio.create_task(Poller(self.intake, poll_timeout).run())
            log.info("polling for updates")
            return
        path = urlsplit(webhook_url).path or "/"
        self._server = serve(
            webhook_app(self.intake, self.backline.store, path, self.settings.webhook_secret), port, listen
        )
        await self.bot.set_webhook(
            webhook_url, secret_token=self.settings.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("webhook set; listening on %s:%s%s", listen, port, path)

    async def stop(self) -> None:
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        await self.runtime.stop()
        await self.bot.shutdown()


async def run(
    settings: Settings, backline: Backline, webhook_url: str | None, port: int, listen: str
) -> None:
    """Run until SIGINT or SIGTERM."""
    runner = Runner(build_bot(settings), backline, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.start(webhook_url, port, listen)
    try:
        await stop.wait()
    finally:
        await runner.stop()
