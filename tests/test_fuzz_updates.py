"""Fuzz: thousands of random, malformed, oversized, forged and out-of-order updates through the webhook into
the real bot on SQLite. Nothing escapes unhandled, no traceback or message text is logged at INFO or
above, and no forged press changes anyone's stored progress.

The seed is fixed so that a failure can be replayed; BACKLINE_FUZZ_SEED and BACKLINE_FUZZ_COUNT change it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time

import httpx
import pytest
import sqlalchemy as sa

from bot.adapters.telegram.callbacks import CallbackSigner
from bot.adapters.telegram.limits import RetryingRateLimiter
from bot.adapters.telegram.webhook import MAX_BODY, SECRET_HEADER
from bot.service import COMMANDS
from bot.storage.tables import people
from tests.support.botapi import BotAPIServer
from tests.telegram_harness import SECRET, buttons, press, question, running_bot, say

SEED = int(os.environ.get("BACKLINE_FUZZ_SEED", "20261202"))
COUNT = int(os.environ.get("BACKLINE_FUZZ_COUNT", "3000"))
MARK = "qqfuzzqq"  # in every text and body the fuzzer sends: it must never be logged at INFO or above
VICTIMS = tuple(range(601, 606))  # people who only ever send forged presses: their progress must not change
NOISE = tuple(range(700, 740))  # people who send anything
AGREE = "I understand, let's start"
WORDS = ("yes", "no", "not sure", "nope!", "idk 🤷", "18:30", "6:30pm", "Lisbon", "10", "my calf is swollen",
         "<b>&amp;", "\u202e\u0000\u200b", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "-1e309")


class Fuzzer:
    def __init__(self, rng: random.Random, signer: CallbackSigner, live: dict[int, dict],
                 server: BotAPIServer):
        self.rng, self.signer, self.live, self.server = rng, signer, live, server
        self.update_id = 800_000_000
        self.sent: list[dict] = []

    def next_id(self) -> int:
        self.update_id += self.rng.choice((1, 1, 1, 2, 7, 1000))
        return self.update_id

    def text(self) -> str:
        rng = self.rng
        pieces = [MARK, rng.choice(WORDS)]
        if rng.random() < 0.1:
            pieces.append("x" * rng.randint(1, 4000))
        rng.shuffle(pieces)
        return " ".join(pieces)[:4096]

    def person(self, user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"F{MARK}",
                "language_code": self.rng.choice(("en", "pt"))}

    def message(self, user_id: int, **content) -> dict:
        return {"message_id": self.rng.randint(1, 10**6), "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "F"},
                "from": self.person(user_id)} | content

    def command(self) -> dict:
        name = self.rng.choice(COMMANDS + ("dance", "START", f"x{MARK}", "start@backline_test_bot", ""))
        text = f"/{name}" + (f" {MARK}" if self.rng.random() < 0.3 else "")
        return {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]}

    def valid(self, user_id: int) -> dict:
        """An update Telegram could send."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.35:
            content = {"text": self.text()}
        elif kind < 0.6:
            content = self.command()
        elif kind < 0.7:
            content = rng.choice(({"sticker": {"file_id": "a", "file_unique_id": "b", "width": 1, "height": 1,
                                               "is_animated": False, "is_video": False, "type": "regular"}},
                                  {"photo": [{"file_id": "a", "file_unique_id": "b", "width": 1,
                                              "height": 1}]},
                                  {"location": {"latitude": 1.0, "longitude": 2.0}}, {}))
        elif kind < 0.85:
            query = self.query(user_id, self.noise_data(user_id))
            return {"update_id": self.next_id(), "callback_query": query}
        else:
            other = rng.choice((
                {"edited_message": self.message(user_id, text=self.text(), edit_date=int(time.time()))},
                {"channel_post": self.message(-100123, text=self.text())
                 | {"chat": {"id": -100123, "type": "channel"}}},
                {"message": self.message(user_id, text=self.text()) | {"chat": {"id": -5, "type": "group"}}},
                {"my_chat_member": {"chat": {"id": user_id, "type": "private"}, "from": self.person(user_id),
                                    "date": 0,
                                    "old_chat_member": {"status": "member", "user": self.person(1)},
                                    "new_chat_member": {"status": "kicked", "user": self.person(1),
                                                        "until_date": 0}}},
                {"inline_query": {"id": "1", "from": self.person(user_id), "query": MARK, "offset": ""}},
            ))
            return {"update_id": self.next_id()} | other
        return {"update_id": self.next_id(), "message": self.message(user_id, **content)}

    def query(self, user_id: int, data: str | None) -> dict:
        query_id = str(self.rng.getrandbits(62))
        if self.rng.random() < 0.5:
            self.server._queries[query_id] = None  # one the server issued, so answering it works
        live = self.live.get(user_id)
        message = live or {"message_id": self.rng.randint(1, 10**6), "date": 0, "text": f"q {MARK}",
                           "chat": {"id": user_id, "type": "private"},
                           "from": {"id": 123456, "is_bot": True, "first_name": "B"}}
        query = {"id": query_id, "from": self.person(user_id), "chat_instance": "7", "message": message}
        return query | ({"data": data} if data is not None else {})

    def noise_data(self, user_id: int) -> str | None:
        """Button data a noise person presses: often their own live button, else anything."""
        live = self.live.get(user_id)
        if live and self.rng.random() < 0.5:
            return self.rng.choice([data for _, data in buttons(live)] or [None])
        return self.forged(user_id)

    def forged(self, user_id: int) -> str | None:
        """Button data that was not made for `user_id`: anyone's but theirs, or garbage."""
        rng = self.rng
        other = rng.choice([u for u in list(VICTIMS) + list(NOISE) if u != user_id])
        own = [data for _, data in buttons(self.live[user_id])] if user_id in self.live else []
        ref, answer = rng.choice((("triage:4", "yes"), ("day:3", "done"), ("delete1790000000", "confirm")))
        choices = [self.signer.data(other, ref, answer), None, "", ":", "::", "a:b:c", MARK, "x" * 64,
                   "🙂" * 16, f"{ref}:{answer}:{'A' * 12}"]
        if own:
            ref, answer, signature = rng.choice(own).split(":")
            choices += [f"{ref}:{'no' if answer == 'yes' else 'yes'}:{signature}",
                        f"{ref}:{answer}:{signature[::-1]}", self.signer.data(other, ref, answer)]
        return rng.choice(choices)

    def malformed(self, user_id: int) -> dict:
        """A valid update with one field given the wrong type."""
        update = self.valid(user_id)
        path = [update]
        while isinstance(path[-1], dict) and path[-1] and self.rng.random() < 0.7:
            key = self.rng.choice(list(path[-1]))
            if not isinstance(path[-1][key], dict):
                break
            path.append(path[-1][key])
        target = path[-1]
        key = self.rng.choice(list(target))
        target[key] = self.rng.choice((None, "s" + MARK, -1, 2**70, 1.5, True, [], [MARK], {}, {"x": MARK}))
        return update

    def garbage(self) -> bytes:
        rng = self.rng
        return rng.choice((
            lambda: rng.randbytes(rng.randint(0, 300)) + MARK.encode(),
            lambda: json.dumps(rng.choice((None, [], 3, MARK, [MARK], 1.5, True))).encode(),
            lambda: f'{{"update_id": {rng.randint(0, 9)}, "message": {{"text": "{MARK}"'.encode(),
            lambda: b"[" * 50_000 + b"]" * 50_000,
            lambda: b"{}",
            lambda: json.dumps({"update_id": self.next_id(),
                                "message": {"text": MARK * (MAX_BODY // 8)}}).encode(),
        ))()

    def body(self) -> tuple[str, bytes]:
        """(category, body) of one request."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return "garbage", self.garbage()
        if roll < 0.3:
            return "malformed", json.dumps(self.malformed(rng.choice(NOISE))).encode()
        if roll < 0.45:
            victim = rng.choice(VICTIMS)
            update = {"update_id": self.next_id(), "callback_query": self.query(victim, self.forged(victim))}
            return "forged", json.dumps(update).encode()
        if roll < 0.55 and self.sent:
            again = dict(rng.choice(self.sent))  # redelivered, or an older id for the same person
            if rng.random() < 0.5:
                again["update_id"] -= rng.randint(1, 50)
            return "valid", json.dumps(again).encode()
        update = self.valid(rng.choice(NOISE))
        self.sent.append(update)
        return "valid", json.dumps(update).encode()


async def stored_progress(runner, ids) -> dict[str, tuple]:
    def read(conn):
        rows = conn.execute(sa.select(people.c.external_id, people.c.progress, people.c.stopped)
                            .where(people.c.external_id.in_([str(i) for i in ids]))).all()
        return {r.external_id: (r.progress, r.stopped) for r in rows}
    return await runner.backline.store.run(read)


async def quiet(server: BotAPIServer, runner, seconds: float = 0.5, timeout: float = 60) -> None:
    """Until nothing is being applied or sent and the bot made no Bot API call for `seconds`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = len(server.calls)
        await asyncio.sleep(seconds)
        idle = not runner.runtime.worker._tasks and not runner.runtime.dispatcher._tasks
        if calls == len(server.calls) and idle:
            return
    raise TimeoutError("the bot did not settle")


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


async def test_fuzzed_updates(server, tmp_path, unused_tcp_port, caplog):
    caplog.set_level(logging.INFO)
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    fast = RetryingRateLimiter(backoff=0.01)  # this test is about input, not pacing
    async with running_bot(server, f"sqlite:///{tmp_path / 'bot.db'}", webhook_url=url, port=unused_tcp_port,
                           limiter=fast) as runner:
        for user_id in VICTIMS:  # each somewhere in triage, on a question with buttons
            user = server.user(user_id)
            await say(server, user, "/start")
            await press(server, user, AGREE)
        for user_id in NOISE:
            server.user(user_id)
        live = {user_id: question(server.user(user_id)) for user_id in VICTIMS}
        before = await stored_progress(runner, VICTIMS)
        caplog.clear()

        fuzzer = Fuzzer(random.Random(SEED), CallbackSigner(server.token), live, server)
        requests = [fuzzer.body() for _ in range(COUNT)]
        statuses: dict[str, list[int]] = {}
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=60) as client:
            async def post(category: str, body: bytes) -> None:
                response = await client.post(url, content=body, headers={SECRET_HEADER: SECRET})
                statuses.setdefault(category, []).append(response.status_code)
            for at in range(0, len(requests), 25):
                await asyncio.gather(*(post(*r) for r in requests[at:at + 25]))
                if at % 500 == 0:  # let the noise people's buttons move on too
                    fuzzer.live |= {u: question(server.user(u)) for u in NOISE if server.user(u).messages()
                                    and any(buttons(m) for m in server.user(u).messages())}
        await quiet(server, runner)
        took = time.monotonic() - started
        after = await stored_progress(runner, VICTIMS)
    print(f"\nfuzz: {COUNT} requests in {took:.1f} s; "
          + ", ".join(f"{c}: {sorted(set(s))} x{len(s)}" for c, s in statuses.items()))

    assert set(statuses["garbage"]) == {400}
    assert set(statuses["valid"]) == {200} and set(statuses["forged"]) == {200}
    assert set(statuses["malformed"]) <= {200, 400}
    assert before == after and len(before) == len(VICTIMS), "a forged press changed someone's progress"
    records = caplog.records
    assert not [r for r in records if r.exc_info or r.exc_text], "a traceback was logged"
    assert not [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    leaked = [r.getMessage()[:120] for r in records if MARK in r.getMessage()]
    assert not leaked, "message content was logged"
    assert sum(1 for c in server.calls if c.method == "sendMessage") > COUNT // 5, "the bot did answer"
