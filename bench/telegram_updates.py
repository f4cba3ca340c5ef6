"""End-to-end Telegram updates per second: a bare python-telegram-bot echo bot, then Backline.

Run (from the repo root): python bench/telegram_updates.py [--people 50] [--inputs 10] [--rounds 3]

Both bots poll their own local Bot API server (tests/support/botapi.py) running in the same
event loop, exactly as the e2e tests run Backline. N simulated people each send `--inputs`
updates in a closed loop: each waits for the bot's reply (the harness's say/press with an
`expect=` text) before sending the next. Counted: inputs processed per second of wall clock,
from the first input to the last reply; echo and Backline alternate for --rounds rounds and the
median ratio is the result (one round takes a few seconds, and rounds vary by +-20%).
Everything runs in one process and is CPU-bound on one core, so the CPU time per update is shown
too: it helps to tell a slow round from a busy machine.

* echo: ApplicationBuilder with the same connection pool size as Backline (CONNECTIONS),
  concurrent_updates, no rate limiter; a MessageHandler replies with send_message(same text).
* Backline: build_application / Runner via tests.telegram_harness.running_bot, SQLite in a temp
  dir (every step committed), RetryingRateLimiter(); each person sends
  "/start", presses "I understand, let's start", then types "no" to each red-flag question.

Neither bot is held to Telegram's 30 messages/s: the point is processing speed.
Target: Backline >= 0.5 x echo.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` and `bot` from the repo

import sqlalchemy as sa  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.adapters.telegram.limits import RetryingRateLimiter  # noqa: E402
from bot.adapters.telegram.runner import CONNECTIONS  # noqa: E402
from bot.app import load_flows  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.engine import Engine, Message, Press, Progress, Start, Text  # noqa: E402
from bot.service import TRIAGE  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.storage.tables import people as people_table  # noqa: E402
from tests.support.botapi import BotAPIServer  # noqa: E402
from tests.support.databases import fresh_postgres  # noqa: E402
from tests.telegram_harness import press, running_bot, say  # noqa: E402

FIRST_USER = 1_000_001
WARMUP_USER = 999_999


@dataclass
class Result:
    bot: str
    people: int
    updates: int
    seconds: float
    too_many: int
    calls: Counter = field(default_factory=Counter)
    stored: bool | None = None
    cpu: float = 0.0  # CPU seconds of this whole process (server and people included), all threads

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


# -- Backline's conversation, worked out with the engine ---------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str  # "say" or "press"
    value: str  # text typed, or button label pressed
    expect: str  # text of the bot's last message in its reply


def script(engine: Engine, inputs: int) -> tuple[list[Step], dict]:
    """Each input a person sends, with the reply to wait for, and their progress afterwards."""
    steps: list[Step] = []
    progress, question = Progress(locale="en"), None
    while len(steps) < inputs:
        if not progress.active:  # a new person, or a conversation that ended: (re)start
            progress, out = engine.handle(progress, Start(TRIAGE))
            step = ("say", "/start")
        elif question is not None and any(b.id == "no" for b in question.buttons):
            progress, out = engine.handle(progress, Text("no"))  # typed: each "no" moves to the next flag
            step = ("say", "no")
        elif question is not None and question.buttons:
            button = question.buttons[0]  # "I understand, let's start" on the welcome message
            progress, out = engine.handle(progress, Press(button.id, question.ref))
            step = ("press", button.label)
        else:
            progress, out = engine.handle(progress, Text("10"))
            step = ("say", "10")
        messages = [o for o in out if isinstance(o, Message)]
        if not messages:  # nothing new to wait for (the last answer of the whole conversation)
            raise SystemExit(f"--inputs {inputs}: input {len(steps) + 1} ({step[1]!r}) gets no new message; "
                             f"use at most {len(steps)}")
        question = messages[-1] if messages[-1].ref else None
        steps.append(Step(*step, expect=messages[-1].text.strip()))
    return steps, json.loads(json.dumps(progress.to_dict()))


def reached(stored: dict | None, expected: dict) -> bool:
    """Same place and answers; `step` and `asked` only number the questions asked (button refs), so they are
    left out."""
    return stored is not None and all(stored.get(key) == value for key, value in expected.items()
                                      if key not in ("step", "asked"))


async def stored_progress(database_url: str) -> dict[str, dict]:
    store = await Store.open(database_url)
    try:
        rows = await store.run(lambda conn: conn.execute(
            sa.select(people_table.c.external_id, people_table.c.progress)
            .where(people_table.c.channel == "telegram")).all())
    finally:
        await store.close()
    return {external_id: progress for external_id, progress in rows}


# -- the runs ------------------------------------------------------------------------------------------


def count_calls(server: BotAPIServer, since: int) -> Counter:
    return Counter(call.method for call in server.calls[since:])


async def run_echo(people: int, inputs: int) -> Result:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, update.message.text)

    async with BotAPIServer() as server:
        app = (ApplicationBuilder().token(server.token).base_url(server.base_url)
               .connection_pool_size(CONNECTIONS).concurrent_updates(True).build())
        app.add_handler(MessageHandler(filters.TEXT, echo))
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            warm = server.user(WARMUP_USER)
            for i in range(3):
                await say(server, warm, f"warm up {i}", expect=f"warm up {i}")

            async def person(n: int) -> None:
                user = server.user(FIRST_USER + n)
                for i in range(inputs):
                    text = f"message {i} from person {n}"
                    await say(server, user, text, expect=text)

            seconds, cpu, calls = await timed(server, people, person)
            await app.updater.stop()
            await app.stop()
        return Result("echo (bare PTB)", people, people * inputs, seconds, server.too_many_requests, calls,
                      cpu=cpu)


async def timed(server: BotAPIServer, people: int, person) -> tuple[float, float, dict]:
    """Run every person at once: wall seconds, CPU seconds, and the Bot API calls made meanwhile."""
    since, cpu = len(server.calls), time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(person(n) for n in range(people)))
    seconds = time.perf_counter() - start
    return seconds, time.process_time() - cpu, count_calls(server, since)


async def run_backline(people: int, inputs: int, steps: list[Step], final: dict, postgres: str | None = None
                       ) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        database_url = ((await fresh_postgres(postgres, "bench"))[0] if postgres
                        else f"sqlite:///{Path(folder) / 'bench.db'}")
        async with BotAPIServer() as server:
            async with running_bot(server, database_url, limiter=RetryingRateLimiter()):
                warm = server.user(WARMUP_USER)
                for step in steps[:3]:
                    await act(server, warm, step)

                async def person(n: int) -> None:
                    user = server.user(FIRST_USER + n)
                    for step in steps:
                        await act(server, user, step)

                seconds, cpu, calls = await timed(server, people, person)
        found = await stored_progress(database_url)
    stored = all(reached(found.get(str(FIRST_USER + n)), final) for n in range(people))
    return Result("Backline", people, people * inputs, seconds, server.too_many_requests, calls, stored, cpu)


async def act(server: BotAPIServer, user, step: Step) -> None:
    if step.kind == "press":
        await press(server, user, step.value, expect=step.expect)
    else:
        await say(server, user, step.value, expect=step.expect)


# -- report --------------------------------------------------------------------------------------------


def per_update(result: Result) -> str:
    calls = {k: v for k, v in sorted(result.calls.items()) if k != "getUpdates"}
    parts = ", ".join(f"{k} {v / result.updates:.2f}" for k, v in calls.items())
    return (f"{result.bot}: getUpdates {result.calls['getUpdates']} calls; "
            f"other Bot API calls per update: {parts}")


async def main_async(args: argparse.Namespace) -> int:
    engine = Engine(load_flows(Settings()))
    steps, final = script(engine, args.inputs)
    results: list[tuple[Result, Result]] = []
    for _ in range(args.rounds):
        echo = await run_echo(args.people, args.inputs)
        backline = await run_backline(args.people, args.inputs, steps, final, args.postgres)
        results.append((echo, backline))

    print("End-to-end updates/s against the local Bot API server (tests/support/botapi.py), closed loop:")
    print(f"{args.people} people each send {args.inputs} inputs, the next one when the reply to the "
          "previous arrives.")
    print("No 30 msg/s cap on either bot (echo: no rate limiter; Backline: RetryingRateLimiter()):")
    print("this measures processing speed, not Telegram's limits. Backline: SQLite (or --postgres), every "
          "step committed.")
    print(f"Backline's inputs per person: {', '.join(repr(s.value) for s in steps)}")
    print("CPU ms/upd: this process's CPU time (bot, server and people, all threads) per update.")
    print()
    header = (f"{'round':>5}  {'bot':<16} {'people':>6} {'updates':>8} {'seconds':>8} {'updates/s':>10} "
              f"{'CPU ms/upd':>10}")
    print(header)
    print("-" * len(header))
    ratios, cpu_ratios = [], []
    for i, (echo, backline) in enumerate(results, 1):
        for r in (echo, backline):
            print(f"{i:>5}  {r.bot:<16} {r.people:>6} {r.updates:>8} {r.seconds:>8.2f} {r.rate:>10.0f} "
                  f"{1000 * r.cpu / r.updates:>10.2f}")
        ratios.append(backline.rate / echo.rate)
        cpu_ratios.append((echo.cpu / echo.updates) / (backline.cpu / backline.updates))
        print(f"{i:>5}  {'Backline/echo':<16} {'':>6} {'':>8} {'':>8} {ratios[-1]:>10.2f} "
              f"{cpu_ratios[-1]:>10.2f}")
    ratio = statistics.median(ratios)
    if len(results) > 1:
        echo_rates = [e.rate for e, _ in results]
        back_rates = [b.rate for _, b in results]
        print(f"median of {len(results)}: echo {statistics.median(echo_rates):.0f}/s, "
              f"Backline {statistics.median(back_rates):.0f}/s, ratio {ratio:.2f} "
              f"(rounds {min(ratios):.2f}..{max(ratios):.2f}); by CPU per update "
              f"{statistics.median(cpu_ratios):.2f}")
    print()
    print(f"target: Backline >= 0.5 x echo -> {ratio:.2f} x: {'met' if ratio >= 0.5 else 'NOT met'}")
    too_many = sum(r.too_many for pair in results for r in pair)
    print(f"429 Too Many Requests from the server: {too_many} (should be 0)")
    stored = all(b.stored for _, b in results)
    print(f"all answers stored: {'yes' if stored else 'no'}")
    print()
    for r in results[-1]:
        print(per_update(r))
    return 0 if stored and too_many == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50, help="simulated people (default 50)")
    parser.add_argument("--postgres", help="run Backline on PostgreSQL: a URL to create a throw-away "
                                           "database from")
    parser.add_argument("--inputs", type=int, default=10, help="inputs each person sends (default 10)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="echo then Backline, this many times; the median counts (default 3)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
