"""The day planner: which exercises and tips a person gets on a given day, and the message text.

Pure: no clock, no I/O. Days 1..42 are the six weeks; later days get the weekly maintenance message.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.coaching.content import (DAYS, DAYS_PER_WEEK, VARIANTS, WEEKS, Adjustment, Condition, Format, Plan,
                                  PlanTexts, Variant)

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
    format: Format


def day_plan(plan: Plan, day: int, profile: Profile, locale: str | None = "en", variant: str = "standard",
             week: int | None = None, variant_note: bool = False) -> DayPlan:
    """The plan for `day` (1-based) in `locale`; days after the six weeks give the maintenance message.

    `variant` (standard, easier, harder) and `week` (the week whose content to show; default the day's
    own) come from the adaptive planner (`adapt.decide`); `variant_note` shows why the variant changed.
    """
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    words = plan.words(locale)
    if day > DAYS:
        return _maintenance_day(plan, words, day)
    return _programme_day(plan, words, day, profile, variant, week, variant_note)


def render(day: DayPlan) -> str:
    """The Telegram message: plain text, a few short lines, put together as the locale's `format` says."""
    f = day.format
    lines = [day.title, *([day.note] if day.note else [])]
    lines += [f.step.format(name=s.name, dose=s.dose.rstrip("."), why=s.why) for s in day.exercises]
    if day.checklist:
        lines.append(f.this_week.format(items=f.separator.join(day.checklist)))
    lines += [f.tip.format(tip=tip) for tip in day.habits]
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


def _programme_day(plan: Plan, words: PlanTexts, day: int, profile: Profile, variant: str = "standard",
                   week_number: int | None = None, variant_note: bool = False) -> DayPlan:
    number, weekday = divmod(day - 1, DAYS_PER_WEEK)
    week = plan.weeks[(week_number - 1) if week_number else number]
    text = words.weeks[week.week]
    active = [a for a in plan.adjustments.values() if applies(a, week.week, profile)]
    ids = week.exercise_ids(weekday + 1 in week.mobility_days, active)
    changes = getattr(plan.variants, variant, None)
    said = getattr(words.variants, variant, None)
    steps = _steps(plan, words, ids) if changes is None else _varied(plan, words, ids, changes, said.doses)
    habits = [week.habits[weekday % len(week.habits)], *(h for a in active for h in a.add_habits)]
    theme = f"{text.theme} ({said.label})" if changes else text.theme
    heading = words.format.day_title.format(day=day, days=DAYS, week=week.week, theme=theme)
    note = said.note if changes and variant_note else text.note if weekday == 0 and week.week == number + 1 \
        else None
    return DayPlan(
        day=day, week=week.week, title=_title(words, heading, steps),
        note=note, exercises=steps, habits=_tips(words, habits), checklist=(),
        measure=day % plan.measure_every == 0, maintenance=False,
        measure_prompt=words.measure_prompt, safety=words.safety, format=words.format,
    )


def _maintenance_day(plan: Plan, words: PlanTexts, day: int) -> DayPlan:
    extra = (day - DAYS - 1) // DAYS_PER_WEEK
    week, m = WEEKS + 1 + extra, plan.maintenance
    steps = _steps(plan, words, m.exercises)
    heading = words.format.maintenance_title.format(week=week, theme=words.maintenance.theme)
    return DayPlan(
        day=day, week=week, title=_title(words, heading, steps), note=None, exercises=steps,
        habits=_tips(words, [m.habits[extra % len(m.habits)]]), checklist=words.maintenance.checklist,
        measure=m.measure, maintenance=True, measure_prompt=words.measure_prompt, safety=words.safety,
        format=words.format,
    )


def _varied(plan: Plan, words: PlanTexts, ids: Iterable[str], variant: Variant,
            doses: dict[str, str]) -> tuple[Step, ...]:
    """The day's exercises in a variant: swapped, at most `max_exercises`, with the variant's doses."""
    swapped = list(dict.fromkeys(variant.swaps.get(i, i) for i in ids))[:variant.max_exercises]
    return tuple(Step(words.exercises[i].name, doses.get(i, words.exercises[i].dose), words.exercises[i].why,
                      plan.exercises[i].focus, plan.exercises[i].minutes) for i in swapped)


def _steps(plan: Plan, words: PlanTexts, ids: Iterable[str]) -> tuple[Step, ...]:
    return tuple(Step(words.exercises[i].name, words.exercises[i].dose, words.exercises[i].why,
                      plan.exercises[i].focus, plan.exercises[i].minutes) for i in ids)


def _title(words: PlanTexts, heading: str, steps: tuple[Step, ...]) -> str:
    return words.format.minutes.format(heading=heading, minutes=round(sum(s.minutes for s in steps)))


def _tips(words: PlanTexts, habit_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(words.habits[h] for h in dict.fromkeys(habit_ids))
