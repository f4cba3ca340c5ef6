"""Three real `backline run` processes behind a real HAProxy, on one PostgreSQL database.

The test Bot API server posts updates to the balancer as Telegram posts to a webhook (one chat's
updates one at a time, many chats at once, a failed post retried) and answers 429 beyond 30 sends a
second for the bot. 150 people talk while 400 plan days fall due; the leader is killed with SIGKILL
and started again, then the next leader is stopped with SIGTERM and started again. Every answer must
be applied once and in order, no reply lost, every plan day sent once within 90 s of being due, no
429, and setWebhook called once each time a process became the leader.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from bot.storage.tables import deliveries, inbox, outbox, people
from tests.support.balancer import HAProxy, free_port
from tests.support.botapi import BotAPIServer, FakeUser
from tests.support.pgcluster import Cluster, ClusterUnavailable
from tests.support.databases import seed_plan_days
from tests.support.process import BotProcess
from tests.telegram_harness import buttons
from tests.test_crashes import AGREE, READING, read, screen_texts

TALKERS, ENROLLED, ANSWERS = 150, 400, 3
ON_TIME = 90.0  # seconds after being due by which every plan day must have been sent
TAKEOVER = 10.0  # seconds within which another process leads after the leader died
IN_FLIGHT = 2.0  # seconds before a kill -9 in which a message sent may not have been marked yet
FINISH = 8.0  # seconds a process stopped by SIGTERM may take to finish what it was sending

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url():
    """A PostgreSQL cluster of the test's own: three processes' pools (and nobody else's load)."""
    try:
        cluster = Cluster("-c max_connections=300").__enter__()
    except ClusterUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a PostgreSQL cluster of the test's own: {exc}")
        pytest.skip(f"no PostgreSQL cluster of the test's own: {exc}")
    try:
        yield cluster.url
    finally:
        cluster.__exit__(None, None, None)


def _haproxy_or_skip() -> None:
    if shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy"):
        return
    if os.environ.get("CI"):
        pytest.fail("CI needs haproxy (.ci/run installs it)")
    pytest.skip("haproxy is not installed (apt-get install haproxy; .ci/run installs it)")


class Talker:
    """/start, agree, then "no" to ANSWERS red-flag questions (typed or pressed), each once it is shown."""

    def __init__(self, user: FakeUser, engine, typed: bool):
        self.user, self.typed = user, typed
        self.welcome = engine.text("en", "triage.welcome")
        self.inputs = 0
        self.questions: list[str] = []  # the red-flag questions answered, in order
        self.done = False

    def _open(self, answered: set[int]) -> dict | None:
        return next((m for m in reversed(self.user.messages())
                     if buttons(m) and m["message_id"] not in answered), None)

    async def run(self, deadline: float) -> None:
        await self.user.send_text("/start")
        self.inputs, answered = 1, set()
        while time.monotonic() < deadline:
            question = self._open(answered)
            if question is None:
                await asyncio.sleep(0.2)
                continue
            if len(self.questions) == ANSWERS:  # the question after the last answer came: no reply lost
                self.done = True
                return
            answered.add(question["message_id"])
            await asyncio.sleep(READING)
            if question["text"].endswith(self.welcome):
                await self.user.press(question["message_id"], dict(buttons(question))[AGREE])
            else:
                self.questions.append(question["text"])
                if self.typed:
                    await self.user.send_text("no")
                else:
                    await self.user.press(question["message_id"], dict(buttons(question))["No"])
            self.inputs += 1


async def health(client: httpx.AsyncClient, port: int) -> dict | None:
    try:
        return (await client.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)).json()
    except (httpx.HTTPError, json.JSONDecodeError):
        return None


async def leader(client: httpx.AsyncClient, bots: list[BotProcess],
                 timeout: float) -> tuple[BotProcess, float]:
    """The process that leads, and how long it took to find one."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        for bot in bots:
            answer = await health(client, bot.port)
            if answer and answer.get("leader"):
                return bot, time.monotonic() - began
        await asyncio.sleep(0.1)
    raise AssertionError(f"no process leads after {timeout} s")


async def unmarked(server: BotAPIServer, url: str) -> tuple[list[float], int]:
    """When each message was sent that no outbox row records as its own: sent again after a kill or a
    stop, its first sending never marked; or sent, but its answer timed out (then its row is marked
    sent without a message id: the second figure)."""
    marked = {(int(r.external_id), r.sent_id) for r in await read(url, sa.select(outbox.c.external_id,
                                                                                 outbox.c.sent_id))}
    timed_out = sum(1 for r in await read(url, sa.select(outbox.c.id).where(
        outbox.c.status == "sent", outbox.c.sent_id.is_(None), outbox.c.kind == "message")))
    resent = [call.at for call in server.calls
              if call.method == "sendMessage" and call.status == 200
              and (call.result["chat"]["id"], call.result["message_id"]) not in marked]
    return resent, timed_out


async def until(predicate, timeout: float) -> None:
    """Wait for `predicate`, looking twice a second (the server's own wait_for, every 5 ms, would cost
    the test server the time it needs to answer three processes)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s")
        await asyncio.sleep(0.5)


async def all_healthy(client: httpx.AsyncClient, bots: list[BotProcess], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = [await health(client, bot.port) for bot in bots]
        if all(a and a["status"] == "ok" for a in answers):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the processes did not all come up")


async def test_three_processes_behind_haproxy_share_work_cap_and_leadership(database_url, engine):
    _haproxy_or_skip()
    began = time.monotonic()
    async with BotAPIServer() as server:
        server.rate_limit(global_per_second=30)
        ports = [free_port() for _ in range(3)]
        with HAProxy(ports) as balancer:
            public = f"http://127.0.0.1:{balancer.port}/telegram"
            now = datetime.now(timezone.utc)
            enrolled = [500_000 + i for i in range(ENROLLED)]
            due = [now + timedelta(seconds=10 + 30 * i / ENROLLED) for i in range(ENROLLED)]
            await seed_plan_days(database_url, enrolled, due)
            for uid in enrolled:
                server.user(uid)
            bots = [BotProcess(server, database_url, webhook_port=port, webhook_url=public)
                    for port in ports]
            for bot in bots:
                bot.start()
            async with httpx.AsyncClient() as client:
                try:
                    await all_healthy(client, bots)
                    first, _ = await leader(client, bots, TAKEOVER)
                    crowd = [Talker(server.user(700_000 + i), engine, typed=i % 2 == 0)
                             for i in range(TALKERS)]
                    talking = asyncio.gather(*(t.run(time.monotonic() + 150) for t in crowd))
                    await asyncio.sleep(6)
                    killed_at = time.monotonic()
                    first.kill()  # kill -9 of the leader
                    second, failover = await leader(client, [b for b in bots if b is not first], TAKEOVER)
                    first.start()
                    await asyncio.sleep(8)
                    stopped_at = time.monotonic()
                    second.terminate()  # SIGTERM of the next leader
                    third, handover = await leader(client, [b for b in bots if b is not second], TAKEOVER)
                    second.start()
                    await talking
                    await until(lambda: all(server.sent(uid) for uid in enrolled), timeout=120)
                    await asyncio.sleep(2.0)  # the last marks
                    finished = time.monotonic() - began
                    leads = sum(bot.output().count("this process leads") for bot in bots)
                    set_webhook = sum(1 for call in server.calls if call.method == "setWebhook")
                finally:
                    for bot in bots:
                        bot.stop()
    logs = [bot.output() for bot in bots]

    questions = screen_texts(engine)

    def ref_of(text: str) -> str:  # a question's message may begin with the notices sent before it
        return next(ref for ref, question in questions.items() if text.endswith(question))

    progress = {r.external_id: r.progress for r in await read(database_url, sa.select(people))}
    inputs = await read(database_url, sa.select(inbox.c.external_id, inbox.c.status))
    days = await read(database_url,
                      sa.select(deliveries.c.status, deliveries.c.due_at, deliveries.c.sent_at))
    unsent = await read(database_url, sa.select(outbox.c.id).where(outbox.c.status == "pending"))
    again, timed_out = await unmarked(server, database_url)
    at_kill = [t for t in again if killed_at - IN_FLIGHT <= t <= killed_at]
    at_stop = [t for t in again if stopped_at <= t <= stopped_at + FINISH]
    late = [d for d in days if d.sent_at is None or (d.sent_at - d.due_at).total_seconds() > ON_TIME]
    worst = max((d.sent_at - d.due_at).total_seconds() for d in days if d.sent_at is not None)
    print(f"\nscale out: {TALKERS} talking, {ENROLLED} plan days, {finished:.0f} s; "
          f"failover {failover:.1f} s, handover {handover:.1f} s; leader changes {leads}, "
          f"setWebhook {set_webhook}; 429s {server.too_many_requests}; sent again {len(again)} "
          f"({len(at_kill)} in flight at the kill -9, {len(at_stop)} at the SIGTERM, "
          f"{timed_out} timed out); "
          f"latest plan day {worst:.1f} s after due; "
          f"leaders: process {bots.index(first) + 1}, {bots.index(second) + 1}, {bots.index(third) + 1}")

    assert all(t.done for t in crowd), "every person got the reply to every answer"
    for talker in crowd:
        uid = str(talker.user.id)
        known = progress[uid].get("known", {})
        expected = {ref_of(text): "no" for text in talker.questions}
        assert known == expected, "each answer once, to its question"
        mine = [i for i in inputs if i.external_id == uid]
        assert len(mine) == talker.inputs, "every input stored once"
        assert all(i.status == "done" for i in mine), "every input applied"
    assert not unsent, "every row sent"
    assert len(days) == ENROLLED and all(d.status == "sent" for d in days), "every plan day sent"
    assert not late, f"{len(late)} plan days sent more than {ON_TIME} s after due"
    explained = len(at_kill) + len(at_stop) + timed_out
    assert len(again) <= explained, "only what was in flight at a kill is sent again"
    assert server.too_many_requests == 0
    assert failover < TAKEOVER and handover < TAKEOVER
    assert leads >= 3 and set_webhook == leads, "setWebhook once per leader change"
    assert all("Traceback" not in log for log in logs)
