"""`backline run`: the Telegram channel wired to the runtime, by long polling or behind a webhook.

Any number of processes may run on one PostgreSQL database: every one serves the webhook (behind a
load balancer) and does the work; only the leader (bot/runtime/coordinator.py) polls, or sets the
webhook (once each time a process becomes the leader), and registers the commands menu.
"""

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
from bot.runtime.pace import Pace
from bot.service import COMMANDS, Backline
from bot.storage import Store

log = logging.getLogger(__name__)
CONNECTIONS = 16  # PTB's default of 256 costs more in httpcore's pool bookkeeping than it gains
POOL_WAIT = 60.0  # seconds a request may wait for a free connection
READ_WAIT = 20.0  # seconds a request waits for its answer (PTB's default: 5)


def build_bot(settings: Settings, store: Store, limiter: RetryingRateLimiter | None = None) -> ExtBot:
    """The Bot API client: the bot's one send cap (shared with its other processes through `store`),
    and getUpdates answers screened for unreadable updates."""
    pace = Pace(store, settings.send_rate) if settings.send_rate else None
    return ExtBot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        # Waiting for a free connection is harmless; PTB's 1 s pool timeout would raise TimedOut, which
        # counts a message as sent that never left.
        # A read timeout counts a message as sent (it may have arrived) and frees its place under the cap
        # while Telegram may still count it: the longer the timeout, the rarer both are.
        request=HTTPXRequest(
            connection_pool_size=CONNECTIONS, pool_timeout=POOL_WAIT, read_timeout=READ_WAIT
        ),
        get_updates_request=UpdatesRequest(),
        rate_limiter=limiter or RetryingRateLimiter(pace),
    )


class Runner:
    """Starts and stops the bot around a running event loop (tests drive this directly)."""

    def __init__(self, bot: ExtBot, backline: Backline, settings: Settings):
        self.bot, self.backline, self.settings = bot, backline, settings
        signer = CallbackSigner(settings.token)
        self.channel = TelegramChannel(bot, signer, lambda: backline.clock())
        self.runtime = Runtime(backline, [self.channel], on_lead=self._lead)
        pace = getattr(bot.rate_limiter, "pace", None)
        if pace is not None:  # another process met a 429: this one waits too
            self.runtime.listeners["pause"] = lambda until: pace.paused(float(until))
        self.intake = Intake(self.runtime, bot, signer)
        self._server = None
        self._polling: asyncio.Task | None = None
        self._webhook_url: str | None = None
        self._poll_timeout = 30

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
        self._webhook_url, self._poll_timeout = webhook_url, poll_timeout
        if webhook_url is not None:
            path = urlsplit(webhook_url).path or "/"
            self._server = serve(
                webhook_app(self.intake, self.backline.store, path, self.settings.webhook_secret,
                            lambda: self.runtime.leading),
                port,
                listen,
            )
            log.info("listening on %s:%s%s", listen, port, path)
        await self.runtime.start()

    async def _lead(self, leading: bool) -> None:
        """The leader's duties: the commands menu, then polling or setting the webhook; given up, polling
        stops (the webhook stays: the next leader sets it again)."""
        if not leading:
            await self._stop_polling()
            return
        await self.channel.register_commands(
            {
                language: [
                    (name, self.backline.text(f"command.{name}", language or locales.DEFAULT))
                    for name in COMMANDS
                ]
                for language in (None, *locales.LOCALES)
            }
        )
        if self._webhook_url is None:
            with contextlib.suppress(Exception):
                await self.bot.delete_webhook()
            self._polling = asyncio.create_task(Poller(self.intake, self._poll_timeout).run())
            log.info("polling for updates")
            return
        await self.bot.set_webhook(
            self._webhook_url, secret_token=self.settings.webhook_secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("webhook set")

    async def _stop_polling(self) -> None:
        polling, self._polling = self._polling, None
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling

    async def stop(self) -> None:
        pace = getattr(self.bot.rate_limiter, "pace", None)
        if pace is not None:  # what is being sent finishes; nothing new begins
            pace.close()
        await self._stop_polling()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        await self.runtime.stop()
        await self.bot.shutdown()


async def run(
    settings: Settings, backline: Backline, webhook_url: str | None, port: int, listen: str
) -> None:
    """Run until SIGINT or SIGTERM."""
    runner = Runner(build_bot(settings, backline.store), backline, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.start(webhook_url, port, listen)
    try:
        await stop.wait()
    finally:
        await runner.stop()
