"""Reply latency under an open load: inputs arrive at a steady rate from many people, whatever the
bot is doing, and each is timed from the update to the bot's reply reaching the Bot API server.

Run (from the repo root): python bench/reply_latency.py [--rate 50] [--people 200] [--seconds 30]
[--postgres postgresql://postgres@127.0.0.1:5432/test]

A real `backline run` process (polling, the durable inbox and outbox; TELEGRAM_SEND_RATE=0, so
that the 30 messages/s cap, below the 50 inputs/s offered, does not become the measure) against the
local Bot API test server (tests/support/botapi.py) in this process. People take turns: input k goes at k/rate
seconds, from person k mod people, so each person speaks every people/rate seconds (4 s at the
defaults) and answers the newest question they were sent: "/start", "I understand", then "no"
to each red-flag question. Latency: from the moment the input reached the server to the first
message the bot sent that person afterwards. Target: p99 under 0.5 s at 50 inputs/s, 200 people.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` and `bot` from the repo

from tests.support.botapi import BotAPIServer  # noqa: E402
from tests.support.databases import fresh_postgres  # noqa: E402
from tests.support.process import BotProcess  # noqa: E402
from tests.telegram_harness import buttons  # noqa: E402

FIRST_USER = 3_000_001
AGREE = "I understand, let's start"


async def run(url: str, rate: float, people: int, seconds: float) -> dict:
    async with BotAPIServer() as server:
        users = [server.user(FIRST_USER + i) for i in range(people)]
        bot = BotProcess(server, url, log_level="WARNING", env={"TELEGRAM_SEND_RATE": "0"})
        bot.start()
        try:
            warm = server.user(FIRST_USER - 1)
            await warm.send_text("/start")
            await server.wait_for(lambda: warm.messages(), timeout=60)
            sent_at: list[tuple[int, float]] = []
            started = time.monotonic()
            total = int(rate * seconds)
            for k in range(total):
                await asyncio.sleep(max(0.0, started + k / rate - time.monotonic()))
                user = users[k % people]
                sent_at.append((user.id, time.monotonic()))
                await speak(user)
            await asyncio.sleep(3.0)  # the last replies
            return latencies(server, sent_at, time.monotonic() - started)
        finally:
            bot.stop()


async def speak(user) -> None:
    question = next((m for m in reversed(user.messages()) if buttons(m)), None)
    if question is None:
        await user.send_text("/start")
    elif any(label == AGREE for label, _ in buttons(question)):
        await user.press(question["message_id"], dict(buttons(question))[AGREE])
    else:
        await user.send_text("no")


def latencies(server: BotAPIServer, sent_at: list[tuple[int, float]], wall: float) -> dict:
    replies: dict[int, list[float]] = {}
    for call in server.calls:
        if call.method == "sendMessage" and call.status == 200:
            replies.setdefault(int(call.params["chat_id"]), []).append(call.at)
    waits, missing = [], 0
    for chat, at in sent_at:
        later = [t for t in replies.get(chat, ()) if t >= at]
        if later:
            waits.append(min(later) - at)
        else:
            missing += 1
    waits.sort()
    return {
        "inputs": len(sent_at),
        "answered": len(waits),
        "unanswered": missing,
        "wall": wall,
        "p50": statistics.median(waits),
        "p99": waits[int(0.99 * (len(waits) - 1))],
        "max": waits[-1],
    }


async def main_async(args: argparse.Namespace) -> None:
    targets = [("SQLite", f"sqlite:///{tempfile.mkdtemp(prefix='latency-')}/bench.db")]
    if args.postgres:
        targets.append(("PostgreSQL", (await fresh_postgres(args.postgres, "bench"))[0]))
    for name, url in targets:
        r = await run(url, args.rate, args.people, args.seconds)
        print(
            f"{name}: {r['inputs']} inputs at {args.rate:g}/s from {args.people} people in "
            f"{r['wall']:.1f} s; "
            f"reply latency p50 {1000 * r['p50']:.0f} ms, p99 {1000 * r['p99']:.0f} ms, max "
            f"{1000 * r['max']:.0f} ms; unanswered {r['unanswered']}; p99 under 500 ms: "
            f"{'yes' if r['p99'] < 0.5 else 'no'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50, help="inputs per second (default 50)")
    parser.add_argument("--people", type=int, default=200, help="people taking turns (default 200)")
    parser.add_argument("--seconds", type=float, default=30, help="how long inputs arrive (default 30)")
    parser.add_argument("--postgres", help="a PostgreSQL URL to create a throw-away database from")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
