"""A person's place in the conversation, as plain data that storage saves after every step."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Progress:
    """Where the person is (flow, state, the flows to return to), what they answered, and what was found."""

    flow: str | None = None
    state: str | None = None
    stack: list[list[str]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    outcome: str | None = None
    step: int = 0
    locale: str = "en"

    @property
    def active(self) -> bool:
        return self.flow is not None

    @property
    def ref(self) -> str:
        """Names the question now asked; a press carrying another ref is stale."""
        return str(self.step)

    def copy(self) -> Progress:
        return Progress(self.flow, self.state, [list(f) for f in self.stack], dict(self.answers),
                        list(self.flags), self.outcome, self.step, self.locale)

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "state": self.state, "stack": self.stack, "answers": self.answers,
                "flags": self.flags, "outcome": self.outcome, "step": self.step, "locale": self.locale}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Progress:
        return cls(**data) if data else cls()
