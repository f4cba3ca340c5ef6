"""The day planner: which exercises and tips a person gets on a given day, and the message text.

Pure: no clock, no I/O. Days 1..42 are the six weeks; later days get the weekly maintenance message.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.coaching.content import DAYS, DAYS_PER_WEEK, WEEKS, Adjustment, Condition, Plan

Profile = Mapping[str, Any]
"""The calf-check answers as the triage flow stores them; any key may be missing."""


@dataclass(frozen=True)
class Step:
    """One exercise as shown to the person."""

    name: str
    dose: str
    why: str
    focus: tuple[str, ...]


@dataclass(frozen=True)
class DayPlan:
    """Everything one day's message says."""

    day: int
    week: int
    title: str
    exercises: tuple[Step, ...]
    habits: tuple[str, ...]
    checklist: tuple[str, ...]
    measure: bool
    maintenance: bool
    measure_prompt: str
    safety: str


def day_plan(plan: Plan, day: int, profile: Profile) -> DayPlan:
    """The plan for `day` (1-based); days after the six weeks give the maintenance message."""
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    return _programme_day(plan, day, profile) if day <= DAYS else _maintenance_day(plan, day)


def render(day: DayPlan) -> str:
    """The Telegram message: plain text, a few short lines."""
    lines = [day.title]
    lines += [f"• {s.name}: {s.dose.rstrip('.')}. {s.why}" for s in day.exercises]
    if day.checklist:
        lines.append("This week: " + "; ".join(day.checklist) + ".")
    lines += [f"Tip: {tip}" for tip in day.habits]
    if day.measure:
        lines.append(day.measure_prompt)
    lines.append(day.safety)
    return "\n".join(lines)


def matches(condition: Condition, profile: Profile) -> bool:
    """Whether the person's answer meets the condition; a missing or odd answer never does."""
    value = profile.get(condition.answer)
    if condition.below is not None:
        return isinstance(value, int | float) and not isinstance(value, bool) and value < condition.below
    return isinstance(value, str) and value in (condition.in_ or ())


def applies(adjustment: Adjustment, week: int, profile: Profile) -> bool:
    """Whether the adjustment shapes this person's plan in `week`."""
    return week in adjustment.weeks and any(matches(c, profile) for c in adjustment.when)


def _programme_day(plan: Plan, day: int, profile: Profile) -> DayPlan:
    number, weekday = divmod(day - 1, DAYS_PER_WEEK)
    week = plan.weeks[number]
    active = [a for a in plan.adjustments.values() if applies(a, week.week, profile)]
    ids = week.exercise_ids(weekday + 1 in week.mobility_days, active)
    habits = [week.habits[weekday % len(week.habits)], *(h for a in active for h in a.add_habits)]
    return _day(plan, day, week.week, f"Day {day} of {DAYS} · Week {week.week}: {week.theme}", ids,
                habits, (), day % plan.measure_every == 0, maintenance=False)


def _maintenance_day(plan: Plan, day: int) -> DayPlan:
    extra = (day - DAYS - 1) // DAYS_PER_WEEK
    m = plan.maintenance
    return _day(plan, day, WEEKS + 1 + extra, f"Week {WEEKS + 1 + extra} · Maintenance: {m.theme}", m.exercises,
                [m.habits[extra % len(m.habits)]], m.checklist, m.measure, maintenance=True)


def _day(plan: Plan, day: int, week: int, heading: str, ids: list[str] | tuple[str, ...], habits: list[str],
         checklist: tuple[str, ...], measure: bool, maintenance: bool) -> DayPlan:
    exercises = [plan.exercises[i] for i in ids]
    minutes = round(sum(e.minutes for e in exercises))
    return DayPlan(
        day=day,
        week=week,
        title=f"{heading} (about {minutes} min)",
        exercises=tuple(Step(e.name, e.dose, e.why, e.focus) for e in exercises),
        habits=tuple(plan.habits[h] for h in dict.fromkeys(habits)),
        checklist=checklist,
        measure=measure,
        maintenance=maintenance,
        measure_prompt=plan.measure_prompt,
        safety=plan.safety,
    )
