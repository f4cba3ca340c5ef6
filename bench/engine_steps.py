"""Engine steps per second, alone and with SQLite storage (every step committed).

Run: python bench/engine_steps.py [--seconds 3]
Targets (issue 2): >= 50,000 engine steps/s on one core; >= 3,000 steps/s with SQLite.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bot.app import load_flows
from bot.settings import Settings
from bot.coaching.coach import Coach
from bot.coaching.content import load_plan
from bot.engine import Engine, Press, Progress, Start
from bot.service import Backline, Command, Who
from bot.storage import Store


def script(engine: Engine) -> list[Press]:
    """The presses of a whole all-clear triage, up to the wall-distance number."""
    progress, out = engine.handle(Progress(), Start("triage"))
    presses = []
    while out[-1].buttons:
        question = out[-1]
        press = Press("no" if question.screens else question.buttons[0].id, question.ref)
        presses.append(press)
        progress, out = engine.handle(progress, press)
    return presses


def engine_alone(engine: Engine, seconds: float) -> float:
    presses = script(engine)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        progress, _ = engine.handle(Progress(), Start("triage"))
        for press in presses:
            progress, _ = engine.handle(progress, press)
        steps += len(presses) + 1
    return steps / (time.perf_counter() - start)


async def with_storage(engine: Engine, seconds: float, people: int) -> float:
    presses = script(engine)
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(f"sqlite:///{Path(folder) / 'bench.db'}")
        backline = Backline(engine, store, Coach(engine, load_plan(Settings().plan_file)))
        steps = 0
        deadline = time.perf_counter() + seconds

        async def person(n: int) -> None:
            nonlocal steps
            who = Who("bench", str(n))
            while time.perf_counter() < deadline:
                await backline.handle(who, Command("restart"))
                steps += 1
                for press in presses:
                    await backline.handle(who, press)
                    steps += 1
        start = time.perf_counter()
        await asyncio.gather(*(person(n) for n in range(people)))
        rate = steps / (time.perf_counter() - start)
        await store.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    engine = Engine(load_flows(Settings()))
    alone = engine_alone(engine, args.seconds)
    print(f"engine alone:                 {alone:>9,.0f} steps/s (target 50,000)")
    for people in (1, 20):
        rate = asyncio.run(with_storage(engine, args.seconds, people))
        print(f"engine + SQLite, {people:>2} people:    {rate:>9,.0f} steps/s, each committed (target 3,000)")


if __name__ == "__main__":
    main()
