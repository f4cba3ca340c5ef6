"""`backline chat`: talk to the bot in a terminal; buttons are numbered."""
from __future__ import annotations

import asyncio
import getpass
import sys
import tempfile
import textwrap

from bot.engine import Document, Message, Outcome, Output, Photo, Press, Refused, Text
from bot.locales import known
from bot.runtime import Runtime
from bot.runtime.rows import output_of
from bot.service import Backline, Command, Who
from bot.storage.outbox import SENT, Mark, Row


class TerminalChat:
    name = "terminal"

    def __init__(self, backline: Backline, user: str | None = None, out=sys.stdout,
                 language: str | None = None):
        self.backline, self.language = backline, language
        self.who = Who(self.name, user or getpass.getuser())
        self.out = out
        self.buttons: list[tuple[str, str | None]] = []
        self.runtime = Runtime(backline, [self])

    async def send(self, rows: list[Row]) -> list[Mark]:
        """The channel: rows printed as they come."""
        self.show([o for o in map(output_of, rows) if o is not None])
        return [Mark(row.id, SENT, at=self.backline.clock(), delivery_id=row.delivery_id) for row in rows]

    async def working(self, external_id: str) -> None:
        """Nothing to show."""

    def show(self, outputs: list[Output]) -> None:
        for item in outputs:
            if isinstance(item, Message | Refused):
                lines = (textwrap.fill(line, 78) if line else "" for line in item.text.split("\n"))
                print("\n" + "\n".join(lines), file=self.out)
            if isinstance(item, Message) and item.buttons:
                self.buttons = [(b.id, item.ref) for b in item.buttons]
                print("   ".join(f"[{i}] {b.label}" for i, b in enumerate(item.buttons, 1)), file=self.out)
            elif isinstance(item, Message) and item.ref is not None:
                self.buttons = []
            if isinstance(item, Outcome):
                print(f"\n(outcome: {item.outcome})", file=self.out)
            if isinstance(item, Photo):
                with tempfile.NamedTemporaryFile(prefix="backline-", suffix=".png", delete=False) as file:
                    file.write(item.data)
                saved = self.backline.text("terminal.picture", known(self.language), path=file.name)
                print(f"\n{item.caption}\n{saved}", file=self.out)
            if isinstance(item, Document):
                suffix = "." + item.filename.rpartition(".")[2]
                with tempfile.NamedTemporaryFile(prefix="backline-", suffix=suffix, delete=False) as file:
                    file.write(item.data)
                saved = self.backline.text("terminal.picture", known(self.language), path=file.name)
                print(f"\n{item.caption}\n{saved}", file=self.out)

    def parse(self, line: str):
        line = line.strip()
        if line.startswith("/"):
            return Command(line[1:].split()[0].split("@")[0].lower() if len(line) > 1 else "")
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            answer, ref = self.buttons[int(line) - 1]
            return Press(answer, ref)
        return Text(line)

    async def run(self) -> None:
        print(self.backline.text("terminal.intro", known(self.language)), file=self.out)
        await self.runtime.start()
        try:
            await self.runtime.converse(self.who, Command("start"), self.language)
            while True:
                try:
                    line = await asyncio.to_thread(input, "\n> ")
                except EOFError:
                    print(file=self.out)
                    return
                if line.strip():
                    await self.runtime.converse(self.who, self.parse(line), self.language)
        finally:
            await self.runtime.stop()
