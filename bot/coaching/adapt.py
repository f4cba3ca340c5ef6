"""The adaptive planner: from a person's history and a plan day, which variant of which week to send, and
whether to screen first or nudge. Pure: plain data in, a Decision out; the rules are `adapt` in plan.yaml.

The decision for day d uses what was known before d (check-ins of days < d, scores of days < d), so it
can be made when day d falls due. It replays the plan from day 1, because the week shown and a chosen
harder variant carry over from day to day.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.coaching.content import DAYS, DAYS_PER_WEEK, WEEKS, Plan
from bot.coaching.scores import DONE, History


@dataclass(frozen=True)
class Decision:
    """What plan day `day` sends.

    `week` is the week whose content to show (it stays behind the calendar while the easier rule holds);
    `variant` is standard, easier or harder; `variant_note` says the variant is new today; `screen_first`:
    run the red-flag screen before the day's message, and send it only if the screen is clear; `nudge`:
    run the nudge flow; `checkins`: the day's check-in buttons; `reasons`: the rules that applied.
    """

    day: int
    week: int
    variant: str = "standard"
    variant_note: bool = False
    screen_first: bool = False
    nudge: bool = False
    offer_harder: bool = False
    checkins: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def decide(plan: Plan, history: History, day: int) -> Decision:
    """The decision for plan day `day` (1-based); after the six weeks only the nudge adapts."""
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    week, chosen, previous = 1, False, "standard"
    decision = Decision(1, 1)
    for t in range(1, min(day, DAYS) + 1):
        easier = _easier(plan, history, t)
        if t > 1 and (t - 1) % DAYS_PER_WEEK == 0 and not easier:
            week = min(week + 1, WEEKS)  # held back while the easier rule holds at a week's start
        answer = history.checkins.get(t - 1)
        if answer in ("too_easy", "too_hard") or easier:
            chosen = answer == "too_easy" and not easier
        offer = not easier and not chosen and _harder_offered(plan, history, t)
        variant = "easier" if easier else "harder" if chosen else "standard"
        reasons = (*easier, *(("chose_harder",) if chosen else ()), *(("all_done",) if offer else ()))
        decision = Decision(t, week, variant, variant != previous and variant != "standard",
                            "pain_rise" in easier and "pain_rise" not in _easier(plan, history, t - 1),
                            False, offer, _checkins(plan, variant, offer), reasons)
        previous = variant
    if day > DAYS:
        decision = Decision(day, WEEKS + 1 + (day - DAYS - 1) // DAYS_PER_WEEK,
                            checkins=plan.adapt.checkins.standard)
    if _nudged(plan, history, day):
        decision = Decision(**{**decision.__dict__, "nudge": True, "reasons": (*decision.reasons, "missed")})
    return decision


def _easier(plan: Plan, history: History, day: int) -> tuple[str, ...]:
    """Why the easier rule holds on `day` (empty if it does not)."""
    if day < 1:
        return ()
    rule, out = plan.adapt.easier, []
    pain, baseline = history.pain(before_day=day), history.baseline_pain()
    if len(pain) > 1 and baseline is not None and pain[-1].value - baseline >= rule.pain_rise:
        out.append("pain_rise")
    window = range(max(1, day - plan.adapt.window), day)
    if sum(history.checkins.get(d) == "worse" for d in window) >= rule.worse_checkins:
        out.append("worse_checkins")
    return tuple(out)


def _harder_offered(plan: Plan, history: History, day: int) -> bool:
    """Every one of the last `done_days` days done, and pain no worse than the baseline."""
    days = range(day - plan.adapt.harder.done_days, day)
    if days.start < 1 or not all(history.checkins.get(d) in DONE for d in days):
        return False
    pain, baseline = history.pain(before_day=day), history.baseline_pain()
    return not pain or baseline is None or pain[-1].value <= baseline


def _nudged(plan: Plan, history: History, day: int) -> bool:
    """The last `missed_days` days were sent and not checked in, and the day before them was not missed
    (so a run of missed days is nudged once)."""
    n = plan.adapt.nudge.missed_days
    missed = [d in history.checkins and history.checkins[d] is None for d in range(day - n - 1, day)]
    return day - n >= 1 and all(missed[1:]) and not missed[0]


def _checkins(plan: Plan, variant: str, offer: bool) -> tuple[str, ...]:
    buttons = plan.adapt.checkins
    return buttons.offer_harder if offer else getattr(buttons, variant)
