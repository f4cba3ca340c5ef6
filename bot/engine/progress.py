"""A person's place in the conversation, as plain data that storage saves after every step."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Progress:
    """Where the person is (flow, state, the flows to return to), what they answered, and what was found.

    `last_outcome` is the outcome of their last finished check; `noted` holds red flags they described
    in their own words (or by a late press) that the screen has still to apply; `known` the answers
    given to red-flag questions in this conversation ("flow.state": answer id); `asked` the refs that named
    each red-flag question ("flow.state": refs, the last `ASKED` of them), so that a late press on it can
    be applied long after it was asked; `said` the person's last
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
    asked: dict[str, list[int]] = field(default_factory=dict)
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
                        list(self.noted), dict(self.known), _copied(self.asked), list(self.said))

    def fresh(self) -> Progress:
        """A new conversation: what outlives one (locale, refs, the last outcome, recent questions) kept."""
        return Progress(step=self.step, locale=self.locale, last_outcome=self.last_outcome,
                        asked=_copied(self.asked))

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "state": self.state, "stack": self.stack, "answers": self.answers,
                "flags": self.flags, "outcome": self.outcome, "step": self.step, "locale": self.locale,
                "last_outcome": self.last_outcome, "noted": self.noted, "known": self.known,
                "asked": self.asked, "said": self.said}

    def remember(self, where: str) -> None:
        """The question now asked (its ref) named the red-flag question `where`; the oldest ref beyond
        ASKED is forgotten."""
        self.asked.setdefault(where, []).append(self.step)
        if sum(map(len, self.asked.values())) > ASKED:
            oldest = min(self.asked, key=lambda k: self.asked[k][0])
            del self.asked[oldest][0]
            if not self.asked[oldest]:
                del self.asked[oldest]

    def question(self, ref: str) -> str | None:
        """The red-flag question ("flow.state") that `ref` named, if it is remembered."""
        step = int(ref) if ref.isascii() and ref.isdigit() else None
        return next((where for where, refs in self.asked.items() if step in refs), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Progress:
        if not data:
            return cls()
        asked = data.get("asked") or {}
        if any(isinstance(v, str) for v in asked.values()):  # saved before: {ref: "flow.state"}
            by_question: dict[str, list[int]] = {}
            refs = sorted((int(ref), where) for ref, where in asked.items()
                          if ref.isascii() and ref.isdigit())
            for ref, where in refs:
                by_question.setdefault(where, []).append(ref)
            data = data | {"asked": by_question}
        return cls(**data)


ASKED = 600  # refs of red-flag questions remembered for late presses (a screen asks 13: 46 screens)


def _copied(asked: dict[str, list[int]]) -> dict[str, list[int]]:
    return {where: list(refs) for where, refs in asked.items()}
