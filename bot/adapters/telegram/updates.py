"""Telegram updates as inbox items: what was said, and what is needed to answer it. No triage logic."""

from __future__ import annotations

from datetime import datetime

from telegram import CallbackQuery, Update
from telegram import Message as TelegramMessage

from bot.adapters.telegram.callbacks import CallbackSigner
from bot.engine import Text
from bot.runtime.rows import payload
from bot.service import Command, Stale, Unsupported
from bot.storage.inbox import Received

KINDS = ("sticker", "photo", "voice", "video", "document", "audio", "location", "contact")


def received(update: Update | None, update_id: int, signer: CallbackSigner, now: datetime) -> Received:
    """The inbox item for an update; one that is not from a person in a private chat, or not readable,
    is kept by its id only."""
    user = update.effective_user if update is not None else None
    if update is None or user is None:
        return Received(update_id, None, None, now)
    language = user.language_code
    if update.callback_query is not None:
        return _press(update_id, update.callback_query, signer, now, language)
    message = update.message
    if message is None or message.chat.type != "private":
        return Received(update_id, str(user.id), None, now)
    at = message.date or now
    if message.text is not None and message.text.startswith("/"):
        words = message.text.split()
        name = words[0][1:].split("@")[0].lower() if words else ""
        return Received(update_id, str(user.id), payload(Command(name), language=language), at)
    if message.text is not None:
        return Received(update_id, str(user.id), payload(Text(message.text), language=language), at)
    kind = next((k for k in KINDS if getattr(message, k, None)), "message")
    return Received(update_id, str(user.id), payload(Unsupported(kind), language=language), at)


def _press(
    update_id: int, query: CallbackQuery, signer: CallbackSigner, now: datetime, language: str | None
) -> Received:
    message = query.message
    context = {"query_id": query.id}
    if message is not None:
        context |= {
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "html": message.text_html if isinstance(message, TelegramMessage) and message.text else None,
        }
    press = signer.press(query.from_user.id, query.data)
    item = press if press is not None and message is not None else Stale()
    return Received(update_id, str(query.from_user.id), payload(item, context, language), now)
