"""Pain (0-10 numeric rating scale) and the Patient-Specific Functional Scale, as plain data. Pure.

The baseline and weekly flows end in actions whose data holds `pain`, `activity_<n>` (the activity's
name, baseline only) and `activity_<n>_score`; `from_answers` reads them into readings. `History` is
everything the planner (`adapt`), the review (`review`), the chart and the exports need about a person.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import fmean
from typing import Any, Literal

SLOTS = (1, 2, 3)
NAME_LENGTH = 80
DONE = ("done", "too_easy", "too_hard")  # check-ins that say the day's routine was done
Measure = Literal["pain", "activity"]


@dataclass(frozen=True)
class Reading:
    """One number from 0 to 10: pain, or the score of activity `slot`. `day` is the plan day (0: baseline)."""

    at: datetime
    day: int
    measure: Measure
    value: float
    slot: int | None = None


@dataclass(frozen=True)
class Recorded:
    """What one baseline or weekly check reported."""

    readings: tuple[Reading, ...]
    activities: dict[int, str] = field(default_factory=dict)
    knee_to_wall_cm: float | None = None


def activity_answers(activities: Mapping[int, str]) -> dict[str, str | None]:
    """The answers to start the weekly flow with (Interrupt answers): the stored activities' names, and
    None for every missing name and every earlier score, so that nothing from last week stands."""
    out: dict[str, str | None] = {}
    for slot in SLOTS:
        out[f"activity_{slot}"] = activities.get(slot) or None
        out[f"activity_{slot}_score"] = None
    return out


def from_answers(data: Mapping[str, Any], at: datetime, day: int) -> Recorded:
    """The readings (and, at the baseline, the activities) in a record_baseline or record_week action's
    data."""
    readings: list[Reading] = []
    if _number(data.get("pain")) is not None:
        readings.append(Reading(at, day, "pain", _number(data["pain"])))
    activities: dict[int, str] = {}
    for slot in SLOTS:
        name, score = data.get(f"activity_{slot}"), _number(data.get(f"activity_{slot}_score"))
        if isinstance(name, str) and name.strip():
            activities[slot] = " ".join(name.split())[:NAME_LENGTH]
        if score is not None:
            readings.append(Reading(at, day, "activity", score, slot))
    return Recorded(tuple(readings), activities, _number(data.get("knee_to_wall_cm")))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class History:
    """A person's plan so far: `start` is the local date of plan day 1; `checkins` maps each plan day sent to
    its check-in (None: not answered); `measurements` are knee-to-wall distances (cm) with when they were
    taken."""

    start: date
    checkins: Mapping[int, str | None] = field(default_factory=dict)
    readings: tuple[Reading, ...] = ()
    measurements: tuple[tuple[datetime, float], ...] = ()
    activities: Mapping[int, str] = field(default_factory=dict)

    def pain(self, before_day: int | None = None) -> list[Reading]:
        """Pain readings in order, those of days before `before_day` only if given."""
        return [r for r in self._ordered()
                if r.measure == "pain" and (before_day is None or r.day < before_day)]

    def baseline_pain(self) -> float | None:
        first = self.pain()
        return first[0].value if first else None

    def activity(self, slot: int) -> list[Reading]:
        return [r for r in self._ordered() if r.measure == "activity" and r.slot == slot]

    def function(self) -> list[tuple[datetime, int, float]]:
        """(when, day, average of the activities rated) for each check that rated at least one activity."""
        sittings: dict[int, list[Reading]] = {}
        for r in self._ordered():
            if r.measure == "activity":
                sittings.setdefault(r.day, []).append(r)
        return [(rs[0].at, day, fmean(r.value for r in rs)) for day, rs in sittings.items()]

    def adherence(self) -> tuple[int, int]:
        """(days done, days sent)."""
        return sum(1 for c in self.checkins.values() if c in DONE), len(self.checkins)

    def _ordered(self) -> list[Reading]:
        return sorted(self.readings, key=lambda r: (r.day, r.at, r.slot or 0))


def history(record: Mapping[str, Any]) -> History:
    """The scores history of a person record (the planner's, the review's and the charts' input)."""
    deliveries = sorted(record.get("deliveries") or [], key=lambda d: d["day"])
    enrolment = record.get("enrolment") or {}
    start = deliveries[0]["local_date"] if deliveries else (enrolment.get("updated_at")
                                                            or record["person"]["created_at"]).date()
    checkins = {d["day"]: d.get("checkin") for d in deliveries if d.get("status") == "sent"}
    readings = tuple(Reading(s["at"], s["day"], s["measure"], s["value"], s.get("slot"))
                     for s in record.get("scores") or [])
    measurements = tuple(sorted((m["at"], m["cm"]) for m in record.get("measurements") or []))
    activities = {a["slot"]: a["name"] for a in record.get("activities") or []}
    return History(start, checkins, readings, measurements, activities)
