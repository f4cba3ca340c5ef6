"""The day planner: which exercises and tips a person gets on a given day, and the message text.

Pure: no clock, no I/O. Days 1..42 are the six weeks; later days get the weekly maintenance message.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.coaching.content import DAYS, DAYS_PER_WEEK, VARIANTS, WEEKS, Adjustment, Condition, Plan, Variant

Profile = Mapping[str, Any]
"""The calf-check answers as the triage flow stores them; any key may be missing."""


@dataclass(frozen=True)
class Step:
    """One exercise as shown to the person."""

    name: str
    dose: str
    why: str
    focus: tuple[str, ...]
    minutes: float


@dataclass(frozen=True)
class DayPlan:
    """Everything one day's message says."""

    day: int
    week: int
    title: str
    note: str | None
    exercises: tuple[Step, ...]
    habits: tuple[str, ...]
    checklist: tuple[str, ...]
    measure: bool
    maintenance: bool
    measure_prompt: str
    safety: str


def day_plan(plan: Plan, day: int, profile: Profile, variant: str = "standard", week: int | None = None,
             variant_note: bool = False) -> DayPlan:
    """The plan for `day` (1-based); days after the six weeks give the maintenance message.

    `variant` (standard, easier, harder) and `week` (the week whose content to show; default the day's
    own) come from the adaptive planner (`adapt.decide`); `variant_note` shows why the variant changed.
    """
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    if day > DAYS:
        return _maintenance_day(plan, day)
    return _programme_day(plan, day, profile, variant, week, variant_note)


def render(day: DayPlan) -> str:
    """The Telegram message: plain text, a few short lines."""
    lines = [day.title, *([day.note] if day.note else [])]
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


def _programme_day(plan: Plan, day: int, profile: Profile, variant: str, week_number: int | None,
                   variant_note: bool) -> DayPlan:
    number, weekday = divmod(day - 1, DAYS_PER_WEEK)
    week = plan.weeks[(week_number - 1) if week_number else number]
    active = [a for a in plan.adjustments.values() if applies(a, week.week, profile)]
    ids = week.exercise_ids(weekday + 1 in week.mobility_days, active)
    changes = getattr(plan.variants, variant, None)
    steps = _steps(plan, ids) if changes is None else _varied(plan, ids, changes)
    habits = [week.habits[weekday % len(week.habits)], *(h for a in active for h in a.add_habits)]
    label = f" ({changes.label})" if changes else ""
    note = changes.note if changes and variant_note else week.note if weekday == 0 and week.week == number + 1 \
        else None
    return DayPlan(
        day=day, week=week.week,
        title=_title(f"Day {day} of {DAYS} · Week {week.week}{label}: {week.theme}", steps),
        note=note, exercises=steps, habits=_tips(plan, habits), checklist=(),
        measure=day % plan.measure_every == 0, maintenance=False,
        measure_prompt=plan.measure_prompt, safety=plan.safety,
    )


def _maintenance_day(plan: Plan, day: int) -> DayPlan:
    extra = (day - DAYS - 1) // DAYS_PER_WEEK
    week, m = WEEKS + 1 + extra, plan.maintenance
    steps = _steps(plan, m.exercises)
    return DayPlan(
        day=day, week=week, title=_title(f"Week {week} · Maintenance: {m.theme}", steps),
        note=None, exercises=steps, habits=_tips(plan, [m.habits[extra % len(m.habits)]]), checklist=m.checklist,
        measure=m.measure, maintenance=True, measure_prompt=plan.measure_prompt, safety=plan.safety,
    )


def _varied(plan: Plan, ids: Iterable[str], variant: Variant) -> tuple[Step, ...]:
    """The day's exercises in a variant: swapped, at most `max_exercises`, with the variant's doses."""
    swapped = list(dict.fromkeys(variant.swaps.get(i, i) for i in ids))[:variant.max_exercises]
    return tuple(Step(e.name, variant.doses.get(i, e.dose), e.why, e.focus, e.minutes)
                 for i, e in ((i, plan.exercises[i]) for i in swapped))


def _steps(plan: Plan, ids: Iterable[str]) -> tuple[Step, ...]:
    return tuple(Step(e.name, e.dose, e.why, e.focus, e.minutes) for e in (plan.exercises[i] for i in ids))


def _title(heading: str, steps: tuple[Step, ...]) -> str:
    return f"{heading} (about {round(sum(s.minutes for s in steps))} min)"


def _tips(plan: Plan, habit_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(plan.habits[h] for h in dict.fromkeys(habit_ids))
