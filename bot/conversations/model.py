"""The shape of conversation test files (tests/conversations/*.yaml), and loading them with file:line.

A file holds `cases`; a case is a list of `steps`, each one input (a command, typed text, a button,
or moving the clock on) with what its reply must hold, and what the whole case must end at.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.sourcefile import load_source


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Model):
    """What one reply must hold; every field given must match."""

    key: str | list[str] | None = Field(None, description="Text key(s) among the reply's messages")
    not_key: str | list[str] | None = Field(None, description="Text key(s) the reply must not have")
    says: str | None = Field(None, description="A regular expression some message of the reply matches")
    buttons: list[str] | None = Field(None, description="Button ids of the reply's last message with buttons")
    outcome: str | None = Field(None, description="An outcome the reply gives, or 'none' for no outcome")
    refused: bool | None = Field(None, description="Whether the input was refused (stale, idle...)")
    delivered: int | None = Field(None, description="How many plan days the clock's move delivered")

    def keys(self, field: str) -> list[str]:
        value = getattr(self, field)
        return [] if value is None else [value] if isinstance(value, str) else list(value)


class Step(_Model):
    """One input: exactly one of command, text, press or advance."""

    command: str | None = None
    text: str | None = None
    press: str | None = Field(None, description="A button id of the latest question")
    question: str | None = Field(None, description="With press: the text key of an earlier question to "
                                                   "press on")
    advance: str | None = Field(None, description="Move the clock on: 1d, 3h, 2w...")
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_input(self) -> Step:
        given = [k for k in ("command", "text", "press", "advance") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a step has exactly one of command, text, press, advance "
                             f"(got {given or 'none'})")
        if self.question is not None and self.press is None:
            raise ValueError("`question` goes with `press`")
        return self

    def line(self) -> str:
        """The step as a simulator input line's object."""
        if self.press is not None:
            return {"button": self.press}
        return {k: getattr(self, k) for k in ("command", "text", "advance") if getattr(self, k) is not None}


class Case(_Model):
    name: str
    start: str = Field("2027-01-04T08:00Z", description="The simulated clock's start")
    steps: list[Step] = Field(min_length=1)
    outcome: str | None = Field(None, description="The last outcome the case reaches, or 'none'")
    flags: list[str] = Field([], description="Red flags the last outcome must include")
    kind: Literal["red_flag", "no_flag", "other"] = Field("other", description="For the no-flag tally")
    known_issue: str | None = Field(None, description="Why the bot fails this case today; it is reported, "
                                                      "not counted as a failure, and must still end safely")


class CaseFile(_Model):
    cases: list[Case] = Field(min_length=1)


class Inputs(_Model):
    """What the cases type, in another language (conversation-inputs/<locale>.yaml): the same cases then
    play in it. A text with no letters (numbers, times, emoji) is typed as it is."""

    locale: str = Field(pattern=r"^[a-z]{2}$")
    texts: dict[str, str] = Field({}, description="English text a step types -> what to type instead")
    says: dict[str, str] = Field({}, description="English `says` pattern -> the pattern in this language")

    def text(self, english: str) -> str | None:
        return english if not any(c.isalpha() for c in english) else self.texts.get(english)


def load_inputs(path: Path) -> Inputs:
    """A language's inputs; problems raise SourceError naming the line."""
    source = load_source(path)
    try:
        return Inputs.model_validate(source.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise source.error(err["loc"], f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc


def load_cases(path: Path) -> tuple[CaseFile, object]:
    """A case file and its source (for lines); problems raise SourceError naming the line."""
    source = load_source(path)
    try:
        return CaseFile.model_validate(source.data), source
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise source.error(err["loc"], f"{where}: {err['msg']}") from exc
