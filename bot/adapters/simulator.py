"""`backline simulate`: JSON Lines over stdin/stdout, one person per process, for scripts and tests."""
from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine import Document, Message, Outcome, Output, Photo, Press, Refused, Text
from bot.runtime import Runtime
from bot.runtime.rows import output_of
from bot.service import Backline, Command, Who
from bot.storage import coaching as records
from bot.storage.outbox import SENT, Mark, Row

_DURATION = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """'1d', '3h', '2w', '1d12h', '90m' as a timedelta; ValueError otherwise."""
    compact = text.replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"cannot read duration {text!r}: use a number with w, d, h or m, like 1d or 3h")
    return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())


class Simulator:
    """Talks for one person; `{"advance": "1d"}` moves the simulated clock and delivers what falls due."""

    name = "simulator"

    def __init__(self, backline: Backline, user: str = "sim", out=sys.stdout, start: datetime | None = None,
                 files: Path | None = None, language: str | None = None):
        self.backline, self.language = backline, language
        self.files = files  # where pictures and documents are saved (a new temporary folder when first
        # needed)
        self.who = Who(self.name, user)
        self.out = out
        self.ref: str | None = None
        self.now = start or backline.clock()
        backline.clock = lambda: self.now
        self.runtime = Runtime(backline, [self])
        self._zone = "UTC"

    async def send(self, rows: list[Row]) -> list[Mark]:
        """The channel: each row printed as it stands (a plan day after its delivery line)."""
        for row in rows:
            if "day" in row.body:
                local = self.now.astimezone(ZoneInfo(self._zone))
                self.emit({"type": "delivery", "day": row.body["day"],
                           "at": local.isoformat(timespec="minutes")})
            output = output_of(row)
            if output is not None:
                self.show([output])
        return [Mark(row.id, SENT, at=self.now, delivery_id=row.delivery_id) for row in rows]

    async def working(self, external_id: str) -> None:
        """Nothing to show."""

    def emit(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def parse(self, line: str):
        """The input a line stands for; ValueError says what is wrong with it."""
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(obj, dict) or not obj:
            raise ValueError('expected an object with one key: "command", "text", "button" or "advance"')
        ref = obj.pop("ref", None) if "button" in obj else None
        if len(obj) != 1 or not isinstance(ref, str | None):
            raise ValueError('expected one key ("command", "text", "button" or "advance"); a "button" may '
                             'add the "ref" of an earlier question')
        (key, value), = obj.items()
        if not isinstance(value, str):
            raise ValueError(f'"{key}" takes a string')
        if key == "command":
            return Command(value.lstrip("/").lower())
        if key == "text":
            return Text(value)
        if key == "button":
            return Press(value, ref or self.ref)
        if key == "advance":
            return parse_duration(value)
        raise ValueError(f'unknown key "{key}": expected "command", "text", "button" or "advance"')

    def show(self, outputs: list[Output]) -> None:
        for item in outputs:
            if isinstance(item, Message):
                if item.ref is not None:
                    self.ref = item.ref
                self.emit({"type": "message", "text": item.text,
                           "buttons": [{"id": b.id, "label": b.label} for b in item.buttons],
                           "screens": list(item.screens), "key": item.key, "ref": item.ref})
            elif isinstance(item, Refused):
                self.emit({"type": "message", "text": item.text, "buttons": [], "screens": [],
                           "key": item.key, "ref": None, "refused": True})
            elif isinstance(item, Outcome):
                self.emit({"type": "outcome", "outcome": item.outcome, "flags": list(item.flags)})
            elif isinstance(item, Photo):
                self.emit({"type": "photo", "caption": item.caption, "bytes": len(item.data),
                           "path": str(self._save("chart.png", item.data))})
            elif isinstance(item, Document):
                self.emit({"type": "document", "filename": item.filename, "mime": item.mime,
                           "bytes": len(item.data), "caption": item.caption,
                           "path": str(self._save(item.filename, item.data))})

    def _save(self, name: str, data: bytes) -> Path:
        """`data` as a new file in the files folder (numbered, so nothing is overwritten)."""
        if self.files is None:
            self.files = Path(tempfile.mkdtemp(prefix="backline-files-"))
        self.files.mkdir(parents=True, exist_ok=True)
        stem, _, ext = name.rpartition(".")
        n = sum(1 for _ in self.files.iterdir()) + 1
        path = self.files / f"{n:03d}-{stem}.{ext}"
        path.write_bytes(data)
        return path

    async def advance(self, by: timedelta) -> None:
        """Move the clock on by `by`, stopping at each due time to deliver what falls due."""
        target = self.now + by
        while True:
            due = await self._next_due()
            self.now = min(due, target) if due is not None and due > self.now else target
            await self.runtime.plan_days(self.who.external_id)
            await self.runtime.worker.drain(self.who.channel, self.who.external_id)
            if self.now >= target:
                return

    async def _next_due(self) -> datetime | None:
        person = await self.backline.store.find(self.who.channel, self.who.external_id)
        enrolment = person and await self.backline.store.run(lambda conn: records.enrolment(conn, person.id))
        if enrolment and enrolment.time_zone:
            self._zone = enrolment.time_zone
        return enrolment.next_due if enrolment and enrolment.status == "active" else None

    async def run(self, stdin=sys.stdin) -> None:
        """Serve until stdin ends or whoever reads stdout goes away."""
        await self.runtime.start(schedule=False)
        try:
            await self._serve(stdin)
        except BrokenPipeError:
            return
        finally:
            await self.runtime.stop()

    async def _serve(self, stdin) -> None:
        while True:
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                return
            if not line.strip():
                continue
            if await self.feed(line):
                self.emit({"type": "waiting"})

    async def feed(self, line: str) -> bool:
        """Carry out one input line; False (after an error line) if it was not valid input."""
        try:
            item = self.parse(line)
        except ValueError as exc:
            self.emit({"type": "error", "message": str(exc)})
            return False
        if isinstance(item, timedelta):
            await self.advance(item)
        else:
            await self.runtime.converse(self.who, item, self.language)
        return True
