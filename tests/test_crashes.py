"""kill -9 of a real `backline run` process at chosen points and at random moments under load.

After each run, what the test Bot API server recorded and what the database holds must agree: every
input applied once, every red-flag question shown before it was answered, every reply and plan day
sent, and nothing sent twice except what was in flight at a kill (sent, and the process died before
its mark): at most one message per person being sent at that moment.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
import sqlalchemy as sa

from bot.storage import Store
from bot.storage.tables import deliveries, inbox, outbox, people
from tests.support.botapi import BotAPIServer, FakeUser
from tests.support.databases import seed_plan_days
from tests.support.process import BotProcess
from tests.telegram_harness import buttons

AGREE = "I understand, let's start"
PATIENCE = 6.0  # seconds a person waits for a reply before sending their answer again
READING = 0.3  # seconds a person takes to read a question before answering it


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


def screen_texts(engine) -> dict[str, str]:
    """ "redflags.<state>" -> the text of that red-flag question."""
    return {
        f"redflags.{name}": engine.text("en", state.say)
        for name, state in engine.flows["redflags"].states.items()
        if state.screens
    }


class Person:
    """Answers the newest question they see with No (pressed, or typed), and says it again when the bot
    stays silent, as people do; done once the calf check begins."""

    def __init__(self, server: BotAPIServer, user: FakeUser, engine, typed: bool):
        self.server, self.user, self.typed = server, user, typed
        self.welcome = engine.text("en", "triage.welcome")
        self.screen = set(screen_texts(engine).values())
        self.done = False

    def _question(self) -> dict | None:
        return next((m for m in reversed(self.user.messages()) if buttons(m)), None)

    async def _answer(self, question: dict) -> None:
        if question["text"].endswith(self.welcome):
            await self.user.press(question["message_id"], dict(buttons(question))[AGREE])
        elif self.typed:
            await self.user.send_text("no")
        else:
            await self.user.press(question["message_id"], dict(buttons(question))["No"])

    async def run(self, deadline: float, start: bool = True) -> None:
        if start:
            await self.user.send_text("/start")
        answered: int | None = None
        last_try = time.monotonic()
        while time.monotonic() < deadline:
            question = self._question()
            if question is not None and question["message_id"] != answered:
                if not any(question["text"].endswith(t) for t in self.screen | {self.welcome}):
                    self.done = True  # the calf check: past the screen
                    return
                answered, last_try = question["message_id"], time.monotonic()
                await asyncio.sleep(READING)
                await self._answer(question)
            elif time.monotonic() - last_try > PATIENCE:  # nothing came: say it again
                last_try = time.monotonic()
                if question is None:
                    await self.user.send_text("/start")
                else:
                    await self._answer(question)
            await asyncio.sleep(0.05)


async def read(url: str, query) -> list:
    store = await Store.open(url)
    try:
        return await store.run(lambda conn: conn.execute(query).all())
    finally:
        await store.close()


async def doubles(server: BotAPIServer, url: str, user_ids: list[int]) -> int:
    """Messages delivered that no outbox row records as its own: each was sent again after a kill, the
    first send never marked (the in-flight ambiguity)."""
    marked = {
        (r.external_id, r.sent_id)
        for r in await read(url, sa.select(outbox.c.external_id, outbox.c.sent_id))
    }
    return sum(1 for uid in user_ids for m in server.sent(uid) if (str(uid), m["message_id"]) not in marked)


async def check(server: BotAPIServer, url: str, engine, crowd: list[Person], in_flight: int) -> dict:
    """The invariants; returns the figures."""
    questions = screen_texts(engine)
    rows = {
        r.external_id: r.progress
        for r in await read(url, sa.select(people.c.external_id, people.c.progress))
    }
    unseen = 0
    for person in crowd:
        delivered = [m["text"] for m in server.sent(person.user.id)]
        known = rows[str(person.user.id)].get("known", {})
        for ref in known:
            if not any(questions[ref] in text for text in delivered):
                unseen += 1
    settled = time.monotonic() + 30  # inputs said again while the last replies were on their way (one a
    while True:  # second in a chat, Telegram's limit) are still being answered: they are applied too
        pending = await read(url, sa.select(inbox.c.id).where(inbox.c.status == "pending"))
        unsent = await read(url, sa.select(outbox.c.id).where(outbox.c.status == "pending"))
        if not (pending or unsent) or time.monotonic() > settled:
            break
        await asyncio.sleep(0.5)
    doubled = await doubles(server, url, [p.user.id for p in crowd])
    figures = {
        "people": len(crowd),
        "finished": sum(p.done for p in crowd),
        "answered unseen": unseen,
        "inputs pending": len(pending),
        "rows unsent": len(unsent),
        "doubled": doubled,
        "in flight bound": in_flight,
    }
    print(f"\ncrash run: {figures}")
    assert unseen == 0, "a red-flag question was recorded as answered without being shown"
    assert all(p.done for p in crowd), "everyone got through the screen, no reply lost"
    assert not pending and not unsent, "every input applied, every row sent"
    assert doubled <= in_flight
    return figures


async def talk(server, engine, crowd_ids, typed=lambda i: i % 2 == 0, seconds=90.0) -> list[Person]:
    crowd = [Person(server, server.user(uid), engine, typed(i)) for i, uid in enumerate(crowd_ids)]
    deadline = time.monotonic() + seconds
    return crowd, asyncio.gather(*(p.run(deadline) for p in crowd))


# -- chosen points ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "point",
    ["after fetch, before commit", "after commit, before send", "during a 429", "between send and mark"],
)
async def test_a_kill_at_a_chosen_point_loses_nothing(server, database_url, engine, point):
    bot = BotProcess(server, database_url)
    bot.start()
    loop = asyncio.get_running_loop()
    try:
        user = server.user(900)
        person = Person(server, user, engine, typed=True)
        await person.run(time.monotonic() + 0)  # sends /start only
        await server.wait_for(lambda: user.messages(), timeout=30)  # the welcome: the bot is up
        await user.press(user.messages()[-1]["message_id"], dict(buttons(user.messages()[-1]))[AGREE])
        await server.wait_for(lambda: len(user.messages()) >= 2, timeout=30)
        await asyncio.sleep(READING)
        died = asyncio.Event()

        def kill(_call=None):
            bot.kill()
            died.set()

        if point == "after fetch, before commit":
            server.hook("getUpdates", "after", lambda call: loop.call_soon(kill))
        elif point == "after commit, before send":
            server.hook("sendMessage", "before", kill)
        elif point == "between send and mark":
            server.hook("sendMessage", "after", kill)
        else:
            server.flood("sendMessage", 1, retry_after=3)
            loop.call_later(1.0, kill)
        await user.send_text("no")  # to the first red-flag question
        await asyncio.wait_for(died.wait(), 30)
        await asyncio.sleep(1.0)
        await user.send_text("no")  # nothing came: the person says it again while the bot is down
        bot.start()
        await person.run(time.monotonic() + 120, start=False)
        await check(
            server, database_url, engine, [person], in_flight=1 if point == "between send and mark" else 0
        )
        if point == "after commit, before send":  # the answer said again is not taken for the next question
            state = (await read(database_url, sa.select(people.c.progress)))[0].progress
            assert state["known"].get("redflags.both_legs") in (None, "no")
    finally:
        bot.stop()
    assert "Traceback" not in bot.output()


# -- random moments under load ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_kills_at_random_moments_under_load(server, database_url, engine, mode, unused_tcp_port):
    rng = random.Random(20261202)
    bot = BotProcess(server, database_url, webhook_port=unused_tcp_port if mode == "webhook" else None)
    enrolled = [8000 + i for i in range(30)]
    await seed_plan_days(database_url, enrolled)
    for uid in enrolled:
        server.user(uid)
    bot.start()
    try:
        crowd, talking = await talk(server, engine, [6000 + i for i in range(60)], seconds=150)
        kills = 0
        for _ in range(4):
            await asyncio.sleep(rng.uniform(1.5, 4.0))
            bot.kill()
            kills += 1
            await asyncio.sleep(rng.uniform(0.1, 1.0))
            bot.start()
        await talking
        await server.wait_for(lambda: all(server.sent(uid) for uid in enrolled), timeout=60)
        await asyncio.sleep(1.0)
        figures = await check(server, database_url, engine, crowd, in_flight=kills * 64)
        days = {r.person_id: r.status for r in await read(database_url, sa.select(deliveries))}
        doubled_days = await doubles(server, database_url, enrolled)
        print(
            f"{mode}: {kills} kills; plan days sent {sum(1 for s in days.values() if s == 'sent')}/"
            f"{len(enrolled)}, doubled {doubled_days}; {figures}"
        )
        assert all(s == "sent" for s in days.values()) and len(days) == len(enrolled)
        assert doubled_days + figures["doubled"] <= kills * 64
    finally:
        bot.stop()
    assert "Traceback" not in bot.output()
