"""Outbox rows as Bot API calls: one person's rows in order, each marked with what became of it."""

from __future__ import annotations

import contextlib
import logging

from telegram import Bot, BotCommand, InputFile
from telegram import Message as TelegramMessage
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import render
from bot.adapters.telegram.callbacks import CallbackSigner
from bot.engine import Message
from bot.runtime.pace import Closed
from bot.runtime.rows import output_of
from bot.storage.outbox import BLOCKED, FAILED, SENT, Mark, Row

log = logging.getLogger(__name__)
CHANNEL = "telegram"


class TelegramChannel:
    """Sends rows with the Bot API (through the bot's rate limiter)."""

    name = CHANNEL

    def __init__(self, bot: Bot, signer: CallbackSigner, clock):
        self.bot, self.signer, self.clock = bot, signer, clock

    async def register_commands(self, menus: dict[str | None, list[tuple[str, str]]]) -> None:
        """The commands menu for each language_code (None: the default menu)."""
        for language, commands in menus.items():
            await self.bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands], language_code=language
            )

    async def working(self, external_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.bot.send_chat_action(int(external_id), ChatAction.TYPING)

    async def send(self, rows: list[Row]) -> list[Mark]:
        """Marks for the rows sent (a run of messages without buttons goes in one bubble with the next);
        stops at a passing failure, leaving the rest for later."""
        marks: list[Mark] = []
        for group in _groups(rows):
            began, sent = self.clock(), None
            try:
                status, sent = await self._send(group)
            except Forbidden:
                status = BLOCKED
            except TimedOut:  # it may well have arrived: a lost message beats a doubled one
                log.warning("a message timed out on sending; counted as sent")
                status = SENT
            except BadRequest as exc:  # refused for good (a chat that is gone, say): nothing to trace
                log.warning("a message was refused: %s", exc.message)
                status = FAILED
            except (RetryAfter, NetworkError, Closed) as exc:
                log.warning("a message could not be sent yet: %s", exc.__class__.__name__)
                return marks
            # Shown at Telegram's own time for it (the clock a person's reply is dated by), else when
            # sending began: no earlier than that can anyone have read it.
            at = sent.date if sent is not None and sent.date else began
            sent_id = sent.message_id if sent is not None else None
            marks += [Mark(r.id, status, sent_id, at, r.delivery_id) for r in group]
            if status == BLOCKED:
                return marks
        return marks

    async def _send(self, group: list[Row]) -> tuple[str, TelegramMessage | None]:
        row, chat_id = group[-1], int(group[-1].external_id)
        body = row.body
        if row.kind == "ack":
            with contextlib.suppress(BadRequest):  # a query too old to answer is no reason to stop
                await self.bot.answer_callback_query(body["context"]["query_id"], body.get("text"))
            return SENT, None
        if row.kind == "answered":
            with contextlib.suppress(BadRequest):  # gone, or already shown answered
                await self._mark_answered(body["context"], body["label"])
            return SENT, None
        if row.kind == "photo":
            return SENT, await self.bot.send_photo(chat_id, row.blob, caption=body.get("caption") or None)
        if row.kind == "document":
            document = InputFile(row.blob, filename=body["filename"])
            return SENT, await self.bot.send_document(chat_id, document, caption=body.get("caption") or None)
        if row.kind not in ("message", "refused"):
            return SENT, None  # outcomes show nothing on Telegram
        text = "\n\n".join(r.body["text"] for r in group)
        output = output_of(row)
        markup = render.keyboard(output, chat_id, self.signer) if isinstance(output, Message) else None
        pieces = render.html_pieces(text)
        sent = None
        for i, piece in enumerate(pieces):
            sent = await self.bot.send_message(
                chat_id,
                piece,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if i == len(pieces) - 1 else None,
            )
        return SENT, sent

    async def _mark_answered(self, context: dict, label: str) -> None:
        """The pressed question shows the answer and loses its buttons; one Telegram no longer shows us
        (older than 48 hours) only loses its buttons."""
        chat_id, message_id, html = context.get("chat_id"), context.get("message_id"), context.get("html")
        if chat_id is None or message_id is None:
            return
        if html:
            await self.bot.edit_message_text(
                render.answered(html, label),
                chat_id,
                message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=None,
            )
        else:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


def _groups(rows: list[Row]) -> list[list[Row]]:
    """Rows in Bot API calls: messages and plain notices without buttons join the message after them
    while the whole stays within one Telegram message."""
    groups: list[list[Row]] = []
    for row in rows:
        last = groups[-1] if groups else None
        joinable = row.kind in ("message", "refused")
        if (
            joinable
            and last
            and last[-1].kind in ("message", "refused")
            and not last[-1].body.get("buttons")
            and sum(len(r.body["text"]) + 2 for r in last) + len(row.body["text"]) <= render.LIMIT
        ):
            last.append(row)
        else:
            groups.append([row])
    return groups
