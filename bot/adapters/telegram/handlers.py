"""Handlers: Telegram updates in, service inputs; service outputs, Bot API calls out. No triage logic."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import BotCommand, CallbackQuery, Update
from telegram import Message as TelegramMessage
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.adapters.telegram import render
from bot.adapters.telegram.callbacks import CallbackSigner
from bot.locales import LOCALES
from bot.engine import Answered, Message, Output, Photo, Refused, Text
from bot.service import COMMANDS, Backline, Command, Unsupported, Who
from bot.storage import StorageUnavailable
from bot.storage.coaching import Due

log = logging.getLogger(__name__)
TYPING_AFTER = 0.3  # seconds of work before the typing indicator shows


class TelegramAdapter:
    def __init__(self, backline: Backline, signer: CallbackSigner):
        self.backline, self.signer = backline, signer

    def install(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(private, self.on_other))
        application.add_handler(CallbackQueryHandler(self.on_press))
        application.add_error_handler(self.on_error)

    async def register_commands(self, application: Application) -> None:
        for locale in (None, *LOCALES):  # the default menu (English), then one per language
            await application.bot.set_my_commands(
                [BotCommand(name, self.backline.text(f"command.{name}", locale or "en"))
                 for name in COMMANDS],
                language_code=locale)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        words = (update.message.text or "").split()
        name = words[0][1:].split("@")[0].lower() if words else ""
        await self._converse(update, context, Command(name))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._converse(update, context, Text(update.message.text))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        kind = next((k for k in ("sticker", "photo", "voice", "video", "document", "audio", "location", "contact")
                     if getattr(message, k, None)), "message")
        await self._converse(update, context, Unsupported(kind))

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query.from_user is None:  # Telegram always says who pressed
            return
        press = self.signer.press(query.from_user.id, query.data)
        if press is None or query.message is None:
            with contextlib.suppress(BadRequest):  # a query too old to answer is no reason to fail
                await query.answer(self.backline.text("hint.stale"))
            return
        await self._converse(update, context, press, query)

    async def _converse(self, update: Update, context: ContextTypes.DEFAULT_TYPE, item,
                        query: CallbackQuery | None = None) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:  # Telegram always sends both in a private chat
            return
        chat_id, who = chat.id, Who("telegram", str(user.id))
        typing = asyncio.create_task(self._typing(context, chat_id))
        try:
            outputs = await self.backline.handle(who, item, update.update_id, user.language_code)
        finally:
            typing.cancel()
        try:
            await self._send(context, who, user.id, chat_id, outputs, query)
        except Forbidden:
            log.info("a person blocked the bot; marking them stopped")
            await self.backline.mark_blocked(who)
        except BadRequest as exc:  # Telegram refused the reply (a chat that is gone, say): nothing to trace
            log.warning("the reply to update %s was refused: %s", update.update_id, exc.message)

    async def _typing(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        await asyncio.sleep(TYPING_AFTER)
        with contextlib.suppress(Exception):
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def _send(self, context: ContextTypes.DEFAULT_TYPE, who: Who, user_id: int, chat_id: int,
                    outputs: list[Output], query: CallbackQuery | None) -> None:
        bot = context.bot
        if query is not None:
            refused = next((o.text for o in outputs if isinstance(o, Refused)), None)
            with contextlib.suppress(BadRequest):  # a query too old to answer is no reason to stop
                await query.answer(refused)
        for item in render.merged(outputs):
            if isinstance(item, Answered) and query is not None:
                with contextlib.suppress(BadRequest):
                    await self._mark_answered(bot, query, item.label)
            elif isinstance(item, Message) or (isinstance(item, Refused) and query is None):
                await self._message(bot, user_id, chat_id, item)
            elif isinstance(item, Photo):
                await bot.send_photo(chat_id, item.data, caption=item.caption)

    @staticmethod
    async def _mark_answered(bot, query: CallbackQuery, label: str) -> None:
        """The pressed question shows the answer and loses its buttons; one Telegram no longer shows us
        (older than 48 hours: an InaccessibleMessage) only loses its buttons."""
        message = query.message
        if isinstance(message, TelegramMessage) and message.text:
            await query.edit_message_text(render.answered(message.text_html, label),
                                          parse_mode=ParseMode.HTML, reply_markup=None)
        else:
            await bot.edit_message_reply_markup(message.chat.id, message.message_id, reply_markup=None)

    async def _message(self, bot, user_id: int, chat_id: int, item: Message | Refused) -> None:
        pieces = render.html_pieces(item.text)
        markup = render.keyboard(item, user_id, self.signer) if isinstance(item, Message) else None
        for i, piece in enumerate(pieces):
            await bot.send_message(chat_id, piece, parse_mode=ParseMode.HTML,
                                   reply_markup=markup if i == len(pieces) - 1 else None)

    async def deliver(self, bot, due: Due, message: Message) -> str | None:
        """Send one plan day: "sent", "blocked" (never again), or None (a passing failure: retried later)."""
        user_id = int(due.external_id)
        try:
            await self._message(bot, user_id, user_id, message)
        except Forbidden:
            return "blocked"
        except TimedOut:  # it may well have arrived: a lost message beats a doubled one
            log.warning("a plan day timed out on sending; counted as sent")
            return "sent"
        except TelegramError as exc:
            log.warning("a plan day could not be sent: %s", exc.__class__.__name__)
            return None
        return "sent"

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure without the update's content (health answers stay out of logs)."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, StorageUnavailable):  # an outage, not a bug: no traceback
            log.warning("update %s failed: %s", update_id, error)
            return
        log.error("update %s failed: %s", update_id, error.__class__.__name__, exc_info=error)
