"""Engine output as Telegram message parts: HTML-escaped, split under the length limit, with keyboards."""
from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.adapters.telegram.callbacks import CallbackSigner
from bot.engine import Message

LIMIT = MessageLimit.MAX_TEXT_LENGTH


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind(sep, 0, limit + 1) for sep in ("\n\n", "\n", " "))
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return pieces + [text]


def keyboard(message: Message, user_id: int, signer: CallbackSigner) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=signer.data(user_id, message.ref, b.id))]
         for b in message.buttons])


def html_pieces(text: str) -> list[str]:
    """Split the plain text first, then escape, so that no entity is cut in two."""
    return [html.escape(piece, quote=False) for piece in split(text)]


def answered(question_html: str, label: str) -> str:
    """The question as it reads once answered."""
    return f"{question_html}\n\n<b>→ {html.escape(label, quote=False)}</b>"
