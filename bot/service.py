"""The conversation service: the step every input goes through. Pure: a Turn in, outputs and effects out."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot import locales
from bot.coaching.coach import COMMANDS as COACH_COMMANDS
from bot.coaching.coach import DAY_REF, NUDGE_REF, Coach
from bot.engine import (Action, Answered, Button, Engine, Interrupt, Message, Outcome, Output, Press,
                        Progress, Refused, Repeat, Start, Text)
from bot.export.documents import export_documents
from bot.storage import Store, StorageUnavailable, inbox, turns
from bot.turn import DropQueued, Forget, RecordClearance, RecordOutcome, SaveProgress, SetStopped, Turn

log = logging.getLogger(__name__)

TRIAGE = "triage"
DELETE_REF = "delete"
DELETE_VALID = timedelta(minutes=10)  # how long a /delete confirmation button works
COMMANDS = ("start", "restart") + COACH_COMMANDS + ("export", "language", "help", "privacy", "stop", "delete")
READ_RECORD = ("progress", "export")  # commands whose step reads everything stored about the person


@dataclass(frozen=True, slots=True)
class Who:
    """A person on one channel (telegram, terminal, simulator)."""

    channel: str
    external_id: str


@dataclass(frozen=True, slots=True)
class Command:
    """A bot command such as /start, without the slash."""

    name: str


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A message the bot cannot read (sticker, photo, voice note...)."""

    kind: str


@dataclass(frozen=True, slots=True)
class Stale:
    """A press the bot did not make for this person, or on a message it no longer knows: refused."""


Input = Command | Unsupported | Stale | Press | Text


class KeyedLocks:
    """One asyncio.Lock per key, so one person's inputs run one at a time and in arrival order."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Backline:
    """Turns one input of one person into outputs, inside the transaction that stores their progress."""

    def __init__(self, engine: Engine, store: Store, coach: Coach, clock: Callable[[], datetime] = utcnow):
        self.engine, self.store, self.coach, self.clock = engine, store, coach, clock
        self._locks = KeyedLocks()

    def text(self, key: str, locale: str = "en", **values: object) -> str:
        return self.engine.text(locale, key, **values)

    def say(self, key: str, locale: str = "en", **values: object) -> Message:
        return self.engine.say(locale, key, **values)

    async def handle(self, who: Who, item: Input, update_id: int | None = None,
                     language: str | None = None) -> list[Output]:
        """Apply `item` at once and return what to say (tools and tests; the runtime goes through the
        inbox and outbox). An `update_id` seen before is ignored."""
        async with self._locks.hold(who):
            try:
                return await self.store.run(lambda conn: self._direct(conn, who, item, update_id, language))
            except StorageUnavailable as exc:
                log.warning("storage unavailable for a %s step: %s", who.channel, exc)
                return [self.say("error.storage", locales.from_telegram(language))]

    def _direct(self, conn: sa.Connection, who: Who, item: Input, update_id: int | None,
                language: str | None) -> list[Output]:
        now = self.clock()
        if update_id is not None and not inbox.seen(conn, who.channel, update_id, now):
            return []
        person = turns.load_person(conn, who.channel, who.external_id, now)
        turn = turns.load(conn, person, now, self.needs_record(item))
        out = self.step(turn, item, language=language)
        turns.apply(conn, turn)
        return out

    def step(self, turn: Turn, item: Input, at: datetime | None = None,
             shown: tuple[str, datetime | None] | None = None, language: str | None = None) -> list[Output]:
        """The step: `item`, said at `at`, applied to the person loaded in `turn`. `shown` is what became
        of the message that asked the open question (status, sent at): typed words answer a question
        only if it was shown before they were typed. `language` (Telegram's language_code) picks a new
        person's language."""
        person = turn.person
        progress, out = person.progress, []
        progress.locale = progress.locale or locales.from_telegram(language)
        match item:
            case Stale():
                return [Refused(self.text("hint.stale", progress.locale), "hint.stale")]
            case Command("delete"):
                return [self._confirm_delete(progress.locale)]
            case Press(ref=str(ref)) if ref.startswith(DELETE_REF):
                return self._delete(turn, item)
            case Command("start") if progress.active:
                progress, out = self._then_ask_again(progress, "service.resume")
            case Command("start" | "restart"):
                progress, out = self.engine.handle(progress, Start(TRIAGE))
            case Command("help"):
                progress, out = self._then_ask_again(progress, "service.help")
            case Command("language"):
                progress, out = self.engine.handle(progress, Interrupt("language"))
            case Command("export"):
                out = export_documents(turn.record, self.coach.texts(progress.locale), turn.now)
            case Command("privacy"):
                out.append(self.say("service.privacy", progress.locale))
            case Command("stop"):
                turn.do(SetStopped("stop"), DropQueued())
                out.append(self.say("service.stopped", progress.locale))
            case Command(name) if name in COACH_COMMANDS:
                progress, out = self.coach.command(turn, progress, name)
            case Press(ref=str(ref)) if ref.startswith(DAY_REF):
                progress, out = self.coach.checkin(turn, progress, item)
            case Press(ref=str(ref)) if ref.startswith(NUDGE_REF):
                progress, out = self.coach.nudged(turn, progress, item)
            case Command(name):
                progress, out = self._then_ask_again(progress, "service.unknown_command", command=name)
            case Unsupported():
                progress, out = self._then_ask_again(progress, "service.unsupported")
            case Text():
                progress, out = self.engine.handle(progress, Text(item.text, _seen(shown, at)))
            case Press():
                progress, out = self.engine.handle(progress, item)
        if isinstance(item, Command) and item.name in ("start", "restart") and person.stopped:
            turn.do(SetStopped(None))
        for output in out:
            if isinstance(output, Outcome):
                turn.do(RecordOutcome(output.outcome, tuple(output.flags)))
            elif isinstance(output, Action) and output.name == "record_clearance":
                turn.do(RecordClearance(person.progress.last_outcome))
        progress, extra = self.coach.apply(turn, progress, out)
        out += extra
        turn.do(SaveProgress(progress))
        return out

    def _then_ask_again(self, progress: Progress, key: str,
                        **values: object) -> tuple[Progress, list[Output]]:
        """Say `key`, then the question the person is on, if any."""
        progress, question = self.engine.handle(progress, Repeat())
        return progress, [self.say(key, progress.locale, **values)] + question

    def _confirm_delete(self, locale: str) -> Message:
        """The question, its ref carrying when it was asked (adapters sign refs, so it can't be forged)."""
        buttons = (Button("confirm", self.text("service.delete_confirm", locale)),
                   Button("cancel", self.text("service.delete_cancel", locale)))
        return Message(self.text("service.delete_ask", locale), buttons,
                       ref=f"{DELETE_REF}{int(self.clock().timestamp())}", key="service.delete_ask")

    def _delete(self, turn: Turn, press: Press) -> list[Output]:
        locale = turn.person.progress.locale
        asked = press.ref[len(DELETE_REF):]
        if not asked.isdecimal() or turn.now.timestamp() - int(asked) > DELETE_VALID.total_seconds():
            return [Refused(self.text("service.delete_expired", locale), "service.delete_expired")]
        if press.answer not in ("confirm", "cancel"):
            return [Refused(self.text("hint.stale", locale), "hint.stale")]
        label = self.text(f"service.delete_{press.answer}", locale)
        if press.answer == "cancel":
            return [Answered(press.ref, label), self.say("service.delete_kept", locale)]
        turn.do(Forget())
        return [Answered(press.ref, label), self.say("service.deleted", locale)]

    def needs_record(self, item: Input) -> Callable[[Turn], bool]:
        """Whether the step of `item` reads everything stored about the person (loaded before it, once the
        person's coaching data is): the commands that show it, and the re-screen whose end sends the
        review."""
        shows = isinstance(item, Command) and item.name in READ_RECORD
        return lambda turn: shows or self.coach.reviewing(turn)

    async def mark_blocked(self, who: Who) -> None:
        """The person blocked the bot: send them nothing more (someone already erased stays erased)."""
        await self.store.mark_stopped(who.channel, who.external_id, "blocked")




def _seen(shown: tuple[str, datetime | None] | None, at: datetime | None) -> bool:
    """Whether the open question was on the person's screen when they typed at `at`: its message was
    sent no later than that second (a channel dates messages to the second). No record: it was."""
    if shown is None or at is None:
        return True
    status, sent_at = shown
    return status == "sent" and (sent_at is None or sent_at.replace(microsecond=0) <= at)
