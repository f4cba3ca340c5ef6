"""People talking to the bot through the simulator in this process (bot/adapters/simulator.py), each line
answered with the objects the simulator prints; for tests that live through weeks of a plan in seconds."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.adapters.simulator import Simulator
from bot.service import Backline


SHOES = (("tying my shoes", "5"),)


class _Sink:
    def __init__(self) -> None:
        self.items: list[dict] = []

    def write(self, text: str) -> None:
        self.items += [json.loads(line) for line in text.splitlines() if line.strip()]

    def flush(self) -> None:
        pass


class Person:
    """One person in the simulator; `send` takes what a line of `backline simulate` takes."""

    def __init__(self, backline: Backline, user: str, start: str, files: Path | None = None):
        self.sink = _Sink()
        self.sim = Simulator(backline, user, out=self.sink, start=datetime.fromisoformat(start), files=files)

    async def send(self, **line: str) -> list[dict]:
        self.sim.backline.clock = lambda: self.sim.now  # each person has their own clock
        await self.sim.feed(json.dumps(line))
        items, self.sink.items = self.sink.items, []
        return items

    async def enrol(self, pain: str = "4", activities: tuple[tuple[str, str], ...] = SHOES,
                    at: str = "08:00", zone: str = "Europe/London") -> list[dict]:
        """Through the screen (all no) and the calf check to the plan, with these starting scores."""
        out = await self.send(command="start")
        out = await self.send(button="agree")
        while questions(out)[-1]["screens"]:
            out = await self.send(button="no")
        while questions(out)[-1]["buttons"]:
            out = await self.send(button=questions(out)[-1]["buttons"][0]["id"])
        for typed in ("8", None, at, zone, pain):
            out = await (self.send(text=typed) if typed else self.send(button="accept"))
        for name, score in activities:
            await self.send(text=name)
            out = await self.send(text=score)
        if len(activities) < 3:
            out = await self.send(button="no_more")
        return out


def questions(out: list[dict]) -> list[dict]:
    return [o for o in out if o["type"] == "message" and o.get("ref")]


def keys(out: list[dict]) -> list[str]:
    return [o["key"] for o in out if o["type"] == "message"]


def delivered(out: list[dict]) -> list[int]:
    return [o["day"] for o in out if o["type"] == "delivery"]


def day_message(out: list[dict]) -> dict:
    return next(o for o in out if o["type"] == "message" and o["key"] in ("plan.day", "plan.rescreen"))
