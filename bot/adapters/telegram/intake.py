"""Updates read one at a time: one that cannot be read is refused, and only its id is logged."""
from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.constants import MessageLimit


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
    if message is not None:
        ids.append(message.message_id)
        if not isinstance(message.date, datetime):
            return False
    if not all(type(i) is int for i in ids):
        return False
    text = getattr(message, "text", None)
    if text is not None and not (isinstance(text, str) and len(text) <= MessageLimit.MAX_TEXT_LENGTH):
        return False
    if message is not None and not all(isinstance(e.offset, int) and isinstance(e.length, int)
                                       for e in getattr(message, "entities", ()) or ()):
        return False
    return query is None or (isinstance(query.id, str) and (query.data is None or isinstance(query.data, str)))
