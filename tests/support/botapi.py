"""A local, faithful Telegram Bot API server for end-to-end tests and benchmarks.

:class:`BotAPIServer` runs inside the caller's asyncio event loop (tornado, bound to
127.0.0.1 on a free port) and speaks the real Bot API over HTTP, so the real
python-telegram-bot ``Bot``/``Application`` can be pointed at it with
``base_url=server.base_url``.  Test code plays the users (:meth:`BotAPIServer.user`),
inspects what the bot did (:attr:`BotAPIServer.calls`, :meth:`BotAPIServer.sent`) and
injects failures (:meth:`~BotAPIServer.block`, :meth:`~BotAPIServer.flood`,
:meth:`~BotAPIServer.fail`, :meth:`~BotAPIServer.rate_limit`) and raw, possibly malformed
updates (:meth:`~BotAPIServer.inject`).

What is modelled after the real server (telegram-bot-api on top of TDLib):

* the envelope ``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code": N,
  "description": "...", "parameters": {...}}`` and Telegram's error descriptions;
* parameters as query string, JSON, urlencoded or multipart form (where every value is a
  string and objects are JSON strings, as python-telegram-bot sends them);
* ``parse_mode`` HTML, MarkdownV2 and Markdown, ported from TDLib's parsers (same error
  texts, byte offsets), the clean-up of the resulting text (control characters, leading
  and trailing whitespace) and the automatic detection of commands, mentions, hashtags,
  cashtags, links and e-mail addresses in the returned entities;
* update delivery: ids increase across all users, updates stay queued until confirmed.
  ``getUpdates`` confirms every update whose id is lower than ``offset`` and returns the
  rest, so a call without an ``offset`` (or with an older one) returns every unconfirmed
  update again -- that is how a test makes "Telegram" deliver again an update a crashed
  bot never confirmed.  A second long poll ends the first one with 409, as in Telegram.
  ``allowed_updates`` (getUpdates or setWebhook) is remembered and filters updates as
  they are created;
* webhooks: updates are POSTed one chat at a time (at most ``max_connections`` at once),
  retried with back-off until the endpoint answers 2xx.

Deliberate differences: webhook URLs may be plain ``http`` on any port; files given by URL
are fetched but never re-encoded; with ``strict_html`` (the default) a ``&`` that does not
start an entity is refused in HTML, where Telegram would keep it literally.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import datetime as dtm
import functools
import inspect
import io
import itertools
import random
import json
import math
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.simple_httpclient
import tornado.web
from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Document,
    File,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    MessageEntity,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Sticker,
    Update,
    User,
    Voice,
    WebhookInfo,
)

__all__ = ["BotAPIServer", "Call", "FakeUser", "Upload"]

METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "getFile",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in METHODS}

# Parameter types, for form-encoded requests where every value arrives as a string.
_INT_PARAMS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time",
    "reply_to_message_id", "message_thread_id",
}
_BOOL_PARAMS = {
    "disable_notification", "protect_content", "drop_pending_updates", "show_alert",
    "disable_web_page_preview", "has_spoiler", "allow_sending_without_reply",
    "show_caption_above_media", "allow_paid_broadcast",
}
_JSON_PARAMS = {
    "reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
    "link_preview_options", "reply_parameters",
}

_DEFAULT_ALLOWED_UPDATES = frozenset(Update.ALL_TYPES) - {
    "chat_member", "message_reaction", "message_reaction_count",
}
_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}
# Flags Message.to_dict() writes as false but Telegram only ever sends when true.
_FALSE_FLAGS = (
    "channel_chat_created", "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
)
_BUTTON_FIELDS = frozenset(inspect.signature(InlineKeyboardButton).parameters) - {"api_kwargs"}
_BUTTON_ACTIONS = _BUTTON_FIELDS - {"text"}
_REPLY_KEYBOARD_OPTIONS = (
    "is_persistent", "resize_keyboard", "one_time_keyboard", "input_field_placeholder", "selective",
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]*")

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclasses.dataclass
class Call:
    """One request the bot made: canonical method name, parameters, answer status, when
    (``time.monotonic()``) and, once answered with success, its ``result``."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    result: Any = None


@dataclasses.dataclass(repr=False)
class Upload:
    """A file uploaded in a multipart request."""

    filename: str
    content_type: str
    body: bytes

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {self.content_type!r}, {len(self.body)} bytes)"


@dataclasses.dataclass
class _Described:
    """A successful result that carries a ``description`` too (setWebhook, deleteWebhook)."""

    result: Any
    description: str


# ---------------------------------------------------------------------------------------
# Text formatting: ports of TDLib's parse_html / parse_markdown_v2 / parse_markdown and a
# simplified fix_formatted_text.  Entities are kept with code point indexes until they are
# turned into MessageEntity objects with UTF-16 offsets.


class _ParseError(Exception):
    """Markup that TDLib refuses; answered as "can't parse entities: <message>"."""


@dataclasses.dataclass
class _Entity:
    type: str
    start: int
    end: int
    extra: dict = dataclasses.field(default_factory=dict)


_TD_SPACES = " \t\r\n\0\v\f"
_WHITESPACE = " \n"
_SPLITTABLE = {"bold", "italic", "underline", "strikethrough", "spoiler"}
_HIDDEN_DATA = {"text_link", "text_mention"}
_QUOTES = {"blockquote", "expandable_blockquote"}
_HTML_SIMPLE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}
_HTML_TAGS = set(_HTML_SIMPLE) | {"a", "tg-emoji", "pre", "code", "blockquote"}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MD2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_TD_TYPE_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl",
    "code": "Code", "pre": "Pre", "custom_emoji": "CustomEmoji", "blockquote": "BlockQuote",
}
_SORT_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20, "text_link": 49,
    "text_mention": 49, "bold": 90, "italic": 91, "underline": 92, "strikethrough": 93,
    "spoiler": 94, "custom_emoji": 99,
}
_ENTITY_TYPES = set(_SORT_PRIORITY) | {
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
}
_FOUND_ENTITIES = (
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>@])"),
    ),
    ("mention", re.compile(r"(?<!\w)@[a-zA-Z0-9_]{5,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w\u200c])#[\w\u200c]{1,256}(?![\w\u200c]*#)")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w$])")),
    ("url", re.compile(r"(?i)(?<![\w/])(?:https?|ftp|tg|ton)://[^\s<>\"]+")),
    (
        "email",
        re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)"),
    ),
)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _decode_html_entity(src: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``src[pos] == "&"`` like TDLib; None if there is none."""
    n, end = len(src), pos + 1
    if end < n and src[end] == "#":
        end += 1
        code = 0
        if end < n and src[end] == "x":
            end += 1
            while end < n and src[end] in "0123456789abcdefABCDEF":
                code, end = code * 16 + int(src[end], 16), end + 1
        else:
            while end < n and src[end] in "0123456789":
                code, end = code * 10 + int(src[end]), end + 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        char = _NAMED_HTML_ENTITIES.get(src[pos + 1 : end])
        if char is None:
            return None
    if end < n and src[end] == ";":
        end += 1
    return char, end


def _checked_link(url: str) -> str | None:
    """The URL Telegram keeps for a text link, or None where it drops the link."""
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        return None
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    scheme = match.group(1).lower() if match else "http"
    if not match:
        url = "http://" + url
    if scheme not in ("http", "https", "ftp", "tg", "ton"):
        return None
    if scheme in ("http", "https", "ftp"):
        parts = urlsplit(url)
        if not parts.hostname:
            return None
        if not parts.path:
            url = urlunsplit(parts._replace(path="/"))
    return url


def _link_entity(start: int, end: int, url: str) -> _Entity | None:
    mention = re.fullmatch(r"tg://user\?id=(\d{1,18})", url, re.IGNORECASE)
    if mention:
        return _Entity("text_mention", start, end, {"user_id": int(mention.group(1))})
    checked = _checked_link(url)
    return _Entity("text_link", start, end, {"url": checked}) if checked else None


def _parse_html(src: str, *, strict: bool) -> tuple[str, list[_Entity]]:
    """TDLib's parse_html; with ``strict`` a bare "&" is an error too."""
    out: list[str] = []
    entities: list[_Entity] = []
    stack: list[tuple[str, str, int]] = []  # tag, argument, start
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def error(message: str, pos: int) -> _ParseError:
        return _ParseError(f"{message} at byte offset {_byte_offset(src, pos)}")

    i = 0
    while i < n:
        char = src[i]
        if char == "&":
            decoded = _decode_html_entity(src, i)
            if decoded:
                out.append(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise error('Character "&" must be escaped as "&amp;"', i)
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _TD_SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise error("Unclosed start tag", begin)
            tag = src[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise error(f'Unsupported start tag "{tag}"', begin)
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _TD_SPACES:
                    i += 1
                if at(i) == ">":
                    break
                name_begin = i
                while at(i) not in _TD_SPACES and at(i) not in "=>":
                    i += 1
                name = src[name_begin:i]
                if not name:
                    raise error(f'Empty attribute name in the tag "{tag}"', begin)
                while i < n and at(i) in _TD_SPACES:
                    i += 1
                if tag == "blockquote" and name == "expandable" and at(i) != "=":
                    argument = "expandable"
                    continue
                if at(i) != "=":
                    raise error(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}"',
                        begin,
                    )
                i += 1
                while i < n and at(i) in _TD_SPACES:
                    i += 1
                if i >= n:
                    raise error(f'Unclosed start tag "{tag}"', begin)
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = src[token_begin:i].lower()
                    if at(i) not in _TD_SPACES and at(i) != ">":
                        raise error("Unexpected end of name token", token_begin)
                else:
                    quote = src[i]
                    i += 1
                    chars = []
                    while i < n and src[i] != quote:
                        decoded = _decode_html_entity(src, i) if src[i] == "&" else None
                        if decoded:
                            chars.append(decoded[0])
                            i = decoded[1]
                        else:
                            chars.append(src[i])
                            i += 1
                    i += 1
                    value = "".join(chars)
                if i >= n:
                    raise error("Unclosed start tag", begin)
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise error('Tag "span" must have class "tg-spoiler"', begin)
            stack.append((tag, argument, len(out)))
        else:
            if not stack:
                raise error("Unexpected end tag", begin)
            while at(i) not in _TD_SPACES and at(i) != ">":
                i += 1
            end_tag = src[begin + 2 : i].lower()
            while i < n and at(i) in _TD_SPACES:
                i += 1
            if at(i) != ">":
                raise error("Unclosed end tag", begin)
            tag, argument, start = stack[-1]
            if end_tag and end_tag != tag:
                raise _ParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{tag}>", found "</{end_tag}>"'
                )
            if len(out) > start:
                _close_html_entity(entities, out, tag, argument, start)
            stack.pop()
        i += 1
    if stack:
        raise _ParseError(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    for entity in entities:
        if entity.type == "code":
            entity.extra.clear()
    text = "".join(out)
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise _ParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    return text, entities


def _close_html_entity(
    entities: list[_Entity], out: list[str], tag: str, argument: str, start: int
) -> None:
    end = len(out)
    last = entities[-1] if entities else None
    same_range = last is not None and (last.start, last.end) == (start, end)
    if tag in _HTML_SIMPLE:
        entities.append(_Entity(_HTML_SIMPLE[tag], start, end))
    elif tag == "tg-emoji":
        if not re.fullmatch(r"-?\d{1,19}", argument) or int(argument) == 0:
            raise _ParseError("Invalid custom emoji identifier specified")
        entities.append(_Entity("custom_emoji", start, end, {"custom_emoji_id": argument}))
    elif tag == "a":
        link = _link_entity(start, end, argument or "".join(out[start:end]))
        if link:
            entities.append(link)
    elif tag == "pre":
        if same_range and last.type == "code" and last.extra.get("language"):
            last.type = "pre"
        else:
            entities.append(_Entity("pre", start, end))
    elif tag == "code":
        if same_range and last.type == "pre" and argument:
            last.extra["language"] = argument
        else:
            entities.append(_Entity("code", start, end, {"language": argument} if argument else {}))
    else:
        kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
        entities.append(_Entity(kind, start, end))


def _read_md_url(src: str, i: int) -> tuple[str, int]:
    """Read a MarkdownV2 "(url)" body starting at ``i``; returns the URL and the index of ")"."""
    chars = []
    while i < len(src) and src[i] != ")":
        if src[i] == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126:
            chars.append(src[i + 1])
            i += 2
        else:
            chars.append(src[i])
            i += 1
    return "".join(chars), i


def _fence_language(src: str, i: int, at: Callable[[int], str]) -> tuple[int, str]:
    """After an opening ``` at `i`: skip the language name (returned) and one line break, as TDLib does."""
    n, language = len(src), ""
    end = i
    while at(end) not in _TD_SPACES and at(end) != "`":
        end += 1
    if i != end and end < n and src[end] != "`":
        language, i = src[i:end], end
    if i < n and src[i] in "\r\n":
        i += 2 if at(i + 1) in "\r\n" and at(i + 1) != src[i] else 1
    return i, language


def _parse_markdown_v2(src: str) -> tuple[str, list[_Entity]]:
    """TDLib's parse_markdown_v2."""
    out: list[str] = []
    entities: list[_Entity] = []
    stack: list[list] = []  # [type, argument, start, source position]
    have_blockquote = False
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    def reserved(char: str) -> _ParseError:
        return _ParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def unclosed(entry: list) -> _ParseError:
        name = "PreCode" if entry[0] == "pre" and entry[1] else _TD_TYPE_NAMES[entry[0]]
        return _ParseError(
            f"Can't find end of {name} entity at byte offset {_byte_offset(src, entry[3])}"
        )

    i = -1
    while True:
        i += 1
        if i >= n:
            break
        char = src[i]
        if char == "\\" and 0 < ord(at(i + 1)) <= 126:
            i += 1
            out.append(src[i])
            continue
        in_code = bool(stack) and stack[-1][0] in ("code", "pre")
        if char not in ("`" if in_code else _MD2_RESERVED):
            out.append(char)
            continue
        is_end = False
        if stack:
            top = stack[-1][0]
            if have_blockquote and char == "\n" and at(i + 1) != ">":
                is_end = True
            else:
                is_end = {
                    "bold": char == "*",
                    "italic": char == "_" and at(i + 1) != "_",
                    "code": char == "`",
                    "pre": src[i : i + 3] == "```",
                    "text_link": char == "]",
                    "underline": src[i : i + 2] == "__",
                    "strikethrough": char == "~",
                    "spoiler": src[i : i + 2] == "||",
                    "custom_emoji": char == "]",
                    "blockquote": False,
                }[top]
        if not is_end:
            position, argument, kind = i, "", None
            if char == "_":
                kind = "underline" if at(i + 1) == "_" else "italic"
                i += kind == "underline"
            elif char == "*":
                kind = "bold"
            elif char == "~":
                kind = "strikethrough"
            elif char == "|":
                if at(i + 1) != "|":
                    raise reserved(char)
                i += 1
                kind = "spoiler"
            elif char == "[":
                kind = "text_link"
            elif char == "`":
                if src[i : i + 3] == "```":
                    kind = "pre"
                    i, argument = _fence_language(src, i + 3, at)
                    i -= 1
                else:
                    kind = "code"
            elif char == "!":
                if at(i + 1) != "[":
                    raise reserved(char)
                i += 1
                kind = "custom_emoji"
            elif char == "\n":
                out.append("\n")
                if at(i + 1) == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif char == ">" and i == 0:
                kind = "blockquote"
                have_blockquote = True
            else:
                raise reserved(char)
            if kind:
                stack.append([kind, argument, len(out), position])
            continue
        kind, argument, start, _position = stack[-1]
        if char == "\n" and kind != "blockquote":
            raise unclosed(stack[-1])
        entity: _Entity | None = _Entity(kind, start, 0)
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if argument:
                entity.extra["language"] = argument
        elif kind == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[start:])
            else:
                url_begin = i + 2
                url, i = _read_md_url(src, url_begin)
                if at(i) != ")":
                    raise _ParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, url_begin)}"
                    )
            entity = _link_entity(start, 0, url)
        elif kind == "custom_emoji":
            if at(i + 1) != "(":
                raise _ParseError("Custom emoji entity must contain a tg://emoji URL")
            url_begin = i + 2
            url, i = _read_md_url(src, url_begin)
            if at(i) != ")":
                raise _ParseError(
                    "Can't find end of a custom emoji URL at byte offset "
                    f"{_byte_offset(src, url_begin)}"
                )
            emoji = re.fullmatch(r"tg://emoji\?id=(\d{1,19})", url)
            if not emoji:
                raise _ParseError("Custom emoji URL must have scheme tg")
            entity.extra["custom_emoji_id"] = emoji.group(1)
        elif kind == "blockquote":
            have_blockquote = False
            out.append(char)
        if entity and len(out) > start:
            entity.end = len(out)
            entities.append(entity)
        stack.pop()
    if have_blockquote and stack and stack[-1][0] == "blockquote":
        if len(out) > stack[-1][2]:
            entities.append(_Entity("blockquote", stack[-1][2], len(out)))
        stack.pop()
    if stack:
        raise unclosed(stack[-1])
    return "".join(out), entities


def _parse_markdown(src: str) -> tuple[str, list[_Entity]]:
    """TDLib's parse_markdown (the legacy "Markdown" parse mode)."""
    out: list[str] = []
    entities: list[_Entity] = []
    n = len(src)

    def at(k: int) -> str:
        return src[k] if k < n else "\0"

    i = -1
    while True:
        i += 1
        if i >= n:
            break
        char = src[i]
        if char == "\\" and at(i + 1) in "_*`[":
            i += 1
            out.append(src[i])
            continue
        if char not in "_*`[":
            out.append(char)
            continue
        begin, end_char, is_pre, language = i, "]" if char == "[" else char, False, ""
        i += 1
        if char == "`" and src[i : i + 2] == "``":
            is_pre = True
            i, language = _fence_language(src, i + 2, at)
        start = len(out)
        while i < n and (src[i] != end_char or (is_pre and src[i + 1 : i + 3] != "``")):
            out.append(src[i])
            i += 1
        if i == n:
            raise _ParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        if len(out) > start:
            end = len(out)
            if char in "_*":
                entities.append(_Entity("italic" if char == "_" else "bold", start, end))
            elif char == "[":
                url = "".join(out[start:])
                if at(i + 1) == "(":
                    close = src.find(")", i + 2)
                    close = n if close < 0 else close
                    url, i = src[i + 2 : close], close
                link = _link_entity(start, end, url)
                if link:
                    entities.append(link)
            elif is_pre:
                extra = {"language": language} if language else {}
                entities.append(_Entity("pre", start, end, extra))
            else:
                entities.append(_Entity("code", start, end))
        if is_pre:
            i += 2
    return "".join(out), entities


def _find_entities(text: str) -> list[_Entity]:
    """Entities Telegram detects by itself in any text, leftmost first, not overlapping."""
    found = []
    for kind, pattern in _FOUND_ENTITIES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                end = start + len(match.group().rstrip(".,;:!?'\")]"))
            elif kind == "hashtag" and not any(char.isalpha() for char in match.group()):
                continue
            found.append(_Entity(kind, start, end))
    found.sort(key=lambda entity: (entity.start, -entity.end))
    result: list[_Entity] = []
    for entity in found:
        if not result or entity.start >= result[-1].end:
            result.append(entity)
    return result


def _finish_text(
    text: str, entities: list[_Entity], *, allow_empty: bool
) -> tuple[str, list[_Entity]]:
    """TDLib's fix_formatted_text, simplified: clean, trim, add detected entities, sort."""
    kept, index, position = [], [], 0
    for char in text:
        index.append(position)
        if char == "\r" or "\u2028" <= char <= "\u202e" or char in "\u0333\u033f\u030a":
            continue
        kept.append(" " if ord(char) < 32 and char != "\n" else char)
        position += 1
    index.append(position)
    text = "".join(kept)
    for entity in entities:
        entity.start, entity.end = index[entity.start], index[entity.end]
        if entity.type not in _HIDDEN_DATA:
            while entity.start < entity.end and text[entity.start] in _WHITESPACE:
                entity.start += 1
    entities = [
        entity
        for entity in entities
        if entity.end > entity.start
        and (entity.type in _HIDDEN_DATA or text[entity.start : entity.end].strip(_WHITESPACE))
    ]
    length = len(text.rstrip(_WHITESPACE))
    if length == 0:
        if allow_empty:
            return "", []
        raise _bad("message must be non-empty")
    text = text[:length]
    entities = [entity for entity in entities if entity.start < length]
    for entity in entities:
        entity.end = min(entity.end, length)
    first = min((entity.start for entity in entities), default=length)
    lead = 0
    while lead < first and text[lead] in _WHITESPACE:
        lead += 1
    text = text[lead:]
    for entity in entities:
        entity.start -= lead
        entity.end -= lead
    blockers = [entity for entity in entities if entity.type not in _SPLITTABLE]
    for new in _find_entities(text):
        if not any(
            new.start < old.end
            and old.start < new.end
            and not (old.type in _QUOTES and old.start <= new.start and new.end <= old.end)
            for old in blockers
        ):
            entities.append(new)
    entities.sort(key=lambda e: (e.start, -(e.end - e.start), _SORT_PRIORITY.get(e.type, 50)))
    return text, entities


def _utf16_prefix(text: str) -> list[int]:
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + (2 if ord(char) > 0xFFFF else 1))
    return prefix


def _explicit_entities(text: str, raw: Any) -> list[_Entity]:
    """The ``entities`` parameter (UTF-16 offsets) as code point entities."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("can't parse entities JSON object")
    prefix = _utf16_prefix(text)
    entities = []
    for item in raw:
        if not isinstance(item, dict):
            raise _bad("can't parse MessageEntity: Object expected")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if kind not in _ENTITY_TYPES:
            raise _bad("can't parse MessageEntity: Unsupported type specified")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
            raise _bad("can't parse MessageEntity: Field \"offset\" must be a valid Number")
        if offset + length > prefix[-1]:
            raise _bad(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text at "
                f"UTF-16 offset {offset + length}"
            )
        entity = _Entity(
            kind, bisect.bisect_left(prefix, offset), bisect.bisect_left(prefix, offset + length)
        )
        if kind == "text_link":
            link = _checked_link(str(item.get("url", "")))
            if not link:
                continue
            entity.extra["url"] = link
        elif kind == "text_mention":
            entity.extra["user_id"] = int((item.get("user") or {}).get("id", 0))
        elif kind == "pre" and item.get("language"):
            entity.extra["language"] = str(item["language"])
        elif kind == "custom_emoji":
            entity.extra["custom_emoji_id"] = str(item.get("custom_emoji_id", ""))
        entities.append(entity)
    return entities


# ---------------------------------------------------------------------------------------
# Small helpers.


def _now() -> dtm.datetime:
    return dtm.datetime.now(dtm.UTC).replace(microsecond=0)


def _plain(obj: Any) -> dict:
    """``obj.to_dict()`` as plain JSON data (enums become str), without Telegram's false flags."""
    data = json.loads(json.dumps(obj.to_dict()))
    for flag in _FALSE_FLAGS:
        if data.get(flag) is False:
            del data[flag]
    return data


def _public(message: dict) -> dict:
    """A stored message without the server's private keys (those starting with "_")."""
    return {key: value for key, value in message.items() if not key.startswith("_")}


def _as_int(value: Any) -> int:
    """Telegram's reading of an integer parameter: anything unreadable is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


def _file_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(42)


def _normalize(params: dict[str, Any]) -> dict[str, Any]:
    """Give form values (all strings) the types a JSON request would have had."""
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value[len("attach://") :], value)
        elif not isinstance(value, str):
            continue
        elif key in _JSON_PARAMS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
        elif key in _INT_PARAMS and re.fullmatch(r"\s*-?\d+\s*", value):
            params[key] = int(value)
        elif key in _BOOL_PARAMS:
            params[key] = value.strip().lower() in ("true", "1")
    return params


def _read_params(request: tornado.httputil.HTTPServerRequest) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: values[-1].decode("utf-8", "replace")
        for key, values in request.query_arguments.items()
    }
    if request.headers.get("Content-Type", "").startswith("application/json"):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _bad("can't parse JSON object")
        params.update(body)
    else:
        for key, values in request.body_arguments.items():
            params[key] = values[-1].decode("utf-8", "replace")
        for key, files in request.files.items():
            params[key] = Upload(files[0].filename, files[0].content_type, files[0].body)
    return _normalize(params)


class _Window:
    """A sliding-window flood limit: at most ``rate`` sends per second, averaged over the window."""

    def __init__(self, rate: float):
        self.span = max(1.0, 1.0 / rate)
        self.capacity = max(1, round(rate * self.span))
        self.times: deque[float] = deque()

    def retry_after(self, now: float) -> int:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        if len(self.times) < self.capacity:
            return 0
        return max(1, math.ceil(self.times[0] + self.span - now))


@dataclasses.dataclass
class _Queued:
    update_id: int
    chat_id: int
    payload: dict


@dataclasses.dataclass
class _StoredFile:
    data: bytes
    unique_id: str
    path: str
    photo: list[PhotoSize] | None = None
    document: Document | None = None


class _ChatState:
    def __init__(self, user: User):
        self.user = user
        self.chat = Chat(user.id, Chat.PRIVATE, first_name=user.first_name)
        self.chat_instance = str(-(7 * 10**18) - user.id)
        self.next_message_id = 1
        self.messages: dict[int, dict] = {}


_WAKE, _CLOSED, _CONFLICT, _SET_WEBHOOK = "wake", "closed", "conflict", "webhook"


# ---------------------------------------------------------------------------------------
# The server.


class BotAPIServer:
    """The Bot API of one bot, served on 127.0.0.1; use ``async with BotAPIServer() as api:``."""

    def __init__(
        self,
        token: str = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
        *,
        bot_username: str = "backline_test_bot",
        bot_first_name: str = "Backline",
        strict_html: bool = True,
    ):
        self.token = token
        self.base_url = ""
        self.base_file_url = ""
        self.calls: list[Call] = []
        self._watchers: dict[int | None, asyncio.Event] = {}  # chat id -> set when a call names it
        self.too_many_requests = 0
        self._strict_html = strict_html
        bot_id = int(token.split(":", 1)[0])
        self._bot = User(bot_id, bot_first_name, is_bot=True, username=bot_username)
        self._me = User(
            bot_id, bot_first_name, is_bot=True, username=bot_username, can_join_groups=True,
            can_read_all_group_messages=False, supports_inline_queries=False,
            can_connect_to_business=False, has_main_web_app=False,
        )
        self._chats: dict[int, _ChatState] = {}
        self._users: dict[int, FakeUser] = {}
        # Telegram's ids start at a random number; a new server must not repeat an earlier one's ids.
        self._update_ids = itertools.count(random.randrange(100_000_001, 1_000_000_000, 1_000_000))
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._updates: list[_Queued] = []
        self._allowed_updates = _DEFAULT_ALLOWED_UPDATES
        self._allowed_updates_set = False
        self._queries: dict[str, dict | None] = {}
        self._commands: dict[str, list[dict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._blocked: set[int] = set()
        self._floods: dict[str, list[int]] = {}
        self._hooks: dict[tuple[str, str], list] = {}
        self._fails: dict[str, list[int]] = {}
        self._global_window: _Window | None = None
        self._chat_rate: float | None = None
        self._chat_windows: dict[int, _Window] = {}
        self._poll: asyncio.Future | None = None
        self._webhook: dict | None = None
        self._webhook_errors: tuple[dtm.datetime, str] | None = None
        self._webhook_task: asyncio.Task | None = None
        self._webhook_wake = asyncio.Event()
        self._http: tornado.httpserver.HTTPServer | None = None
        self._handlers: dict[str, Callable[[dict], Any]] = {
            "getMe": lambda p: _plain(self._me),
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
            "close": lambda p: True,
            "logOut": lambda p: True,
        }

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port, in the running event loop."""
        app = tornado.web.Application(
            [
                (r"/bot([^/]*)/([^/]*)", _ApiHandler, {"server": self}),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, {"server": self}),
            ],
            default_handler_class=_NotFoundHandler,
            log_function=lambda handler: None,  # every request is in self.calls already
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._http = tornado.httpserver.HTTPServer(app, max_buffer_size=64 * 1024 * 1024)
        self._http.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """Stop webhook delivery, end pending long polls and close every connection."""
        await self._stop_webhook_worker()
        self._end_poll(_CLOSED)
        if self._http:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None

    async def __aenter__(self) -> BotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- test helpers -------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Test", language_code: str = "en") -> FakeUser:
        """The user ``user_id`` and its private chat with the bot (created on first use)."""
        if user_id not in self._users:
            user = User(user_id, first_name, is_bot=False, language_code=language_code)
            self._chats[user_id] = _ChatState(user)
            self._users[user_id] = FakeUser(self, user)
        return self._users[user_id]

    def sent(self, chat_id: int) -> list[dict]:
        """The bot's messages now in the chat, oldest first, edits applied.

        Each is the Message as the Bot API returns it plus private keys (``_photo_bytes``:
        the uploaded photo; ``_document_bytes``: the uploaded document; ``_reply_markup``: a reply
        keyboard, keyboard removal or force reply sent with the message, which Telegram does not echo
        in the Message).
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [dict(m) for m in chat.messages.values() if m["from"]["id"] == self._bot.id]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0,
                       chat_id: int | None = None) -> None:
        """Wait until ``predicate()`` is true; TimeoutError naming it and the last calls if not.

        With ``chat_id`` (a predicate on that chat), it is tested again when a call naming the chat
        was answered (and every 50 ms), instead of every 5 ms: many waiters cost little.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                try:
                    condition = inspect.getsource(predicate).strip()
                except (OSError, TypeError):
                    condition = repr(predicate)
                recent = "\n  ".join(
                    f"{call.method} -> {call.status} {call.params}" for call in self.calls[-10:]
                )
                raise TimeoutError(
                    f"not true after {timeout}s: {condition}\n"
                    f"pending updates: {len(self._updates)}; last calls:\n  {recent or '(none)'}"
                )
            if chat_id is None:
                await asyncio.sleep(0.005)
                continue
            change = self._watchers.setdefault(chat_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(change.wait(), 0.05)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: its chat's calls get 403; a my_chat_member update is queued."""
        chat = self._chats.get(user_id)
        if chat is None:
            raise LookupError(f"unknown user {user_id}: create it with user() first")
        self._blocked.add(user_id)
        update = ChatMemberUpdated(
            chat=chat.chat,
            from_user=chat.user,
            date=_now(),
            old_chat_member=ChatMemberMember(self._bot),
            new_chat_member=ChatMemberBanned(self._bot, dtm.datetime.fromtimestamp(0, dtm.UTC)),
        )
        self._enqueue("my_chat_member", user_id, my_chat_member=update)

    @property
    def pending_updates(self) -> int:
        """How many updates are queued and not yet confirmed."""
        return len(self._updates)

    def inject(self, chat_id: int, payload: dict[str, Any]) -> int:
        """Queue a raw update, exactly as given (it may be malformed), under the next update id; the
        id of a callback query in it becomes one the bot may answer."""
        update_id = next(self._update_ids)
        query = payload.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("id"), str):
            self._queries.setdefault(query["id"], None)
        self._updates.append(_Queued(update_id, chat_id, {"update_id": update_id} | payload))
        self._end_poll(_WAKE)
        self._webhook_wake.set()
        return update_id

    def flood(self, method: str, times: int, retry_after: int) -> None:
        """The next ``times`` calls of ``method`` get 429 with ``parameters.retry_after``."""
        self._floods[self._canonical(method)] = [times, retry_after]

    def hook(self, method: str, when: str, callback: Callable[[Call], Any], times: int = 1) -> None:
        """Call ``callback(call)`` on the next ``times`` calls of ``method``: "before" it is handled (the
        request is then dropped unanswered, as when the caller died mid-request) or "after" (its effects
        are applied; the answer goes out after the callback)."""
        self._hooks[(self._canonical(method), when)] = [times, callback]

    def _run_hook(self, method: str, when: str, call: Call) -> bool:
        entry = self._hooks.get((method, when))
        if not entry or (method == "getUpdates" and when == "after" and not call.result):
            return False
        entry[0] -= 1
        if entry[0] <= 0:
            del self._hooks[(method, when)]
        entry[1](call)
        return True

    def fail(self, method: str, times: int, status: int = 502) -> None:
        """The next ``times`` calls of ``method`` get ``status`` (502: nginx's HTML page)."""
        self._fails[self._canonical(method)] = [times, status]

    def rate_limit(
        self, global_per_second: float | None = 30, per_chat_per_second: float | None = None
    ) -> None:
        """Enforce flood control on sendMessage/sendPhoto: faster sends get 429 and a retry_after.

        ``None`` leaves that limit off.  Rates below 1/s are averaged over 1/rate seconds.
        """
        self._global_window = _Window(global_per_second) if global_per_second else None
        self._chat_rate = per_chat_per_second
        self._chat_windows.clear()

    @staticmethod
    def _canonical(method: str) -> str:
        try:
            return _CANONICAL[method.lower()]
        except KeyError:
            raise ValueError(f"{method!r} is not a method this server implements") from None

    # -- request handling ---------------------------------------------------------------

    async def _serve(self, handler: _ApiHandler, token: str, method: str) -> None:
        canonical = _CANONICAL.get(method.lower())
        call = Call(canonical or method, {}, 0, time.monotonic())
        self.calls.append(call)
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if canonical is None:
                raise ApiError(404, "Not Found")
            call.params = _read_params(handler.request)
            if self._run_hook(canonical, "before", call):
                call.status = 0
                handler.request.connection.close()
                return
            self._inject(canonical)
            if canonical == "getUpdates":
                result = await self._get_updates(call.params, handler)
            else:
                result = self._handlers[canonical](call.params)
                if inspect.isawaitable(result):
                    result = await result
        except ApiError as exc:
            call.status, body = exc.code, json.dumps(exc.body())
        except _BadGateway:
            call.status, body = 502, _BAD_GATEWAY_HTML
        else:
            answer = {"ok": True, "result": result}
            if isinstance(result, _Described):
                answer = {"ok": True, "result": result.result, "description": result.description}
            call.status, call.result, body = 200, answer["result"], json.dumps(answer)
            self._run_hook(canonical, "after", call)
        if call.status == 429:
            self.too_many_requests += 1
        change = self._watchers.pop(_as_int(call.params.get("chat_id")), None)
        if change is not None:
            change.set()
        if handler.request.connection.stream.closed():
            return
        handler.set_status(call.status)
        handler.set_header(
            "Content-Type", "text/html" if body is _BAD_GATEWAY_HTML else "application/json"
        )
        handler.finish(body)

    def _inject(self, method: str) -> None:
        for table in (self._fails, self._floods):
            entry = table.get(method)
            if not entry:
                continue
            entry[0] -= 1
            if entry[0] <= 0:
                del table[method]
            if table is self._floods:
                raise _too_many(entry[1])
            if entry[1] == 502:
                raise _BadGateway
            raise ApiError(entry[1], HTTPStatus(entry[1]).phrase)

    def _chat_state(self, chat_id: Any) -> _ChatState:
        """The chat named by a ``chat_id`` parameter; 400/403 as Telegram answers."""
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        windows = [self._global_window] if self._global_window else []
        if self._chat_rate:
            windows.append(self._chat_windows.setdefault(chat_id, _Window(self._chat_rate)))
        wait = max((window.retry_after(now) for window in windows), default=0)
        if wait:
            raise _too_many(wait)
        for window in windows:
            window.times.append(now)

    # -- updates ------------------------------------------------------------------------

    def _enqueue(self, kind: str, chat_id: int, **update: Any) -> None:
        """Queue an update (if its type is allowed) and wake the long poll or webhook."""
        if kind not in self._allowed_updates:
            return
        update_id = next(self._update_ids)
        payload = _plain(Update(update_id, **update))
        self._updates.append(_Queued(update_id, chat_id, payload))
        self._end_poll(_WAKE)
        self._webhook_wake.set()

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise _bad("can't parse allowed updates JSON array")
        names = {str(name) for name in allowed} & set(Update.ALL_TYPES)
        self._allowed_updates = frozenset(names) if allowed else _DEFAULT_ALLOWED_UPDATES
        self._allowed_updates_set = bool(allowed)

    def _end_poll(self, reason: str) -> None:
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(reason)

    async def _get_updates(self, p: dict, handler: _ApiHandler) -> list[dict]:
        if self._webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(p.get("offset", 0))
        limit = _as_int(p.get("limit", 100))
        limit = 100 if limit <= 0 else min(limit, 100)
        try:
            timeout = max(0.0, float(p.get("timeout", 0)))
        except (TypeError, ValueError):
            timeout = 0.0
        if "allowed_updates" in p:
            self._set_allowed_updates(p["allowed_updates"])
        if offset > 0:
            self._updates = [u for u in self._updates if u.update_id >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._end_poll(_CONFLICT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and loop.time() < deadline:
            waiter = self._poll = handler.waiter = loop.create_future()
            try:
                reason = await asyncio.wait_for(waiter, deadline - loop.time())
            except TimeoutError:
                break
            finally:
                if self._poll is waiter:
                    self._poll = None
            if reason == _CONFLICT:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            if reason == _SET_WEBHOOK:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if reason == _CLOSED:
                return []
        return [queued.payload for queued in self._updates[:limit]]

    # -- webhook ------------------------------------------------------------------------

    async def _set_webhook(self, p: dict) -> _Described:
        url = str(p.get("url") or "")
        if not url:
            return await self._delete_webhook(p)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad("invalid webhook URL specified")
        secret = str(p.get("secret_token") or "")
        if len(secret) > 256:
            raise _bad("secret token is too long")
        if not _SECRET_RE.fullmatch(secret):
            raise _bad("secret token contains unallowed characters")
        max_connections = min(max(_as_int(p.get("max_connections", 40)) or 40, 1), 100)
        if "allowed_updates" in p:
            self._set_allowed_updates(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._updates.clear()
        webhook = {"url": url, "secret": secret, "max_connections": max_connections}
        if webhook == self._webhook:
            return _Described(True, "Webhook is already set")
        self._webhook = webhook
        self._webhook_errors = None
        self._end_poll(_SET_WEBHOOK)
        await self._stop_webhook_worker()
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhooks())
        return _Described(True, "Webhook was set")

    async def _delete_webhook(self, p: dict) -> _Described:
        had_webhook = self._webhook is not None
        await self._stop_webhook_worker()
        self._webhook = None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        description = "Webhook was deleted" if had_webhook else "Webhook is already deleted"
        return _Described(True, description)

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _get_webhook_info(self, p: dict) -> dict:
        webhook = self._webhook or {}
        error_date, error_message = self._webhook_errors or (None, None)
        allowed = sorted(self._allowed_updates) if self._allowed_updates_set else None
        return _plain(
            WebhookInfo(
                url=webhook.get("url", ""),
                has_custom_certificate=False,
                pending_update_count=len(self._updates),
                ip_address="127.0.0.1" if webhook else None,
                last_error_date=error_date,
                last_error_message=error_message,
                max_connections=webhook.get("max_connections"),
                allowed_updates=allowed,
            )
        )

    async def _deliver_webhooks(self) -> None:
        """POST queued updates to the webhook: per chat in order, up to max_connections at once."""
        webhook = self._webhook
        client = tornado.httpclient.AsyncHTTPClient(
            force_instance=True, max_clients=webhook["max_connections"]
        )
        headers = {"Content-Type": "application/json"}
        if webhook["secret"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret"]
        in_flight: dict[int, asyncio.Task] = {}
        attempts: dict[int, int] = {}
        retry_at: dict[int, float] = {}
        loop = asyncio.get_running_loop()

        async def deliver(queued: _Queued) -> None:
            request = tornado.httpclient.HTTPRequest(
                webhook["url"], method="POST", headers=headers, body=json.dumps(queued.payload),
                connect_timeout=5, request_timeout=30,
            )
            try:
                response = await client.fetch(request, raise_error=False)
                failure = None
                if not 200 <= response.code < 300:
                    failure = f"Wrong response from the webhook: {response.code} {response.reason}"
            except ConnectionRefusedError:
                failure = "Connection refused"
            except tornado.simple_httpclient.HTTPTimeoutError:
                failure = "Read timeout expired"
            except Exception as exc:  # whatever else the connection did: Telegram retries too
                failure = str(exc) or type(exc).__name__
            finally:
                del in_flight[queued.update_id]
                self._webhook_wake.set()
            if failure is None:
                self._updates = [u for u in self._updates if u is not queued]
                attempts.pop(queued.update_id, None)
                retry_at.pop(queued.update_id, None)
            else:
                self._webhook_errors = (_now(), failure)
                tries = attempts[queued.update_id] = attempts.get(queued.update_id, 0) + 1
                retry_at[queued.update_id] = loop.time() + min(0.05 * 2**tries, 2.0)

        try:
            while True:
                self._webhook_wake.clear()
                now, seen_chats, next_retry = loop.time(), set(), math.inf
                for queued in self._updates:
                    if queued.chat_id in seen_chats:
                        continue
                    seen_chats.add(queued.chat_id)
                    due = retry_at.get(queued.update_id, now)
                    busy = len(in_flight) >= webhook["max_connections"]
                    if queued.update_id in in_flight or busy:
                        continue
                    if due > now:
                        next_retry = min(next_retry, due)
                        continue
                    in_flight[queued.update_id] = loop.create_task(deliver(queued))
                timeout = None if next_retry == math.inf else next_retry - now
                try:
                    await asyncio.wait_for(self._webhook_wake.wait(), timeout)
                except TimeoutError:
                    pass
        finally:
            for task in list(in_flight.values()):
                task.cancel()
            await asyncio.gather(*in_flight.values(), return_exceptions=True)
            client.close()

    # -- messages -----------------------------------------------------------------------

    def _formatted(
        self, raw: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[MessageEntity]]:
        """Text and entities as Telegram stores them; raises Telegram's 400s."""
        raw = "" if raw is None else str(raw)
        mode = str(parse_mode or "").lower()
        try:
            if mode in ("", "none"):
                text, found = raw, _explicit_entities(raw, entities)
            elif mode == "html":
                text, found = _parse_html(raw, strict=self._strict_html)
            elif mode == "markdownv2":
                text, found = _parse_markdown_v2(raw)
            elif mode == "markdown":
                text, found = _parse_markdown(raw)
            else:
                raise _bad("unsupported parse_mode")
        except _ParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        text, found = _finish_text(text, found, allow_empty=caption)
        if len(text) > (1024 if caption else 4096):
            raise _bad("message caption is too long" if caption else "message is too long")
        prefix = _utf16_prefix(text)
        return text, [self._message_entity(prefix, entity) for entity in found]

    def _message_entity(self, prefix: list[int], entity: _Entity) -> MessageEntity:
        user = None
        if entity.type == "text_mention":
            user_id = entity.extra["user_id"]
            known = self._chats.get(user_id)
            user = known.user if known else User(user_id, "", is_bot=False)
        return MessageEntity(
            entity.type,
            prefix[entity.start],
            prefix[entity.end] - prefix[entity.start],
            url=entity.extra.get("url"),
            user=user,
            language=entity.extra.get("language"),
            custom_emoji_id=entity.extra.get("custom_emoji_id"),
        )

    @staticmethod
    def _inline_keyboard(markup: Any) -> InlineKeyboardMarkup | None:
        """Validate an InlineKeyboardMarkup parameter as Telegram does."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        cant_parse = "can't parse inline keyboard button: "
        clean_rows = []
        for row in rows:
            clean_row = []
            for button in row:
                if not isinstance(button, dict):
                    raise _bad(f"{cant_parse}InlineKeyboardButton must be an Object")
                if not isinstance(button.get("text"), str):
                    raise _bad(f'{cant_parse}Field "text" must be of type String')
                if not _BUTTON_ACTIONS & button.keys():
                    raise _bad(f"{cant_parse}Text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                        raise _bad("BUTTON_DATA_INVALID")
                clean_row.append({key: button[key] for key in button.keys() & _BUTTON_FIELDS})
            clean_rows.append(clean_row)
        return InlineKeyboardMarkup.de_json({"inline_keyboard": clean_rows}, None)

    def _reply_markup(self, markup: Any) -> tuple[InlineKeyboardMarkup | None, dict | None]:
        """(inline keyboard for the Message, other reply markup kept privately)."""
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._inline_keyboard(markup), None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            rows = [
                [KeyboardButton(b) if isinstance(b, str) else KeyboardButton.de_json(b, None)
                 for b in row]
                for row in rows
            ]
            options = {key: markup[key] for key in _REPLY_KEYBOARD_OPTIONS if key in markup}
            return None, _plain(ReplyKeyboardMarkup(rows, **options))
        placeholder, selective = markup.get("input_field_placeholder"), markup.get("selective")
        if markup.get("remove_keyboard"):
            return None, _plain(ReplyKeyboardRemove(selective))
        if markup.get("force_reply"):
            return None, _plain(ForceReply(selective, placeholder))
        raise _bad("can't parse reply keyboard markup JSON object")

    def _replied(self, chat: _ChatState, p: dict) -> Message | None:
        reply = p.get("reply_parameters")
        if not isinstance(reply, dict):  # the parameters before Bot API 7.0
            if not p.get("reply_to_message_id"):
                return None
            reply = {"message_id": p["reply_to_message_id"],
                     "allow_sending_without_reply": p.get("allow_sending_without_reply")}
        replied = chat.messages.get(_as_int(reply.get("message_id")))
        if replied is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        replied = {k: v for k, v in _public(replied).items() if k != "reply_to_message"}
        return Message.de_json(replied, None)

    def _store(
        self, chat: _ChatState, sender: User, private: dict | None = None, **fields: Any
    ) -> dict:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = _plain(Message(message_id, _now(), chat.chat, from_user=sender, **fields))
        message.update({key: value for key, value in (private or {}).items() if value is not None})
        chat.messages[message_id] = message
        return message

    def _send_message(self, p: dict) -> dict:
        if not p.get("text"):
            raise _bad("message text is empty")
        text, entities = self._formatted(
            p["text"], p.get("parse_mode"), p.get("entities"), caption=False
        )
        chat = self._chat_state(p.get("chat_id"))
        inline, other = self._reply_markup(p.get("reply_markup"))
        replied = self._replied(chat, p)
        self._check_flood(chat.chat.id)
        message = self._store(
            chat, self._bot, {"_reply_markup": other}, text=text, entities=entities or None,
            reply_markup=inline, reply_to_message=replied,
            has_protected_content=p.get("protect_content") or None,
        )
        return _public(message)

    async def _send_photo(self, p: dict) -> dict:
        photo = p.get("photo")
        if photo is None or photo == "":
            raise _bad("there is no photo in the request")
        caption, entities = self._formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        chat = self._chat_state(p.get("chat_id"))
        inline, other = self._reply_markup(p.get("reply_markup"))
        replied = self._replied(chat, p)
        if isinstance(photo, Upload):
            sizes, data = self._register_photo(photo.body)
        elif photo in self._files and self._files[photo].photo:
            sizes, data = self._files[photo].photo, self._files[photo].data
        elif re.match(r"https?://", str(photo)):
            sizes, data = self._register_photo(await self._download(str(photo)))
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        self._check_flood(chat.chat.id)
        message = self._store(
            chat, self._bot, {"_reply_markup": other, "_photo_bytes": data}, photo=sizes,
            caption=caption or None, caption_entities=entities or None, reply_markup=inline,
            reply_to_message=replied, has_media_spoiler=p.get("has_spoiler") or None,
            show_caption_above_media=p.get("show_caption_above_media") or None,
            has_protected_content=p.get("protect_content") or None,
        )
        return _public(message)

    async def _send_document(self, p: dict) -> dict:
        """sendDocument: a file uploaded as multipart/form-data (field ``document``), a file_id sent
        before, or an HTTP URL; answers a Message with a ``document`` (file_id, file_unique_id,
        file_name, mime_type, file_size)."""
        document = p.get("document")
        if document is None or document == "":
            raise _bad("there is no document in the request")
        caption, entities = self._formatted(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"), caption=True
        )
        chat = self._chat_state(p.get("chat_id"))
        inline, other = self._reply_markup(p.get("reply_markup"))
        replied = self._replied(chat, p)
        if isinstance(document, Upload):
            described = self._register_document(document.body, document.filename, document.content_type)
        elif document in self._files and self._files[document].document:
            described = self._files[document].document
        elif re.match(r"https?://", str(document)):
            name = str(document).rsplit("/", 1)[-1] or "file"
            described = self._register_document(await self._download(str(document)), name, "")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        self._check_flood(chat.chat.id)
        message = self._store(
            chat, self._bot, {"_reply_markup": other,
                              "_document_bytes": self._files[described.file_id].data},
            document=described, caption=caption or None, caption_entities=entities or None,
            reply_markup=inline, reply_to_message=replied,
            has_protected_content=p.get("protect_content") or None,
        )
        return _public(message)

    def _register_document(self, data: bytes, filename: str, content_type: str) -> Document:
        if not data:
            raise _bad("file must be non-empty")
        if len(data) > 50 * 1024 * 1024:
            raise ApiError(413, "Request Entity Too Large")
        name = filename or "file"
        mime = content_type if content_type and content_type != "application/octet-stream" else (
            mimetypes.guess_type(name)[0] or "application/octet-stream")
        file_id = self._store_file(data, f"documents/file_{len(self._files)}{Path(name).suffix}")
        described = Document(file_id, self._files[file_id].unique_id, file_name=name, mime_type=mime,
                             file_size=len(data))
        self._files[file_id].document = described
        return described

    @staticmethod
    async def _download(url: str) -> bytes:
        client = tornado.httpclient.AsyncHTTPClient()
        try:
            response = await client.fetch(url, connect_timeout=5, request_timeout=10)
        except Exception:
            raise _bad("failed to get HTTP URL content") from None
        return response.body

    def _register_photo(self, data: bytes) -> tuple[list[PhotoSize], bytes]:
        """PhotoSizes (thumbnails up to the original) for an image, as Telegram makes them."""
        from PIL import Image, UnidentifiedImageError

        if not data:
            raise _bad("file must be non-empty")
        try:
            width, height = Image.open(io.BytesIO(data)).size
        except (UnidentifiedImageError, OSError):
            raise _bad("IMAGE_PROCESS_FAILED") from None
        if width + height > 10000 or max(width, height) > 20 * min(width, height):
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        sizes: list[PhotoSize] = []
        for limit in (90, 320, 800, 1280, 2560):
            scale = min(1.0, limit / max(width, height))
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            path = f"photos/file_{len(self._files)}.jpg"
            file_id = self._store_file(data, path, "AgACAgIAAxkDAAI")
            sizes.append(PhotoSize(file_id, self._files[file_id].unique_id, w, h,
                                   max(1, round(len(data) * scale * scale))))
            if scale == 1.0:
                break
        for size in sizes:
            self._files[size.file_id].photo = sizes
        return sizes, data

    def _store_file(self, data: bytes, path: str, prefix: str = "BQACAgIAAxkBAAI") -> str:
        file_id = _file_id(prefix)
        self._files[file_id] = _StoredFile(data, "AQAD" + secrets.token_urlsafe(9), path)
        return file_id

    def _message_to_edit(self, p: dict) -> tuple[_ChatState, dict]:
        if p.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        message_id = _as_int(p.get("message_id"))
        if not message_id:
            raise _bad("message identifier is not specified")
        chat = self._chat_state(p.get("chat_id"))
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self._bot.id:
            raise _bad("message can't be edited")
        return chat, message

    @staticmethod
    def _apply_edit(message: dict, **fields: Any) -> dict:
        for key, value in fields.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = int(_now().timestamp())
        return _public(message)

    def _edit_message_text(self, p: dict) -> dict:
        if not p.get("text"):
            raise _bad("message text is empty")
        text, entities = self._formatted(
            p["text"], p.get("parse_mode"), p.get("entities"), caption=False
        )
        _chat, message = self._message_to_edit(p)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        markup = self._inline_keyboard(p.get("reply_markup"))
        new = {
            "text": text,
            "entities": [_plain(entity) for entity in entities] or None,
            "reply_markup": _plain(markup) if markup else None,
        }
        if all(message.get(key) == value for key, value in new.items()):
            raise _bad(_NOT_MODIFIED)
        return self._apply_edit(message, **new)

    def _edit_message_reply_markup(self, p: dict) -> dict:
        _chat, message = self._message_to_edit(p)
        markup = self._inline_keyboard(p.get("reply_markup"))
        new = _plain(markup) if markup else None
        if message.get("reply_markup") == new:
            raise _bad(_NOT_MODIFIED)
        return self._apply_edit(message, reply_markup=new)

    def _delete_message(self, p: dict) -> bool:
        chat = self._chat_state(p.get("chat_id"))
        if chat.messages.pop(_as_int(p.get("message_id")), None) is None:
            raise _bad("message to delete not found")
        return True

    def _answer_callback_query(self, p: dict) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._queries or self._queries[query_id] is not None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if len(str(p.get("text", ""))) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._queries[query_id] = dict(p)
        return True

    def _send_chat_action(self, p: dict) -> bool:
        if p.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._chat_state(p.get("chat_id"))
        return True

    # -- commands and files -------------------------------------------------------------

    @staticmethod
    def _commands_key(p: dict) -> str:
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        language = str(p.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad("invalid language code specified")
        return json.dumps([scope, language], sort_keys=True)

    def _set_my_commands(self, p: dict) -> bool:
        commands = p.get("commands")
        if commands is None:
            raise _bad('parameter "commands" is required')
        if not isinstance(commands, list):
            raise _bad("can't parse BotCommand array JSON object")
        key = self._commands_key(p)
        clean = []
        for command in commands:  # TDLib's checks first, then the Telegram server's
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: Object expected")
            name = str(command.get("command", "")).strip().removeprefix("/")
            description = str(command.get("description", "")).strip()
            if not name:
                raise _bad("command must be non-empty")
            if len(name) > 32:
                raise _bad("command length must not exceed 32")
            if not description:
                raise _bad("command description must be non-empty")
            if len(description) > 256:
                raise _bad("command description length must not exceed 256")
            clean.append(_plain(BotCommand(name, description)))
        if len(clean) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        if not all(_COMMAND_RE.fullmatch(command["command"]) for command in clean):
            raise _bad("BOT_COMMAND_INVALID")
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, p: dict) -> list[dict]:
        return self._commands.get(self._commands_key(p), [])

    def _delete_my_commands(self, p: dict) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _get_file(self, p: dict) -> dict:
        file_id = str(p.get("file_id") or "")
        if not file_id:
            raise _bad("file_id not specified")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        return _plain(File(file_id, stored.unique_id, len(stored.data), stored.path))


def _too_many(retry_after: int) -> ApiError:
    description = f"Too Many Requests: retry after {retry_after}"
    return ApiError(429, description, {"retry_after": retry_after})


class _BadGateway(Exception):
    """Answer like a proxy in front of a dead Bot API: 502 with an HTML page."""


class _ApiHandler(tornado.web.RequestHandler):
    def initialize(self, server: BotAPIServer) -> None:
        self.server = server
        self.waiter: asyncio.Future | None = None

    def compute_etag(self) -> None:
        return None

    async def get(self, token: str, method: str) -> None:
        await self.server._serve(self, token, method)

    post = get

    def on_connection_close(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(_CLOSED)


class _FileHandler(tornado.web.RequestHandler):
    def initialize(self, server: BotAPIServer) -> None:
        self.server = server

    def get(self, token: str, path: str) -> None:
        stored = next((f for f in self.server._files.values() if f.path == path), None)
        if token != self.server.token or stored is None:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(stored.data)


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.finish({"ok": False, "error_code": 404, "description": "Not Found"})


# ---------------------------------------------------------------------------------------
# The users.

@functools.cache
def _user_photo_bytes() -> bytes:
    """A 640x480 JPEG for the photos users send."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    def __init__(self, server: BotAPIServer, user: User):
        self._server = server
        self._user = user
        self.id = user.id

    @property
    def _chat(self) -> _ChatState:
        return self._server._chats[self.id]

    async def _send(self, **fields: Any) -> dict:
        message = _public(self._server._store(self._chat, self._user, **fields))
        self._server._enqueue("message", self.id, message=Message.de_json(message, None))
        await asyncio.sleep(0)
        return message

    async def send_text(self, text: str) -> dict:
        """Send a text message; commands, links, mentions... get their entities as in Telegram."""
        prefix = _utf16_prefix(text)
        entities = [self._server._message_entity(prefix, e) for e in _find_entities(text)]
        return await self._send(text=text, entities=entities or None)

    async def send_command(self, name: str) -> dict:
        """Send "/name" (``name`` may carry arguments: "start payload")."""
        return await self.send_text("/" + name)

    async def send_sticker(self) -> dict:
        data = b"RIFF\x00\x00\x00\x00WEBPVP8 " + secrets.token_bytes(64)
        file_id = self._server._store_file(data, f"stickers/file_{len(self._server._files)}.webp")
        sticker = Sticker(
            file_id, self._server._files[file_id].unique_id, 512, 512, is_animated=False,
            is_video=False, type=Sticker.REGULAR, emoji="👍", set_name="BacklineTest",
            file_size=len(data),
        )
        return await self._send(sticker=sticker)

    async def send_photo(self) -> dict:
        sizes, _data = self._server._register_photo(_user_photo_bytes())
        return await self._send(photo=sizes)

    async def send_voice(self) -> dict:
        data = b"OggS\x00\x02" + secrets.token_bytes(512)
        file_id = self._server._store_file(data, f"voice/file_{len(self._server._files)}.oga")
        voice = Voice(file_id, self._server._files[file_id].unique_id, 2, "audio/ogg", len(data))
        return await self._send(voice=voice)

    async def press(self, message_id: int, callback_data: str) -> str:
        """Press a button of the bot's message; returns the callback query id.

        ``callback_data`` is not checked against the keyboard, so presses can be forged.
        """
        message = self._chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {self.id}")
        if message["from"]["id"] != self._server._bot.id:
            raise ValueError(f"message {message_id} in chat {self.id} is not the bot's")
        query_id = str(next(self._server._query_ids))
        self._server._queries[query_id] = None
        query = CallbackQuery(
            query_id, self._user, self._chat.chat_instance,
            message=Message.de_json(_public(message), None), data=callback_data,
        )
        self._server._enqueue("callback_query", self.id, callback_query=query)
        await asyncio.sleep(0)
        return query_id

    def messages(self) -> list[dict]:
        """The bot's messages in this chat (see :meth:`BotAPIServer.sent`)."""
        return self._server.sent(self.id)

    def last(self) -> dict:
        """The bot's last message in this chat."""
        messages = self.messages()
        if not messages:
            raise LookupError(f"the bot has no message in chat {self.id}")
        return messages[-1]

    def answered(self, query_id: str) -> dict | None:
        """The answerCallbackQuery parameters for that query, if the bot answered it."""
        return self._server._queries.get(query_id)
