"""`backline simulate`: JSON Lines over stdin/stdout, one person per process, for scripts and tests."""
from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from bot.engine import Message, Outcome, Output, Press, Refused, Text
from bot.service import Backline, Command, Who


class Simulator:
    def __init__(self, backline: Backline, user: str = "sim", out=sys.stdout):
        self.backline = backline
        self.who = Who("simulator", user)
        self.out = out
        self.ref: str | None = None

    def emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def parse(self, line: str):
        """The input a line stands for; ValueError says what is wrong with it."""
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(obj, dict) or len(obj) != 1:
            raise ValueError('expected one object with one key: "command", "text" or "button"')
        (key, value), = obj.items()
        if not isinstance(value, str):
            raise ValueError(f'"{key}" takes a string')
        if key == "command":
            return Command(value.lstrip("/").lower())
        if key == "text":
            return Text(value)
        if key == "button":
            return Press(value, self.ref)
        raise ValueError(f'unknown key "{key}": expected "command", "text" or "button"')

    def show(self, outputs: list[Output]) -> None:
        for item in outputs:
            if isinstance(item, Message):
                if item.ref is not None:
                    self.ref = item.ref
                self.emit({"type": "message", "text": item.text,
                           "buttons": [{"id": b.id, "label": b.label} for b in item.buttons],
                           "screens": list(item.screens)})
            elif isinstance(item, Refused):
                self.emit({"type": "message", "text": item.text, "buttons": [], "screens": []})
            elif isinstance(item, Outcome):
                self.emit({"type": "outcome", "outcome": item.outcome, "flags": list(item.flags)})

    async def run(self, stdin=sys.stdin) -> None:
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                return
            if not line.strip():
                continue
            try:
                item = self.parse(line)
            except ValueError as exc:
                self.emit({"type": "error", "message": str(exc)})
                continue
            self.show(await self.backline.handle(self.who, item))
            self.emit({"type": "waiting"})
