"""The shapes of flow files. Semantic rules live in `validation`, the safety proof in `safety`."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[a-z][a-z0-9_]*$"
TEXT_KEY = r"^[a-z][a-z0-9_.]*$"

QuestionKind = Literal["yes_no", "choice", "number", "text", "time", "timezone"]
YES_NO = ("yes", "no", "not_sure")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Answer(_Model):
    """One button of a question (typed answers are matched to these too)."""

    id: str = Field(pattern=NAME, max_length=16)
    label: str | None = Field(None, pattern=TEXT_KEY,
                              description="Text key of the button; yes_no answers default to answer.<id>")
    positive: bool | None = Field(None, description="Whether this answer reports the screened red flag")
    next: str = Field(description="The state to go to")
    action: str | None = Field(None, description="An action the adapters carry out, e.g. accept_coaching")


class State(_Model):
    """One node of a flow. Its kind is given by which of ask / outcome / use / end / return / next it has."""

    say: str | None = Field(None, pattern=TEXT_KEY, description="Text key of what to say")
    ask: QuestionKind | None = None
    screens: tuple[str, ...] = Field((), description="Red-flag ids this question screens for")
    answers: tuple[Answer, ...] = ()
    store: str | None = Field(None, pattern=NAME, description="Answer key to store the reply under")
    min: float | None = None
    max: float | None = None
    unit: str | None = Field(None, pattern=TEXT_KEY, description="Text key of the unit")
    choices: tuple[str, ...] = Field((), description="Buttons of a time (HH:MM) or timezone (IANA name) question")
    outcome: str | None = Field(None, description="Triage outcome given on entering this state")
    use: str | None = Field(None, description="Id of a flow to run here; it returns to `next`")
    action: str | None = Field(None, description="Action carried out on entering this state")
    next: str | None = None
    end: bool = Field(False, description="The conversation ends here")
    return_: bool = Field(False, alias="return", description="Return to the flow that used this one")

    @property
    def kind(self) -> str:
        """question, outcome, use, end, return or message."""
        if self.ask:
            return "question"
        if self.outcome:
            return "outcome"
        if self.use:
            return "use"
        if self.end:
            return "end"
        if self.return_:
            return "return"
        return "message"

    @property
    def options(self) -> tuple[Answer, ...]:
        """The answers offered; a yes_no question written with only `next` offers all three there."""
        if self.ask == "yes_no" and not self.answers and self.next:
            return tuple(Answer(id=a, next=self.next) for a in YES_NO)
        return self.answers

    @property
    def typed(self) -> bool:
        """A question answered with a value (typed, or picked from `choices`), moving on to `next`."""
        return self.ask in ("number", "text", "time", "timezone")

    def targets(self) -> list[str]:
        """States this one can move to within its flow."""
        return [a.next for a in self.options] + ([self.next] if self.next else [])


class Flow(_Model):
    """A conversation graph: named states, starting at `start`."""

    id: str = Field(pattern=NAME, max_length=32)
    description: str | None = None
    start: str
    states: dict[str, State]


class Alerts(_Model):
    """Symptom phrases that, typed at any time, start `flow` (the red-flag screen again)."""

    flow: str = Field(pattern=NAME)
    phrases: tuple[str, ...] = Field(min_length=1)


def flow_json_schema() -> dict:
    """The JSON Schema of flow files, for editors."""
    schema = Flow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Backline flow"
    return schema
