"""The shapes of flow files. Semantic rules live in `validation`, the safety proof in `safety`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from bot.clinical import Clinical
from bot.sourcefile import Source

NAME = r"^[a-z][a-z0-9_]*$"
TEXT_KEY = r"^[a-z][a-z0-9_.]*$"

QuestionKind = Literal["yes_no", "choice", "number", "text", "time", "timezone"]
Fact = Literal["last_outcome"]
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
    clears: bool = Field(False, description="A professional's clearance: the last outcome stops standing, "
                                            "so the next one may be less urgent")
    locale: str | None = Field(None, pattern=r"^[a-z]{2}$",
                               description="The person's language from this answer on (the engine sets it)")


class State(_Model):
    """One node of a flow. Its kind is given by which of ask / outcome / use / end / return / next it has."""

    say: str | None = Field(None, pattern=TEXT_KEY, description="Text key of what to say")
    ask: QuestionKind | None = None
    screens: tuple[str, ...] = Field((), description="Red-flag ids this question screens for")
    answers: tuple[Answer, ...] = Field((), description="Buttons; on a text question, buttons that go "
                                                          "elsewhere while typed words are the answer")
    store: str | None = Field(None, pattern=NAME, description="Answer key to store the reply under")
    min: float | None = None
    max: float | None = None
    unit: str | None = Field(None, pattern=TEXT_KEY, description="Text key of the unit")
    choices: tuple[str, ...] = Field((), description="Buttons of a time (HH:MM), timezone (IANA name) or "
                                                     "number question")
    fill: dict[str, str] = Field({}, description="Placeholder -> answer key: what fills each {placeholder} "
                                                 "of say, such as a stored activity name")
    only_if: str | None = Field(None, pattern=NAME, description="Ask this only when this answer is known "
                                                                "(not empty); otherwise go straight on to "
                                                                "next")
    strict: bool = Field(False, description="Only a whole, plain yes is yes; a qualified or questioning "
                                            "one is not sure (a clearance: only a clear yes goes on)")
    age_below: int | None = Field(None, ge=1, le=120, description="A typed age answers this yes/no "
                                                                   "question: yes below this age, no from it")
    both_sides: str | None = Field(None, description="The red flag that a typed reply naming both sides "
                                                     "(\"no, both\", \"beide\") says yes to: the question "
                                                     "asks about one leg, and a literal reader's no would "
                                                     "hide it")
    otherwise: str | None = Field(None, description="Where typed words that answer none of the buttons go "
                                                    "(instead of a hint and the question again)")
    outcome: str | None = Field(None, description="Triage outcome given on entering this state")
    use: str | None = Field(None, description="Id of a flow to run here; it returns to `next`")
    switch: Fact | None = Field(None, description="A fact about the person to branch on: last_outcome is the "
                                                  "outcome of their last finished check (none before one)")
    cases: dict[str, str] = Field({}, description="With switch: the state to go to for each value; others go "
                                                  "to next")
    action: str | None = Field(None, description="Action carried out on entering this state")
    next: str | None = None
    end: bool = Field(False, description="The conversation ends here")
    return_: bool = Field(False, alias="return", description="Return to the flow that used this one")

    @property
    def kind(self) -> str:
        """question, outcome, use, switch, end, return or message."""
        if self.ask:
            return "question"
        if self.outcome:
            return "outcome"
        if self.use:
            return "use"
        if self.switch:
            return "switch"
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
        return ([a.next for a in self.options] + list(self.cases.values())
                + ([self.next] if self.next else [])
                + ([self.otherwise] if self.otherwise else []))


class Flow(_Model):
    """A conversation graph: named states, starting at `start`."""

    id: str = Field(pattern=NAME, max_length=32)
    description: str | None = None
    start: str
    states: dict[str, State]


class Alerts(_Model):
    """What a sign typed in a person's own words starts: `screen` again inside it, `flow` elsewhere."""

    flow: str = Field(pattern=NAME, description="Run on a sign typed outside the screen (the screen again)")
    screen: str = Field(pattern=NAME, description="The red-flag screen; a sign typed in it restarts it")


class Reviewed(_Model):
    """Who checked a locale's words, and when."""

    by: str = Field(min_length=1)
    on: date

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: object) -> object:
        """YAML 1.1 reads a bare `on:` key as true."""
        return {("on" if k is True else k): v for k, v in data.items()} if isinstance(data, dict) else data


class Vocabulary(_Model):
    """One language's words for red-flag signs (symptoms/<locale>.yaml); see bot.engine.symptoms."""

    locale: str = Field(pattern=r"^[a-z]{2}$")
    negations: tuple[str, ...] = Field(min_length=1, description="Words that deny a sign that follows them")
    contrasts: tuple[str, ...] = Field((), description="Words that end a negation's reach (but, though)")
    affirmations: tuple[str, ...] = Field((), description="Words of yes that, opening a message set off "
                                                          "by a comma (or written with an accent: sí), "
                                                          "answer the question, no part of a sign after")
    losses: tuple[str, ...] = Field((), description="Words that, after a negation, name an ability lost "
                                                    "(no control, no feeling, no longer): a sign")
    degrees: tuple[str, ...] = Field((), description="Words that, after a negation, make it a degree (never "
                                                     "been this weak, nunca tan débil): a sign")
    fillers: tuple[str, ...] = Field((), description="Words that do not count towards the gap a phrase "
                                                     "allows between its words (are, really, been, kind "
                                                     "of): 'my legs are really very weak' is legs, weak")
    no_more: tuple[str, ...] = Field((), description="Words later in the sentence that make a negated sign a "
                                                     "loss (I can't hold it anymore, nicht mehr)")
    reversals: tuple[str, ...] = Field((), description="Phrases after a denied sign that take the denial "
                                                       "back (actually I do, bueno sí, doch)")
    others: tuple[str, ...] = Field((), description="Words for someone else (dad, friend, cat): a sign said "
                                                    "of them, with no word for oneself between, is not the "
                                                    "person's")
    referring: tuple[str, ...] = Field((), description="Words that, after a word saying where earlier in "
                                                       "the sentence, refer back to it and read as it (my "
                                                       "legs ... they are weak)")
    selves: tuple[str, ...] = Field((), description="Words for oneself (I, my, me) that end the reach of "
                                                    "`others`")
    shared: tuple[str, ...] = Field((), description="Phrases that give a sign said of someone else to "
                                                    "oneself too, anywhere in its sentence; '...' "
                                                    "stands for up to 2 words (I ... too, so did I)")
    sides: dict[Literal["left", "right", "other", "both"], tuple[str, ...]] = Field(
        {}, description="Words for a side of the legs (left, right), the other one or both (phrases, each "
                        "matched as written): a sign in one leg said of the other side too is in both "
                        "(the one-leg question's both_sides)")
    unaffected: tuple[str, ...] = Field((), description="Words that, after a side, say it is well (the left "
                                                        "one is fine): that side is not said to have a sign")
    not_sides: tuple[str, ...] = Field((), description="Phrases in which a side's word is no side "
                                                       "(right now, I left work)")
    legs: tuple[str, ...] = Field((), description="Word classes of the legs (limb, foot): a side said with "
                                                  "another place (my right knee) is no side of the legs")
    elsewhere: tuple[str, ...] = Field((), description="Words of places other than the legs that no word "
                                                       "class holds (back): as another place for `legs`")
    places: tuple[str, ...] = Field((), description="Word classes that say where a sign is (body, "
                                                    "saddle): at a question listing signs, such a word "
                                                    "names a bullet only as it is written there")
    idioms: tuple[str, ...] = Field((), description="Everyday phrases that contain a sign's words but mean "
                                                    "something else (pins and needles waiting, cancer "
                                                    "research)")
    words: dict[str, tuple[str, ...]] = Field({}, description="Word classes that phrases use as {name}, "
                                                              "such as {body} or {pain}")
    flags: dict[str, tuple[str, ...]] = Field(description="Phrases per red-flag id")
    unspecific: tuple[str, ...] = Field((), description="Phrases of a symptom that names no flag")


class Replies(_Model):
    """One language's words for reading typed answers (replies/<locale>.yaml); see bot.engine.replies."""

    locale: str = Field(pattern=r"^[a-z]{2}$")
    reviewed: Reviewed
    yes: tuple[str, ...] = Field(min_length=1, description="Whole replies that mean yes")
    no: tuple[str, ...] = Field(min_length=1, description="Whole replies that mean a clear no")
    not_sure: tuple[str, ...] = Field(min_length=1, description="Doubt anywhere in a reply: not sure (a yes)")
    hedges: tuple[str, ...] = Field((), description="Weak doubt (a bit, sometimes): not sure when said "
                                                    "alone or of what the question asks, no answer when "
                                                    "said of something else only")
    lead_yes: tuple[str, ...] = Field(min_length=1, description="First words of a yes")
    lead_no: tuple[str, ...] = Field(min_length=1, description="First words of a no")
    no_filler: tuple[str, ...] = Field((), description="Words that may follow a leading no, still a plain no")
    take_back: tuple[str, ...] = Field((), description="Words after a leading no that take it back (doubt)")
    negated: tuple[str, ...] = Field((), description="Words that keep a take-back word a no (have not)")
    ages: tuple[str, ...] = Field((), description="Words of a stated age (years, old), no answer either way")
    numbers: dict[str, int] = Field({}, description="Ages typed in words (fourteen) -> the number")
    coming_before: tuple[str, ...] = Field((), description="Words just before an age saying it is still to "
                                                          "come (turning 16): the person is a year younger")
    coming_after: tuple[str, ...] = Field((), description="Words just after an age saying it is still to "
                                                         "come (16 next month)")
    pointing: tuple[str, ...] = Field((), description="Pointing at a sign of a list question: a yes")
    qualifiers: tuple[str, ...] = Field((), description="Words that only qualify an answer (just, tiny, at "
                                                        "night): a hedge with no other word is not sure")
    conditions: tuple[str, ...] = Field((), description="Words that start saying when an answer holds "
                                                        "(when, if): 'a bit when I cough' is not sure")
    limits: tuple[str, ...] = Field((), description="Words that, opening a reply with a condition or "
                                                    "qualifier after them, say when the sign is there "
                                                    "(only, mostly): 'only at night' is not sure")
    past: tuple[str, ...] = Field((), description="Phrases saying when something happened ({n} years ago, "
                                                  "as a child; {n} is a number, {year} a year): not sure")
    complaint: tuple[str, ...] = Field((), description="Words of what the bot is for (back, pain, calves): "
                                                       "a reply of these alone names no sign of a question")
    cleared: tuple[str, ...] = Field((), description="Phrases saying a professional gave the go-ahead "
                                                     "(said exercise is fine, cleared me): with a word for "
                                                     "one, a clear yes to a strict question")
    not_cleared: tuple[str, ...] = Field((), description="Phrases that hold a yes to a strict question back "
                                                         "(but, for now, avoid, an appointment)")
    regrets: tuple[str, ...] = Field((), description="Words of regret (unfortunately, leider): a yes to a "
                                                     "symptom, never to a strict question")
    professionals: tuple[str, ...] = Field((), description="Words for a doctor or physiotherapist: a "
                                                           "go-ahead must name one")
    outgrown: tuple[str, ...] = Field((), description="Words just after a denied age saying it is past (not "
                                                      "15 anymore): no age")
    corrections: tuple[str, ...] = Field((), description="Taking back an earlier answer")
    topics: dict[str, tuple[str, ...]] = Field({}, description="Red-flag id -> words that name its "
                                                               "question in a correction (yes to the bladder "
                                                               "one)")
    first: tuple[str, ...] = Field((), description="Words naming the first question in a correction")
    units: tuple[str, ...] = Field(min_length=1, description="Words for centimetres after a number")
    at: tuple[str, ...] = Field((), description="Words before a time (at, a las, um)")
    hours: tuple[str, ...] = Field((), description="Words after an hour (Uhr, h, horas)")
    morning: tuple[str, ...] = Field((), description="Words after a 12-hour time before noon (am)")
    afternoon: tuple[str, ...] = Field((), description="Words after a 12-hour time from noon (pm)")
    cities: dict[str, str] = Field({}, description="Places (not zone names) to their IANA time zone")


class QuestionRules(RootModel[dict[str, dict[Literal["hidden_conditions"], list[str]]]]):
    """Per language, phrases that make one red-flag sign depend on another (question-rules.yaml)."""


def flow_json_schema() -> dict:
    """The JSON Schema of flow files, for editors."""
    schema = Flow.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Backline flow"
    return schema


@dataclass
class FlowSet:
    """Everything the engine needs: flows by id, texts by locale, the red-flag table, and where each came
    from."""

    clinical: Clinical
    alerts: Alerts | None = None
    alerts_source: Source | None = None
    flows: dict[str, Flow] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    text_sources: dict[str, Source] = field(default_factory=dict)
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)
    vocabulary_sources: dict[str, Source] = field(default_factory=dict)
    question_rules: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    rules_source: Source | None = None
    replies: dict[str, "Replies"] = field(default_factory=dict)
    replies_sources: dict[str, Source] = field(default_factory=dict)
    reviews: dict[str, "Reviewed"] = field(default_factory=dict)
