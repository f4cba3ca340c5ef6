"""Updates in: read one at a time, stored in the inbox, and only then confirmed to Telegram.

python-telegram-bot parses a getUpdates answer as a whole; one update it cannot parse fails the
batch, is logged in full at CRITICAL, and is fetched again on every poll, so no one is answered
any more. `UpdatesRequest` (the request getUpdates goes through) hands PTB only readable updates,
each unreadable one replaced by a bare update with its id, which is stored as unreadable.

`Poller` fetches with getUpdates itself: the next offset, which confirms a batch, is asked for only
after the batch is committed to the inbox. While the database does not answer, each person in the
batch is told once that their message could not be recorded, and the batch is fetched again.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Bot, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot import locales
from bot.adapters.telegram import render
from bot.adapters.telegram.callbacks import CallbackSigner
from bot.adapters.telegram.sender import CHANNEL
from bot.adapters.telegram.updates import received
from bot.runtime import Runtime
from bot.storage import StorageUnavailable

log = logging.getLogger(__name__)
LARGEST = 2**63  # ids are 64-bit integers in Telegram and in the database


def read_update(data: object, bot=None) -> Update | None:
    """The Update `data` stands for, or None if it is not one; never raises."""
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        return None
    try:
        update = Update.de_json(data, bot)
    except Exception:  # PTB raises whatever the bad field provokes: TypeError, KeyError, AttributeError...
        return None
    return update if _plausible(update) else None


def _plausible(update: Update) -> bool:
    """PTB does not check scalar types: the fields the handlers read must be what Telegram documents."""
    try:
        user, chat, message = update.effective_user, update.effective_chat, update.effective_message
        query = update.callback_query
    except Exception:  # a property reading a field of the wrong type
        return False
    ids = [x.id for x in (user, chat) if x is not None]
    if message is not None:  # Telegram's messages always have an id, a date and a chat
        ids.append(message.message_id)
        if not isinstance(message.date, datetime) or message.chat is None:
            return False
    if query is not None and query.from_user is None:
        return False
    if not all(type(i) is int and -LARGEST < i < LARGEST for i in ids + [update.update_id]):
        return False
    text = getattr(message, "text", None)
    if text is not None and not (isinstance(text, str) and len(text) <= MessageLimit.MAX_TEXT_LENGTH):
        return False
    if message is not None and not all(isinstance(e.offset, int) and isinstance(e.length, int)
                                       for e in getattr(message, "entities", ()) or ()):
        return False
    return query is None or (isinstance(query.id, str)
                             and (query.data is None or isinstance(query.data, str)))


def screened(results: list) -> list:
    """getUpdates results with each unreadable update replaced by its bare id (or left out if it has none)."""
    out = []
    for data in results:
        if read_update(data) is not None:
            out.append(data)
            continue
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if type(update_id) is int:
            log.warning("update %s could not be read; skipped", update_id)
            out.append({"update_id": update_id})
        else:
            log.warning("an update without a readable id was skipped")
    return out


class UpdatesRequest(HTTPXRequest):
    """The request getUpdates goes through: answers are screened before PTB parses them."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("connection_pool_size", 1)  # what PTB's builder gives getUpdates
        super().__init__(**kwargs)

    async def post(self, *args, **kwargs):
        result = await super().post(*args, **kwargs)
        return screened(result) if isinstance(result, list) else result


class Intake:
    """Updates into the inbox; what to tell people whose update could not be stored."""

    def __init__(self, runtime: Runtime, bot: Bot, signer: CallbackSigner):
        self.runtime, self.bot, self.signer = runtime, bot, signer
        self._told: set[int] = set()  # updates whose sender was told the records could not be reached

    async def store(self, updates: list[tuple[int, Update | None]]) -> bool:
        """Store the updates; False (after telling each person once) if the database did not take them."""
        now = self.runtime.backline.clock()
        items = [received(update, update_id, self.signer, now) for update_id, update in updates]
        try:
            await self.runtime.receive(CHANNEL, items)
        except StorageUnavailable as exc:
            log.warning("%d updates could not be stored: %s", len(items), exc)
            await self._tell_unavailable(items)
            return False
        self._told.difference_update(i.update_id for i in items)
        return True

    async def _tell_unavailable(self, items) -> None:
        for item in items:
            if item.external_id is None or item.payload is None or item.update_id in self._told:
                continue
            self._told.add(item.update_id)
            locale = locales.from_telegram(item.payload.get("language"))
            text = render.html_pieces(self.runtime.backline.text("error.storage", locale))[0]
            try:
                await self.bot.send_message(int(item.external_id), text, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not say the records are unreachable: %s", exc.__class__.__name__)


class Poller:
    """Long polling that confirms a batch (the next offset) only once the inbox holds it."""

    def __init__(self, intake: Intake, timeout: int = 30):
        self.intake, self.timeout = intake, timeout
        self.offset: int | None = None

    async def run(self) -> None:
        bot, failures = self.intake.bot, 0
        while True:
            try:
                updates = await bot.get_updates(offset=self.offset, timeout=self.timeout,
                                                allowed_updates=Update.ALL_TYPES)
            except Conflict:
                log.warning("another process polls with this token; trying again")
                await asyncio.sleep(5)
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); trying again", exc.__class__.__name__)
                await asyncio.sleep(min(30, 0.5 * 2 ** failures))
                failures += 1
                continue
            failures = 0
            if not updates:
                continue
            if await self.intake.store([(u.update_id, u) for u in updates]):
                self.offset = updates[-1].update_id + 1
            else:
                await asyncio.sleep(1)
