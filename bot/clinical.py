"""The red-flag table (flows/red-flags.yaml): flag ids, outcomes and their urgency order."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.sourcefile import SourceError, load_source


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeRow(_Strict):
    id: str
    advice: str
    enrols: bool


class FlagRow(_Strict):
    id: str
    outcome: str
    summary: str
    source: str


class Clinical(_Strict):
    """Outcomes most urgent first, and the outcome each red flag leads to."""

    version: int
    outcomes: tuple[OutcomeRow, ...]
    flags: tuple[FlagRow, ...]

    def urgency(self, outcome: str) -> int:
        """Higher is more urgent; unknown outcomes raise KeyError."""
        ids = self.outcome_ids
        if outcome not in ids:
            raise KeyError(f"unknown outcome {outcome!r}")
        return len(ids) - ids.index(outcome)

    def flag_outcome(self, flag: str) -> str:
        return next(f.outcome for f in self.flags if f.id == flag)

    @property
    def flag_ids(self) -> list[str]:
        return [f.id for f in self.flags]

    @property
    def outcome_ids(self) -> list[str]:
        return [o.id for o in self.outcomes]

    def most_urgent(self, flags: list[str]) -> str | None:
        """The outcome the most urgent of `flags` leads to."""
        outcomes = [self.flag_outcome(f) for f in flags]
        return max(outcomes, key=self.urgency) if outcomes else None

    def enrols(self, outcome: str) -> bool:
        return next(o.enrols for o in self.outcomes if o.id == outcome)


def load_clinical(path: Path) -> Clinical:
    """Load and check the table; problems raise SourceError naming the line."""
    source = load_source(path)
    try:
        table = Clinical.model_validate(source.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise source.error(err["loc"], f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
    seen: set[str] = set()
    for kind, rows in (("outcome", table.outcomes), ("flag", table.flags)):
        for i, row in enumerate(rows):
            if row.id in seen:
                raise source.error((f"{kind}s", i, "id"), f"duplicate {kind} id {row.id!r}")
            seen.add(row.id)
    for i, flag in enumerate(table.flags):
        if flag.outcome not in table.outcome_ids:
            raise source.error(("flags", i, "outcome"),
                               f"flag {flag.id!r} names unknown outcome {flag.outcome!r}")
    return table


__all__ = ["Clinical", "FlagRow", "OutcomeRow", "SourceError", "load_clinical"]
