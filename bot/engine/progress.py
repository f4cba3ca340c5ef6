"""A person's place in the conversation, as plain data that storage saves after every step."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Progress:
    """Where the person is (flow, state, the flows to return to), what they answered, and what was found.

    `last_outcome` is the outcome of their last finished check; `noted` holds red flags they described
    in their own words (or by a late press) that the screen has still to apply; `known` the answers
    given to red-flag questions in this conversation ("flow.state": answer id); `asked` which red-flag
    question each recent ref named, so that a late press on it can be applied; `said` the person's last
    typed messages in this conversation, read with the next one ("numb", then "both legs").
    """

    flow: str | None = None
    state: str | None = None
    stack: list[list[str]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    outcome: str | None = None
    step: int = 0
    locale: str | None = None  # None until the service picks one for a new person
    last_outcome: str | None = None
    noted: list[str] = field(default_factory=list)
    known: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.flow is not None

    @property
    def ref(self) -> str:
        """Names the question now asked; a press carrying another ref is stale."""
        return str(self.step)

    def copy(self) -> Progress:
        return Progress(self.flow, self.state, [list(f) for f in self.stack], dict(self.answers),
                        list(self.flags), self.outcome, self.step, self.locale, self.last_outcome,
                        list(self.noted), dict(self.known), dict(self.asked), list(self.said))

    def fresh(self) -> Progress:
        """A new conversation: what outlives one (locale, refs, the last outcome, recent questions) kept."""
        return Progress(step=self.step, locale=self.locale, last_outcome=self.last_outcome,
                        asked=dict(self.asked))

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "state": self.state, "stack": self.stack, "answers": self.answers,
                "flags": self.flags, "outcome": self.outcome, "step": self.step, "locale": self.locale,
                "last_outcome": self.last_outcome, "noted": self.noted, "known": self.known,
                "asked": self.asked, "said": self.said}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Progress:
        return cls(**data) if data else cls()
