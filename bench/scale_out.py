"""One process and three on one PostgreSQL database: the shared send cap, and inputs end to end.

Run (from the repo root, with haproxy installed):
python bench/scale_out.py --postgres postgresql://postgres@127.0.0.1:5432/test [--days 600] [--people 200]

1. Send rate: `--days` plan days, all due, sent by 1 and then by 3 `backline run` processes against
   the local Bot API test server enforcing Telegram's 30 messages/s for the bot (429 beyond it). The
   rate is plan-day messages over the time from the first to the last; the cap is shared by the
   processes, so 3 processes should send as fast as 1 (target: at least 95% of 30/s, no 429).
2. Inputs/s end to end: `--people` people each going through the opening and `--answers` red-flag
   questions, as fast as the bot answers (each answers the moment the question arrives), posted by
   the test server's webhook through HAProxy to 1 and then 3 processes, with no send cap
   (TELEGRAM_SEND_RATE=0, so that the cap is not what is measured). This machine has two cores: the
   point is that three processes cost no more than one, not that they are faster.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `tests` and `bot` from the repo

from tests.support.balancer import HAProxy, free_port  # noqa: E402
from tests.support.botapi import BotAPIServer  # noqa: E402
from tests.support.databases import fresh_postgres, seed_plan_days  # noqa: E402
from tests.support.process import BotProcess  # noqa: E402
from tests.telegram_harness import buttons  # noqa: E402
from tests.test_crashes import AGREE  # noqa: E402

CAP = 30


async def up(bots: list[BotProcess]) -> None:
    async with httpx.AsyncClient() as client:
        for bot in bots:
            while True:
                try:
                    answer = await client.get(f"http://127.0.0.1:{bot.port}/healthz", timeout=1)
                    if answer.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)


async def send_rate(base: str, processes: int, days: int) -> dict:
    url, _ = await fresh_postgres(base, "bench")
    async with BotAPIServer() as server:
        server.rate_limit(global_per_second=CAP)
        enrolled = [900_000 + i for i in range(days)]
        for uid in enrolled:
            server.user(uid)
        await seed_plan_days(url, enrolled)
        ports = [free_port() for _ in range(processes)]
        public = f"http://127.0.0.1:{ports[0]}/telegram"
        bots = [BotProcess(server, url, webhook_port=p, webhook_url=public, log_level="WARNING")
                for p in ports]
        for bot in bots:
            bot.start()
        try:
            await server.wait_for(lambda: all(server.sent(uid) for uid in enrolled), timeout=days / 10 + 60)
        finally:
            for bot in bots:
                bot.stop()
    times = sorted(c.at for c in server.calls if c.method == "sendMessage" and c.status == 200)
    rate = (len(times) - 1) / (times[-1] - times[0])
    return {"rate": rate, "share": rate / CAP, "429": server.too_many_requests, "sent": len(times)}


async def person(server: BotAPIServer, user, answers: int, deadline: float) -> int:
    """Opening, consent and `answers` "no"s, each the moment its question arrives, until the reply to
    the last one came; inputs sent."""
    await user.send_text("/start")
    sent, seen = 1, set()
    while time.monotonic() < deadline:
        def unseen() -> list[dict]:
            return [m for m in user.messages() if buttons(m) and m["message_id"] not in seen]

        await server.wait_for(lambda: bool(unseen()), deadline - time.monotonic(), chat_id=user.id)
        if sent == answers + 2:
            break
        question = unseen()[-1]
        seen.add(question["message_id"])
        labels = dict(buttons(question))
        await user.press(question["message_id"], labels[AGREE] if AGREE in labels else labels["No"])
        sent += 1
    return sent


async def inputs_rate(base: str, processes: int, people: int, answers: int) -> dict:
    url, _ = await fresh_postgres(base, "bench")
    async with BotAPIServer() as server:
        ports = [free_port() for _ in range(processes)]
        with HAProxy(ports) as balancer:
            public = f"http://127.0.0.1:{balancer.port}/telegram"
            bots = [BotProcess(server, url, webhook_port=p, webhook_url=public, log_level="WARNING",
                               env={"TELEGRAM_SEND_RATE": "0"}) for p in ports]
            for bot in bots:
                bot.start()
            try:
                await up(bots)
                await server.wait_for(lambda: any(c.method == "setWebhook" for c in server.calls), 30)
                users = [server.user(800_000 + i) for i in range(people)]
                began = time.monotonic()
                sent = await asyncio.gather(*(person(server, u, answers, began + 300) for u in users))
                wall = time.monotonic() - began
            finally:
                for bot in bots:
                    bot.stop()
    return {"inputs": sum(sent), "wall": wall, "rate": sum(sent) / wall}


async def main_async(args: argparse.Namespace) -> None:
    for processes in (1, 3):
        r = await send_rate(args.postgres, processes, args.days)
        print(f"send rate, {processes} process(es): {r['rate']:.1f} messages/s = {100 * r['share']:.0f}% of "
              f"the {CAP}/s cap ({r['sent']} messages); 429s: {r['429']}")
    for processes in (1, 3):
        r = await inputs_rate(args.postgres, processes, args.people, args.answers)
        print(f"inputs end to end, {processes} process(es) behind HAProxy: {r['rate']:.0f} inputs/s "
              f"({r['inputs']} inputs in {r['wall']:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True,
                        help="a PostgreSQL URL to create throw-away databases from")
    parser.add_argument("--days", type=int, default=600, help="plan days for the send rate (default 600)")
    parser.add_argument("--people", type=int, default=200, help="people for inputs/s (default 200)")
    parser.add_argument("--answers", type=int, default=5, help="red-flag answers per person (default 5)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
