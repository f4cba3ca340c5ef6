"""The conversation service: what every adapter calls. Commands, storage, side effects; no transport."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot import locales
from bot.coaching.coach import COMMANDS as COACH_COMMANDS
from bot.coaching.coach import DAY_REF, Coach
from bot.engine import (Action, Answered, Button, Engine, Interrupt, Message, Outcome, Output, Press,
                        Progress, Refused, Repeat, Start, Text)
from bot.storage import Store, StorageUnavailable, Turn

log = logging.getLogger(__name__)

TRIAGE = "triage"
DELETE_REF = "delete"
DELETE_VALID = timedelta(minutes=10)  # how long a /delete confirmation button works
COMMANDS = ("start", "restart") + COACH_COMMANDS + ("language", "help", "privacy", "stop", "delete")


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


Input = Command | Unsupported | Press | Text


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
    """Turns one input of one person into outputs, committing their progress first."""

    def __init__(self, engine: Engine, store: Store, coach: Coach, clock: Callable[[], datetime] = utcnow):
        self.engine, self.store, self.coach, self.clock = engine, store, coach, clock
        self._locks = KeyedLocks()

    def text(self, key: str, locale: str = "en", **values: object) -> str:
        return self.engine.text(locale, key, **values)

    def say(self, key: str, locale: str = "en", **values: object) -> Message:
        return self.engine.say(locale, key, **values)

    async def handle(self, who: Who, item: Input, update_id: int | None = None,
                     language: str | None = None) -> list[Output]:
        """Apply `item` once (an `update_id` seen before is ignored) and return what to say. `language`
        (Telegram's language_code) picks a new person's language, and the language of a failure notice."""
        guess = locales.from_telegram(language)
        if isinstance(item, Command) and item.name == "delete":
            return [self._confirm_delete(await self._locale(who, guess))]
        if isinstance(item, Press) and (item.ref or "").startswith(DELETE_REF):
            return await self._delete(who, item, await self._locale(who, guess))
        async with self._locks.hold(who):
            try:
                return await self.store.step(who.channel, who.external_id, self.clock(),
                                             lambda turn: self._step(turn, item, update_id, guess))
            except StorageUnavailable as exc:
                log.warning("storage unavailable for a %s step: %s", who.channel, exc)
                return [self.say("error.storage", guess)]

    async def _locale(self, who: Who, guess: str) -> str:
        """The person's language, or `guess` for someone new (or when the records can't be read)."""
        try:
            person = await self.store.find(who.channel, who.external_id)
        except StorageUnavailable:
            return guess
        return person.progress.locale or guess if person else guess

    def _step(self, turn: Turn, item: Input, update_id: int | None,
              guess: str = locales.DEFAULT) -> list[Output]:
        person = turn.person
        if update_id is not None and person.last_update is not None and update_id <= person.last_update:
            return []
        progress, out = person.progress, []
        progress.locale = progress.locale or guess
        match item:
            case Command("start") if progress.active:
                progress, out = self._then_ask_again(progress, "service.resume")
            case Command("start" | "restart"):
                progress, out = self.engine.handle(progress, Start(TRIAGE))
            case Command("help"):
                progress, out = self._then_ask_again(progress, "service.help")
            case Command("language"):
                progress, out = self.engine.handle(progress, Interrupt("language"))
            case Command("privacy"):
                out.append(self.say("service.privacy", progress.locale))
            case Command("stop"):
                turn.set_stopped("stop")
                out.append(self.say("service.stopped", progress.locale))
            case Command(name) if name in COACH_COMMANDS:
                progress, out = self.coach.command(turn, progress, name)
            case Press(ref=str(ref)) if ref.startswith(DAY_REF):
                progress, out = self.coach.checkin(turn, progress, item)
            case Command(name):
                progress, out = self._then_ask_again(progress, "service.unknown_command", command=name)
            case Unsupported():
                progress, out = self._then_ask_again(progress, "service.unsupported")
            case Press() | Text():
                progress, out = self.engine.handle(progress, item)
        if isinstance(item, Command) and item.name in ("start", "restart") and person.stopped:
            turn.set_stopped(None)
        for item in out:
            if isinstance(item, Outcome):
                turn.record_outcome(item.outcome, list(item.flags))
            elif isinstance(item, Action) and item.name == "record_clearance":
                turn.record_clearance(person.progress.last_outcome)
        out += self.coach.apply(turn, out, progress.locale)
        turn.save(progress, update_id)
        return out

    def _then_ask_again(self, progress: Progress, key: str, **values: object) -> tuple[Progress, list[Output]]:
        """Say `key`, then the question the person is on, if any."""
        progress, question = self.engine.handle(progress, Repeat())
        return progress, [self.say(key, progress.locale, **values)] + question

    def _confirm_delete(self, locale: str = locales.DEFAULT) -> Message:
        """The question, its ref carrying when it was asked (adapters sign refs, so it can't be forged)."""
        buttons = (Button("confirm", self.text("service.delete_confirm", locale)),
                   Button("cancel", self.text("service.delete_cancel", locale)))
        return Message(self.text("service.delete_ask", locale), buttons,
                       ref=f"{DELETE_REF}{int(self.clock().timestamp())}", key="service.delete_ask")

    async def _delete(self, who: Who, press: Press, locale: str = locales.DEFAULT) -> list[Output]:
        asked = press.ref[len(DELETE_REF):]
        if not asked.isdecimal() or self.clock().timestamp() - int(asked) > DELETE_VALID.total_seconds():
            return [Refused(self.text("service.delete_expired", locale), "service.delete_expired")]
        label = (self.text(f"service.delete_{press.answer}", locale)
                 if press.answer in ("confirm", "cancel") else None)
        if label is None:
            return [Refused(self.text("hint.stale", locale), "hint.stale")]
        if press.answer == "cancel":
            return [Answered(press.ref, label), self.say("service.delete_kept", locale)]
        async with self._locks.hold(who):
            try:
                await self.store.forget(who.channel, who.external_id)
            except StorageUnavailable:
                return [self.say("error.storage", locale)]
        return [Answered(press.ref, label), self.say("service.deleted", locale)]

    async def mark_blocked(self, who: Who) -> None:
        """The person blocked the bot: send them nothing more (someone already erased stays erased)."""
        await self.store.mark_stopped(who.channel, who.external_id, "blocked")
