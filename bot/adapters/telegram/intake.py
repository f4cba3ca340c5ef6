"""Updates read one at a time: one that cannot be read is skipped, and only its id is logged.

python-telegram-bot parses a getUpdates answer as a whole; one update it cannot parse fails the
batch, is logged in full at CRITICAL, and is fetched again on every poll, so no one is answered
any more. `UpdatesRequest` (the request getUpdates goes through) hands PTB only readable updates,
each unreadable one replaced by a bare update with its id, which confirms it.
"""
from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.constants import MessageLimit
from telegram.request import HTTPXRequest

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
