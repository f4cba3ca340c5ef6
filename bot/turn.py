"""A step's view of one person: their data, loaded before the step, and what the step changes, as data.

The step reads only what is here and records its changes as effects (`Turn.do`); storage loads a Turn
(bot/storage/turns.py) and applies its effects in the same transaction. Nothing here touches a database.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

from bot.engine.progress import Progress


@dataclass
class Person:
    """A person's row: who they are on which channel, and their conversation progress."""

    id: int
    channel: str
    external_id: str
    progress: Progress
    stopped: str | None


@dataclass(frozen=True)
class Enrolment:
    """A person's coaching plan: its status, when and where days are sent, and where the plan stands."""

    person_id: int
    status: str
    delivery_time: str | None = None
    time_zone: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    next_day: int | None = None
    next_due: datetime | None = None
    rescreened_at: datetime | None = None
    carry: dict[str, Any] = field(default_factory=dict)  # the adaptive planner's state (coaching/adapt.py)


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One plan day as recorded: queued, sent or skipped, when it fell due, and the check-in pressed."""

    day: int
    status: str
    due_at: datetime
    checkin: str | None = None


# Effects: what a step changes. Storage applies them in order, with no rules of its own.
@dataclass(frozen=True, slots=True)
class SaveProgress:
    progress: Progress


@dataclass(frozen=True, slots=True)
class SetStopped:
    reason: str | None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    outcome: str
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecordClearance:
    """The person said a professional has seen them since `after_outcome` and cleared exercise."""

    after_outcome: str


@dataclass(frozen=True, slots=True)
class Forget:
    """Erase the person, everything stored about them, and what was said to them."""


@dataclass(frozen=True, slots=True)
class SaveEnrolment:
    """Set these enrolment fields (creating the enrolment if there is none)."""

    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DropQueued:
    """Plan days queued and not sent yet are not sent: recorded as skipped."""


@dataclass(frozen=True, slots=True)
class RecordCheckin:
    day: int
    answer: str


@dataclass(frozen=True, slots=True)
class AddMeasurement:
    cm: float


@dataclass(frozen=True, slots=True)
class AddScores:
    """Scores ({at, day, measure, slot, value}) and, at the baseline, the activities they rate."""

    activities: dict[int, str]
    readings: tuple[dict[str, Any], ...]


Effect = (SaveProgress | SetStopped | RecordOutcome | RecordClearance | Forget | SaveEnrolment | DropQueued
          | RecordCheckin | AddMeasurement | AddScores)


@dataclass
class Turn:
    """One person at one instant: what the step may read, and the effects it has recorded so far.
    `record` (everything stored about them, bot/storage/records.py) is loaded only for steps that need it."""

    person: Person
    now: datetime
    enrolment: Enrolment | None = None
    days: dict[int, PlanDay] = field(default_factory=dict)
    activities: dict[int, str] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    effects: list[Effect] = field(default_factory=list)

    def do(self, *effects: Effect) -> None:
        """Record effects, and keep this view as the step will find it after them."""
        for effect in effects:
            self.effects.append(effect)
            match effect:
                case SaveProgress(progress):
                    self.person.progress = progress
                case SetStopped(reason):
                    self.person.stopped = reason
                case SaveEnrolment(values):
                    base = self.enrolment or Enrolment(self.person.id, values.get("status", "pending"))
                    self.enrolment = dataclasses.replace(base, **values)
                case AddScores(names):
                    self.activities = {**self.activities, **names}
                case RecordCheckin(day, answer) if day in self.days:
                    self.days[day] = dataclasses.replace(self.days[day], checkin=answer)
                case DropQueued():
                    self.days = {d: dataclasses.replace(p, status="skipped") if p.status == "queued" else p
                                 for d, p in self.days.items()}

    def sent(self, day: int) -> bool:
        return day in self.days and self.days[day].status == "sent"

    @property
    def last_delivered_at(self) -> datetime | None:
        """When the latest plan day that was sent (or is being sent) fell due."""
        return max((p.due_at for p in self.days.values() if p.status != "skipped"), default=None)

    @property
    def next_plan_day(self) -> int:
        """Where a (re-)enrolled person's plan carries on: after the last day already recorded."""
        return max(self.days, default=0) + 1


class Advance(NamedTuple):
    """What the plan makes of one due enrolment: days to record as skipped and the day to send, each
    (day, local date, due instant), where the schedule goes next, and the planner's state to keep
    (`carry`, stored as it is) with what it decided for the day sent (`decision`, handed on as it is).
    A tuple: a batch of due days makes one per person."""

    skipped: list[tuple[int, date, datetime]]
    send: tuple[int, date, datetime] | None
    next_day: int
    next_due: datetime
    carry: dict[str, Any] | None = None
    decision: Any = None


# The plan's rule for a due enrolment: (next day, next due, delivery time, zone, now, carry) -> Advance.
Planner = Callable[[int, datetime, str, str, datetime, dict[str, Any]], Advance]
