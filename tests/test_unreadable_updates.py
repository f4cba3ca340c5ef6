"""Polling: an update python-telegram-bot cannot parse is skipped, logged by id alone, and confirmed; the
updates after it, everyone's, are answered."""
from __future__ import annotations

import logging

import pytest

from bot.adapters.telegram.intake import screened
from tests.support.botapi import BotAPIServer
from tests.telegram_harness import running_bot, say

MARK = "zqxcontent"


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


def sender(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "T"}


def unreadable(user_id: int) -> list[dict]:
    message = {"message_id": 1, "date": 1_700_000_000, "chat": {"id": user_id, "type": "private"},
               "from": sender(user_id), "text": f"my {MARK}"}
    return [{"message": message | {"chat": MARK}},  # PTB raises on these
            {"message": message | {"date": MARK}},
            {"message": message | {"text": 404}},  # PTB parses these, with the wrong types
            {"callback_query": {"id": "9", "from": sender(user_id), "chat_instance": "1", "data": 5}}]


async def test_unreadable_updates_are_skipped_and_polling_goes_on_for_everyone(server, sqlite_url, engine,
                                                                               caplog):
    caplog.set_level(logging.DEBUG)
    first, second = server.user(501), server.user(502)
    async with running_bot(server, sqlite_url):
        await say(server, first, "/start")
        bad = [server.inject(502, payload) for payload in unreadable(502)]
        await first.send_text("/help")  # queued behind the unreadable ones
        new = await say(server, second, "/start")
        assert new[-1]["text"] == engine.text("en", "triage.welcome")
        await server.wait_for(lambda: any(m["text"].startswith(engine.text("en", "service.help")[:30])
                                          for m in first.messages()))
        await server.wait_for(lambda: server.pending_updates == 0)
    skipped = [r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING and "could not be read" in r.getMessage()]
    assert skipped == [f"update {update_id} could not be read; skipped" for update_id in bad]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records
                if r.levelno > logging.DEBUG and MARK in r.getMessage() + str(r.exc_text)]


def test_screening_keeps_readable_updates_and_bares_unreadable_ones():
    readable = {"update_id": 3, "message": {"message_id": 1, "date": 0, "text": "hi",
                                            "chat": {"id": 1, "type": "private"}}}
    results = [readable] + [{"update_id": 4 + n} | u for n, u in enumerate(unreadable(1))] + ["junk"]
    assert screened(results) == [readable] + [{"update_id": n} for n in (4, 5, 6, 7)]


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bot.db'}"
