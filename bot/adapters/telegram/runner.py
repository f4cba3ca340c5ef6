"""`backline run`: build the python-telegram-bot Application and run it by polling or webhook."""
from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram.callbacks import CallbackSigner
from bot.adapters.telegram.handlers import TelegramAdapter
from bot.adapters.telegram.intake import UpdatesRequest
from bot.adapters.telegram.limits import PerPersonOrder, RetryingRateLimiter
from bot.adapters.telegram.settings import Settings
from bot.adapters.telegram.webhook import serve, webhook_app
from bot.coaching.delivery import Delivery
from bot.service import Backline
from bot.storage import StorageUnavailable

log = logging.getLogger(__name__)
TICK_SECONDS = 15  # how often due plan days are looked for
RETENTION = timedelta(days=365)  # people with no activity this long are erased (see /privacy)
CONNECTIONS = 16  # PTB's default of 256 costs more in httpcore's pool bookkeeping than it gains


def build_application(settings: Settings, backline: Backline, *, limiter: RetryingRateLimiter | None = None
                      ) -> Application:
    """The Application with Backline's handlers, rate limiter and per-person ordering."""
    adapter = TelegramAdapter(backline, CallbackSigner(settings.token))

    async def post_init(application: Application) -> None:
        await adapter.register_commands(application)

    application = (ApplicationBuilder().token(settings.token)
                   .base_url(settings.api_base_url).base_file_url(settings.file_base_url)
                   .rate_limiter(limiter or RetryingRateLimiter())
                   .connection_pool_size(CONNECTIONS)
                   .get_updates_request(UpdatesRequest())
                   .concurrent_updates(PerPersonOrder())
                   .post_init(post_init)
                   .build())
    adapter.install(application)
    application.bot_data["adapter"] = adapter
    return application


class Runner:
    """Starts and stops the bot around a running event loop (tests drive this directly)."""

    def __init__(self, application: Application, backline: Backline, settings: Settings):
        self.application, self.backline, self.settings = application, backline, settings
        self._server = None
        self.delivery = Delivery(backline, "telegram")
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._failing: set[str] = set()  # jobs whose last run found the database unavailable

    async def deliver_due(self) -> int:
        """Send every plan day now due; the number sent."""
        adapter = self.application.bot_data["adapter"]
        bot = self.application.bot
        results = await self.delivery.run_due(self.backline.clock(), lambda due, msg: adapter.deliver(bot, due, msg))
        return sum(1 for _, status in results if status == "sent")

    async def purge(self) -> int:
        return await self.backline.store.purge_inactive(self.backline.clock() - RETENTION)

    def _outlasting(self, name: str, job):
        """`job` as the scheduler runs it: a database outage is one warning, not a traceback per run."""
        async def run() -> None:
            try:
                await job()
            except StorageUnavailable as exc:
                if name not in self._failing:
                    self._failing.add(name)
                    log.warning("%s: %s; trying again on each run until it answers", name, exc)
                return
            if name in self._failing:
                self._failing.discard(name)
                log.info("%s: the database answers again", name)
        return run

    async def start(self, webhook_url: str | None = None, port: int = 8080, listen: str = "0.0.0.0",
                    poll_timeout: int = 30) -> None:
        app = self.application
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        for name, job, every in (("deliver", self.deliver_due, IntervalTrigger(seconds=TICK_SECONDS)),
                                 ("purge", self.purge, IntervalTrigger(days=1))):
            self.scheduler.add_job(self._outlasting(name, job), every, id=name,
                                   next_run_time=self.backline.clock(), max_instances=1, coalesce=True,
                                   misfire_grace_time=None)
        self.scheduler.start()
        if webhook_url is None:
            await app.updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
            log.info("polling for updates")
            return
        path = urlsplit(webhook_url).path or "/"
        self._server = serve(webhook_app(app, self.backline.store, path, self.settings.webhook_secret),
                             port, listen)
        await app.bot.set_webhook(webhook_url, secret_token=self.settings.webhook_secret,
                                  allowed_updates=Update.ALL_TYPES)
        log.info("webhook set; listening on %s:%s%s", listen, port, path)

    async def stop(self) -> None:
        app = self.application
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        if app.updater.running:
            await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def run(settings: Settings, backline: Backline, webhook_url: str | None, port: int, listen: str) -> None:
    """Run until SIGINT or SIGTERM."""
    runner = Runner(build_application(settings, backline), backline, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.start(webhook_url, port, listen)
    try:
        await stop.wait()
    finally:
        await runner.stop()
