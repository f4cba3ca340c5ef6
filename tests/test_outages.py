"""Database outages: a frozen, stopped or locked database gives the "can't reach my records" reply in
time, /healthz and `backline health` say so, the scheduler's jobs outlast it, and all works again
once it is back."""
from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa

from bot.app import open_backline
from bot.settings import Settings, SettingsError
from bot.service import Command, Who
from bot.storage import Store, StorageUnavailable
from bot.storage.tables import people
from tests.support.botapi import BotAPIServer
from tests.support.pgcluster import Cluster, ClusterUnavailable
from tests.telegram_harness import running_bot, say

REPLY_WITHIN, HEALTH_WITHIN = 5.0, 2.0


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL cluster of this module's own, to freeze and stop."""
    try:
        with Cluster() as pg:
            yield pg
    except ClusterUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the outage tests: {exc}")
        pytest.skip(f"cannot run a PostgreSQL cluster here: {exc}")


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


async def timed(awaitable):
    started = time.monotonic()
    result = await asyncio.wait_for(awaitable, 30)
    return result, time.monotonic() - started


async def healthz(port: int) -> tuple[int, float]:
    async with httpx.AsyncClient(timeout=30) as client:
        response, took = await timed(client.get(f"http://127.0.0.1:{port}/healthz"))
    return response.status_code, took


def health_command(url: str) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bot", "health"], capture_output=True, timeout=60,
                          env=os.environ | {"DATABASE_URL": url})
    return done.returncode, time.monotonic() - started


async def storage_reply(server, user, text: str) -> float:
    """Seconds until the bot answers `text` with error.storage's text."""
    before = len(user.messages())
    started = time.monotonic()
    await user.send_text(text)
    await server.wait_for(lambda: len(user.messages()) > before, timeout=30)
    took = time.monotonic() - started
    assert user.messages()[before]["text"] == STORAGE_TEXT
    return took


STORAGE_TEXT = None


@pytest.fixture(autouse=True)
def storage_text(engine):
    global STORAGE_TEXT
    STORAGE_TEXT = engine.text("en", "error.storage")


def job_logs(caplog, since: int) -> list[tuple[int, str]]:
    """(level, job) of what the scheduler's jobs logged, and anything logged at ERROR."""
    return [(r.levelno, r.getMessage().split(":")[0]) for r in caplog.records[since:]
            if r.name == "bot.runtime.runtime" or r.levelno >= logging.ERROR]


@pytest.fixture(autouse=True)
def info_logs(caplog):
    caplog.set_level(logging.INFO, logger="bot")


async def test_a_frozen_postgres_is_reported_in_time_and_recovered_from(cluster, server, unused_tcp_port,
                                                                        engine, caplog):
    user = server.user(301)
    port = unused_tcp_port
    webhook = f"http://127.0.0.1:{port}/telegram"
    async with running_bot(server, cluster.url, webhook_url=webhook, port=port) as bot:
        await say(server, user, "/start")
        deliver = bot.runtime.scheduler.get_job("plan").func
        cluster.freeze()
        mark = len(caplog.records)
        try:
            reply_took, (health, health_took), (direct, direct_took), (command, command_took), _ = \
                await asyncio.gather(storage_reply(server, user, "/help"), healthz(port),
                                     timed(bot.backline.handle(Who("telegram", "302"), Command("start"))),
                                     asyncio.to_thread(health_command, cluster.url), timed(deliver()))
            await timed(deliver())  # a second tick in the same outage
        finally:
            cluster.thaw()
        print(f"\nfrozen PostgreSQL: reply {reply_took:.2f} s, /healthz {health_took:.2f} s, "
              f"service {direct_took:.2f} s, backline health {command_took:.2f} s")
        assert reply_took < REPLY_WITHIN
        assert health == 503 and health_took < HEALTH_WITHIN
        assert direct[0].text == STORAGE_TEXT and direct_took < REPLY_WITHIN
        assert command != 0 and command_took < 10
        logged = job_logs(caplog, mark)
        assert {level for level, _ in logged} == {logging.WARNING} and len(logged) == len(set(logged))
        assert (logging.WARNING, "plan") in logged, "one warning per job, no traceback"

        new = await say(server, user, "/help")
        assert new[0]["text"].startswith(engine.text("en", "service.help")[:30])
        assert (await healthz(port))[0] == 200
        await server.wait_for(lambda: bot.runtime.leading, timeout=10)  # the plan job is the leader's
        mark = len(caplog.records)
        await deliver()
        logged = job_logs(caplog, mark)  # the sweep, every 2 s, may say it recovered in the same moment
        assert [entry for entry in logged if entry[1] == "plan"] == [(logging.INFO, "plan")]
        assert {level for level, _ in logged} == {logging.INFO}, "recovered: no warning, no traceback"
        assert any(r.getMessage() == "plan: the database answers again" for r in caplog.records[mark:])
    assert health_command(cluster.url)[0] == 0


async def test_a_stopped_postgres_is_reported_and_recovered_from(cluster, server, unused_tcp_port, caplog):
    user = server.user(311)
    port = unused_tcp_port
    webhook = f"http://127.0.0.1:{port}/telegram"
    async with running_bot(server, cluster.url, webhook_url=webhook, port=port) as bot:
        await say(server, user, "/start")
        purge = bot.runtime.scheduler.get_job("purge").func
        cluster.stop("immediate")
        try:
            reply_took = await storage_reply(server, user, "/help")
            health, _ = await healthz(port)
            mark = len(caplog.records)
            await purge()
            await purge()
            logged = job_logs(caplog, mark)
        finally:
            cluster.start()
        assert reply_took < REPLY_WITHIN and health == 503
        assert [entry for entry in logged if entry[1] == "purge"] == [(logging.WARNING, "purge")]
        assert all(level == logging.WARNING for level, _ in logged), "warnings, no traceback"
        new = await say(server, user, "/help")
        assert new[0]["text"] != STORAGE_TEXT
        assert (await healthz(port))[0] == 200
        await purge()


async def test_a_connection_that_timed_out_is_never_used_again(cluster):
    store = await Store.open(cluster.url, timeout=1.5)
    try:
        def backend(conn):
            return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        frozen_on = await store.run(backend)  # the pool's one connection
        cluster.freeze()
        try:
            with pytest.raises(StorageUnavailable):
                await timed(store.run(backend))
        finally:
            cluster.thaw()
        await asyncio.sleep(0.5)  # the abandoned unit has finished by now
        used = set(await asyncio.gather(*(store.run(backend) for _ in range(10))))
        assert frozen_on not in used
    finally:
        await store.close()


async def test_a_slow_statement_on_postgres_is_stopped_by_the_server(postgres_url):
    store = await Store.open(postgres_url, timeout=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await timed(store.run(lambda conn: conn.execute(sa.text("SELECT pg_sleep(10)"))))
        assert time.monotonic() - started < 1.5
        assert await store.run(lambda conn: conn.execute(sa.text("SELECT 1")).scalar_one()) == 1
    finally:
        await store.close()


async def test_a_long_sqlite_lock_is_reported_in_time_and_applies_nothing(tmp_path, engine):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    backline = await open_backline(Settings(database_url=url))
    try:
        await backline.handle(Who("telegram", "1"), Command("start"))
        other = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            (replies, took), ok = await asyncio.gather(
                timed(asyncio.gather(*(backline.handle(Who("telegram", str(n)), Command("start"))
                                       for n in range(2, 12)))),
                timed(backline.store.ping()))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert all(r[0].text == STORAGE_TEXT for r in replies) and took < REPLY_WITHIN
        assert ok[0] is False and ok[1] < HEALTH_WITHIN
        await asyncio.sleep(0.3)
        for n in range(2, 12):  # refused steps stay undone
            assert await backline.store.find("telegram", str(n)) is None
        assert (await backline.handle(Who("telegram", "2"), Command("start")))[0].text != STORAGE_TEXT
    finally:
        await backline.store.close()


async def test_a_sqlite_unit_whose_caller_gave_up_is_never_committed(tmp_path):
    store = await Store.open(f"sqlite:///{tmp_path / 'bot.db'}", timeout=0.5)
    now = sa.func.current_timestamp()

    def insert(name, pause=0.0):
        def work(conn):
            conn.execute(people.insert().values(channel="t", external_id=name, progress={}, created_at=now,
                                                updated_at=now))
            time.sleep(pause)
        return work
    try:
        slow, queued = store.run(insert("slow", pause=1.0)), store.run(insert("queued"))
        results = await asyncio.gather(slow, queued, return_exceptions=True)
        assert all(isinstance(r, StorageUnavailable) for r in results)
        await asyncio.sleep(1.0)  # the thread has finished the slow one and reached the queued one
        names = await store.run(lambda conn: conn.execute(sa.select(people.c.external_id)).scalars().all())
        assert names == []
        await store.run(insert("later"))
        assert await store.find("t", "later") is not None
    finally:
        await store.close()


def test_the_timeout_setting():
    assert Settings.from_env({}).database_timeout == 4.0
    assert Settings.from_env({"DATABASE_TIMEOUT": "2.5"}).database_timeout == 2.5
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(SettingsError, match="DATABASE_TIMEOUT"):
            Settings.from_env({"DATABASE_TIMEOUT": bad})


async def test_a_burst_that_queues_past_the_deadline_is_served_not_refused(database_url):
    store = await Store.open(database_url, timeout=1.0)  # 0.5 s failed once: a stalled commit
    if store.url.get_backend_name() == "sqlite":
        def work(conn):  # the one database thread: 400 x 5 ms queue for two seconds
            time.sleep(0.005)
    else:
        def work(conn):  # the pool's 15 connections: 200 x 0.1 s queue for 1.4 s
            conn.execute(sa.text("SELECT pg_sleep(0.1)"))
    try:
        started = time.monotonic()
        await asyncio.gather(*(store.run(work) for _ in range(400 if store.url.get_backend_name() == "sqlite"
                                                                else 200)))
        assert time.monotonic() - started > 1.0, "the burst did queue past the deadline"
    finally:
        await store.close()


async def test_plan_days_sent_while_the_database_stops_are_sent_once(cluster, server):
    """The database stops in the middle of a burst of plan days: what was sent is recorded when it is
    back (the marks are kept meanwhile), and nothing is sent twice."""
    from bot.storage.tables import deliveries
    from tests.support.databases import seed_plan_days
    ids = list(range(8100, 8180))
    await seed_plan_days(cluster.url, ids)
    users = [server.user(uid) for uid in ids]
    server.rate_limit(global_per_second=30)
    calls = []

    def stop_on_the_tenth(call):
        calls.append(call)
        if len(calls) == 10:
            cluster.stop("immediate")
    server.hook("sendMessage", "after", stop_on_the_tenth, times=10)
    async with running_bot(server, cluster.url):
        await server.wait_for(lambda: len(calls) >= 10, timeout=30)
        await asyncio.sleep(5.0)  # down, while the rest of the burst goes out
        cluster.start()
        await server.wait_for(lambda: all(u.messages() for u in users), timeout=60)
        await asyncio.sleep(3.0)  # room for a double to show
    counts = [len(u.messages()) for u in users]
    store = await Store.open(cluster.url)
    try:
        statuses = await store.run(lambda conn: conn.execute(
            sa.select(deliveries.c.status).join(people, people.c.id == deliveries.c.person_id)
            .where(people.c.external_id.in_([str(i) for i in ids]))).scalars().all())
    finally:
        await store.close()
    print(f"\nplan days through a database stop: {sum(counts)} messages to {len(ids)} people, "
          f"{sum(c - 1 for c in counts)} doubled; deliveries {sorted(set(statuses))}")
    assert counts == [1] * len(ids), "each plan day once"
    assert statuses == ["sent"] * len(ids)
