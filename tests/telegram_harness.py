"""Running the real Telegram bot against the local Bot API test server, and acting as its users."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from bot.adapters.telegram.limits import RetryingRateLimiter
from bot.adapters.telegram.runner import Runner, build_bot
from bot.settings import Settings
from bot.app import open_backline
from bot.runtime.pace import Pace
from tests.support.botapi import BotAPIServer, FakeUser

SECRET = "test-webhook-secret"
_RUNNING: dict[BotAPIServer, Runner] = {}  # the bots running_bot runs in this process, by their server


@asynccontextmanager
async def running_bot(server: BotAPIServer, database_url: str, *, webhook_url: str | None = None,
                      port: int = 0, limiter: RetryingRateLimiter | None = None):
    """The bot as `backline run` runs it, polling the test server (or behind a webhook)."""
    settings = Settings(token=server.token, api_base_url=server.base_url, database_url=database_url,
                        webhook_secret=SECRET)
    backline = await open_backline(settings)
    limiter = limiter or RetryingRateLimiter(Pace(backline.store, settings.send_rate), backoff=0.05)
    runner = Runner(build_bot(settings, backline.store, limiter), backline, settings)
    await runner.start(webhook_url, port=port, listen="127.0.0.1", poll_timeout=1)
    _RUNNING[server] = runner
    try:
        yield runner
    finally:
        _RUNNING.pop(server, None)
        await runner.stop()
        await backline.store.close()


def buttons(message: dict) -> list[tuple[str, str]]:
    """(label, callback_data) of a message's inline keyboard."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


def question(user: FakeUser) -> dict:
    """The last message in the chat that still has buttons."""
    return next(m for m in reversed(user.messages()) if buttons(m))


async def settle(server: BotAPIServer, user: FakeUser, before: int, expect: str | None = None,
                 timeout: float = 30.0) -> list[dict]:
    """Wait for the bot's reply to `user`; return the new messages.

    With `expect`, until a new message ends with that text (a message without buttons is sent joined
    to the next, so a question ends the message that asks it); exact under any load. Without, until
    something new arrived, the bot (when running_bot runs it here) has applied the person's inputs and
    sent what they say (the send cap may space a chat's messages out), and the chat stayed quiet for 0.1 s.
    """
    if expect is not None:
        await server.wait_for(lambda: any(m["text"].endswith(expect) for m in user.messages()[before:]),
                              timeout, chat_id=user.id)
        return user.messages()[before:]
    await server.wait_for(lambda: len(user.messages()) > before, timeout, chat_id=user.id)
    runner, count = _RUNNING.get(server), -1
    while count != len(user.messages()):
        if runner is not None:
            await runner.runtime.worker.drain(runner.channel.name, str(user.id))
        count = len(user.messages())
        await asyncio.sleep(0.1)
    return user.messages()[before:]


async def press(server: BotAPIServer, user: FakeUser, label: str, expect: str | None = None) -> list[dict]:
    """Press the button labelled `label` on the current question; return what the bot sent back."""
    message = question(user)
    data = dict(buttons(message))[label]
    before = len(user.messages())
    await user.press(message["message_id"], data)
    return await settle(server, user, before, expect)


async def say(server: BotAPIServer, user: FakeUser, text: str, expect: str | None = None) -> list[dict]:
    before = len(user.messages())
    await user.send_text(text)
    return await settle(server, user, before, expect)


async def baseline(server: BotAPIServer, user: FakeUser, texts: dict[str, str],
                   activity: str = "tying my shoes", pain: str = "4", score: str = "6") -> list[dict]:
    """Answer the starting scores at enrolment (`texts`: the person's language's texts, for the labels and
    questions): pain and one activity by buttons and typing, then "No more"; return the confirmation."""
    await press(server, user, pain, expect=texts["scores.activity_first"])
    await say(server, user, activity, expect=texts["scores.rate"].format(activity=activity))
    await press(server, user, score, expect=texts["scores.activity_more"])
    return await press(server, user, texts["scores.no_more"], expect=None)
