"""What goes into the engine and what comes out of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any


# Inputs
@dataclass(frozen=True, slots=True)
class Start:
    """Begin `flow` from its start, forgetting any conversation in progress."""

    flow: str = "triage"


@dataclass(frozen=True, slots=True)
class Press:
    """A button pressed; `ref` names the question it belongs to (None: the current one)."""

    answer: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Free text typed by the person; `seen` False if typed before the open question was shown."""

    text: str
    seen: bool = True


@dataclass(frozen=True, slots=True)
class Repeat:
    """Say the current question again."""


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Run `flow` now; when it returns, ask the interrupted question again.

    `answers` are known before it starts (a stored activity name its questions show, say); a None value
    removes the answer.
    """

    flow: str
    answers: Mapping[str, Any] = field(default_factory=dict)


Event = Start | Press | Text | Repeat | Interrupt


# Outputs
@dataclass(frozen=True, slots=True)
class Button:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Message:
    """Something to say; a question has buttons (maybe none, for typed answers) and a `ref`.

    `key` names the text it was made from, for tests and logs that must not hold the words.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    screens: tuple[str, ...] = ()
    ref: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Answered:
    """The question `ref` was answered with `label` (adapters show it in place of the buttons)."""

    ref: str
    label: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """Triage concluded."""

    outcome: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """Something for the service to carry out, such as accept_coaching; `data` holds the answers so far."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refused:
    """An input that was not accepted (a stale button, say); nothing changed."""

    text: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Photo:
    """A picture to send (PNG bytes), such as the progress chart."""

    data: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send (an export): its name, MIME type, bytes and an optional caption."""

    filename: str
    mime: str
    data: bytes
    caption: str = ""


Output = Message | Answered | Outcome | Action | Refused | Photo | Document
