"""The adaptive planner: from what a person did and scored, which variant of which week a plan day sends,
and whether to screen first or nudge. Pure: plain data in, a Decision out; the rules are `adapt` in
plan.yaml.

A day's decision needs only the `Carry`, a small state kept on the enrolment and brought up to date as days
are sent (`sent`) and check-ins and scores are recorded (`checked_in`, `scored`), so that deciding costs the
same on day 40 as on day 1. The decision for day d uses what was known before d (check-ins of days < d,
scores of days < d). `decide` replays a whole History through the same steps (tests, tools).
"""
from __future__ import annotations

from typing import Any, NamedTuple

from bot.coaching.content import DAYS, DAYS_PER_WEEK, WEEKS, Plan
from bot.coaching.scores import DONE, History


class Decision(NamedTuple):
    """What plan day `day` sends (a tuple, like Carry: a batch of due days makes thousands of each).

    `week` is the week whose content to show (it stays behind the calendar while the easier rule holds);
    `variant` is standard, easier or harder; `variant_note` says the variant is new today; `screen_first`:
    the pain rule has just begun to hold, so the red-flag screen runs before the easier variant is sent;
    `nudge`: the nudge flow's question goes with the day; `checkins`: the day's check-in buttons;
    `reasons`: the rules that applied.
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


class Carry(NamedTuple):
    """What the planner carries from day to day: the last day decided, its week and variant, whether the
    pain rule held then, the baseline and latest pain, and the last days sent with their check-ins (None:
    not answered). Stored as `to_dict()`."""

    day: int = 0
    week: int = 1
    variant: str = "standard"
    rise: bool = False
    baseline: float | None = None
    pain: float | None = None
    sent: tuple[tuple[int, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day, "week": self.week, "variant": self.variant, "rise": self.rise,
                "baseline": self.baseline, "pain": self.pain, "sent": [list(s) for s in self.sent]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Carry:
        if not data:
            return cls()
        return cls(data["day"], data["week"], data["variant"], data["rise"], data["baseline"], data["pain"],
                   tuple([tuple(s) for s in data["sent"]]))


def plan_day(plan: Plan, carry: Carry, day: int) -> tuple[Decision, Carry]:
    """The decision for plan day `day` (1-based) and the carry after it. Days since the last one decided
    that were never sent are decided on the way (the week moves on through them); after the six weeks
    only the nudge adapts."""
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    checkins = dict(carry.sent)
    week, variant, rise = carry.week, carry.variant, carry.rise
    nudge = _nudged(plan, checkins, day)
    missed = ("missed",) if nudge else ()
    for t in range(min(carry.day, day - 1) + 1, min(day, DAYS) + 1):
        easier = _easier(plan, carry, checkins, t)
        if t > 1 and (t - 1) % DAYS_PER_WEEK == 0 and not easier:
            week = min(week + 1, WEEKS)  # held back while the easier rule holds at a week's start
        answer, chosen = checkins.get(t - 1), variant == "harder"
        if answer in ("too_easy", "too_hard") or easier:
            chosen = answer == "too_easy" and not easier
        offer = not easier and not chosen and _harder_offered(plan, carry, checkins, t)
        today = "easier" if easier else "harder" if chosen else "standard"
        if t == day:  # the days decided on the way only move the week, variant and rise on
            reasons = (*easier, *(("chose_harder",) if chosen else ()), *(("all_done",) if offer else ()),
                       *missed)
            decision = Decision(t, week, today, today != variant and today != "standard",
                                "pain_rise" in easier and not rise, nudge, offer,
                                _checkins(plan, today, offer), reasons)
        variant, rise = today, "pain_rise" in easier
    if day > DAYS:
        decision = Decision(day, WEEKS + 1 + (day - DAYS - 1) // DAYS_PER_WEEK, nudge=nudge,
                            checkins=plan.adapt.checkins.standard, reasons=missed)
    return decision, Carry(max(carry.day, day), week, variant, rise, carry.baseline, carry.pain, carry.sent)


def sent(plan: Plan, carry: Carry, day: int) -> Carry:
    """Day `day` was sent, not answered yet; days too old for any rule are forgotten."""
    keep = day - max(plan.adapt.window, plan.adapt.nudge.missed_days + 1)
    days = (*[s for s in carry.sent if keep <= s[0] < day], (day, None))
    return Carry(carry.day, carry.week, carry.variant, carry.rise, carry.baseline, carry.pain, days)


def checked_in(carry: Carry, day: int, answer: str) -> Carry:
    """The check-in of a day sent (a day no longer carried changes nothing)."""
    return carry._replace(sent=tuple((d, answer if d == day else c) for d, c in carry.sent))


def scored(carry: Carry, pain: float) -> Carry:
    """A pain score: the first is the baseline, later ones the latest pain."""
    if carry.baseline is None:
        return carry._replace(baseline=pain)
    return carry._replace(pain=pain)


def decide(plan: Plan, history: History, day: int) -> Decision:
    """The decision for plan day `day`, replaying `history` day by day through the carry."""
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    carry, pain = Carry(), history.pain()
    for t in range(1, day + 1):
        while pain and pain[0].day < t:
            carry = scored(carry, pain.pop(0).value)
        decision, carry = plan_day(plan, carry, t)
        if t in history.checkins:
            carry = sent(plan, carry, t)
            if history.checkins[t] is not None:
                carry = checked_in(carry, t, history.checkins[t])
    return decision


def _easier(plan: Plan, carry: Carry, checkins: dict[int, str | None], day: int) -> tuple[str, ...]:
    """Why the easier rule holds on `day` (empty if it does not)."""
    rule, out = plan.adapt.easier, []
    if None not in (carry.pain, carry.baseline) and carry.pain - carry.baseline >= rule.pain_rise:
        out.append("pain_rise")
    if "worse" in checkins.values():  # mostly not: counted only then
        start = max(1, day - plan.adapt.window)
        if sum(1 for d, c in checkins.items() if c == "worse" and start <= d < day) >= rule.worse_checkins:
            out.append("worse_checkins")
    return tuple(out)


def _harder_offered(plan: Plan, carry: Carry, checkins: dict[int, str | None], day: int) -> bool:
    """Every one of the last `done_days` days done, and pain no worse than the baseline."""
    days = range(day - plan.adapt.harder.done_days, day)
    if days.start < 1 or not all(checkins.get(d) in DONE for d in days):
        return False
    return carry.pain is None or carry.baseline is None or carry.pain <= carry.baseline


def _nudged(plan: Plan, checkins: dict[int, str | None], day: int) -> bool:
    """The last `missed_days` days were sent and not checked in, and the day before them was not missed
    (so a run of missed days is nudged once)."""
    n = plan.adapt.nudge.missed_days
    if day - n < 1 or checkins.get(day - n - 1, "") is None or None not in checkins.values():
        return False
    return all(checkins.get(d, "") is None for d in range(day - n, day))


def _checkins(plan: Plan, variant: str, offer: bool) -> tuple[str, ...]:
    buttons = plan.adapt.checkins
    return buttons.offer_harder if offer else getattr(buttons, variant)
