"""The adaptive planner day by day, with a simulated clock: pain rising, every day done, missed days."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.coaching import load_plan
from bot.coaching.adapt import decide
from bot.coaching.plan import day_plan, render
from bot.coaching.scores import History, Reading

START = date(2027, 3, 1)
PLAN = load_plan()


class Person:
    """Lives through the plan one day at a time: each day's decision is made when it falls due, from
    what happened before, then the day's check-in (and a measuring day's scores) are added."""

    def __init__(self, baseline_pain: float = 5):
        self.checkins: dict[int, str | None] = {}
        self.readings = [Reading(self.clock(0), 0, "pain", baseline_pain)]
        self.decisions = {}

    @staticmethod
    def clock(day: int) -> datetime:
        midnight = datetime.combine(START + timedelta(days=day - 1), datetime.min.time(), timezone.utc)
        return midnight + timedelta(hours=8)

    def history(self) -> History:
        return History(START, dict(self.checkins), tuple(self.readings))

    def live(self, day: int, checkin: str | None, pain: float | None = None):
        decision = decide(PLAN, self.history(), day)
        self.decisions[day] = decision
        self.checkins[day] = checkin
        if pain is not None:
            self.readings.append(Reading(self.clock(day), day, "pain", pain))
        return decision


def test_a_steady_plan_moves_on_week_by_week_with_the_usual_buttons():
    person = Person()
    for day in range(1, 43):
        person.live(day, "skipped" if day % 2 else "done", pain=5 if day % 7 == 0 else None)
    weeks = [person.decisions[d].week for d in (1, 7, 8, 15, 22, 29, 36, 42)]
    assert weeks == [1, 1, 2, 3, 4, 5, 6, 6]
    assert all(d.variant == "standard" and not d.screen_first and not d.nudge
               for d in person.decisions.values())
    assert person.decisions[10].checkins == ("done", "skipped", "worse", "symptom")


def test_pain_up_two_points_screens_first_then_holds_the_week_easier():
    person = Person(baseline_pain=4)
    for day in range(1, 14):
        person.live(day, "done", pain=6 if day == 7 else None)  # measuring day 7: up 2 from the baseline
    day8, day9 = person.decisions[8], person.decisions[9]
    assert (day8.variant, day8.screen_first, day8.variant_note, day8.week) == ("easier", True, True, 1)
    assert "pain_rise" in day8.reasons and day8.checkins == ("done", "skipped", "worse", "symptom")
    assert (day9.variant, day9.screen_first, day9.variant_note, day9.week) == ("easier", False, False, 1)
    person.live(14, "done", pain=4)  # back to the baseline on day 14
    day15 = person.live(15, "done")
    assert (day15.variant, day15.week) == ("standard", 2)  # moves on one week, not straight to week 3


def test_pain_up_only_one_point_changes_nothing():
    person = Person(baseline_pain=4)
    for day in range(1, 9):
        person.live(day, "skipped", pain=5 if day == 7 else None)
    assert person.decisions[8].variant == "standard" and person.decisions[8].week == 2


def test_pain_is_worse_twice_in_seven_days_gives_the_easier_variant_without_a_second_screen():
    person = Person()
    for day, checkin in zip(range(1, 6), ["done", "worse", "done", "worse", "done"]):
        person.live(day, checkin)
    assert person.decisions[4].variant == "standard"  # one "worse" so far
    day5 = person.decisions[5]
    assert day5.variant == "easier" and day5.reasons == ("worse_checkins",) and not day5.screen_first
    for day in range(6, 13):
        person.live(day, "done")
    assert person.decisions[8].week == 1  # still easier at the week's start: the week is held
    assert person.decisions[12].variant == "standard"  # day 4 has left the 7-day window
    assert person.decisions[12].week == 1


def test_every_day_done_offers_too_easy_and_a_tap_brings_the_harder_variant():
    person = Person(baseline_pain=5)
    for day in range(1, 8):
        person.live(day, "done", pain=4 if day == 7 else None)
    offer = person.live(8, "too_easy")
    assert offer.offer_harder and offer.variant == "standard"
    assert offer.checkins == ("done", "too_easy", "skipped", "worse", "symptom") and len(offer.checkins) <= 5
    harder = person.live(9, "done")
    assert (harder.variant, harder.variant_note, harder.week) == ("harder", True, 2)
    assert harder.checkins == ("done", "too_hard", "skipped", "worse", "symptom")
    assert person.live(10, "too_hard").variant == "harder"
    assert person.live(11, "done").variant == "standard"


def test_no_harder_offer_when_a_day_was_missed_or_pain_is_above_the_baseline():
    person = Person(baseline_pain=3)
    for day in range(1, 8):
        person.live(day, None if day == 3 else "done")
    assert not person.live(8, "done").offer_harder
    person = Person(baseline_pain=3)
    for day in range(1, 8):
        person.live(day, "done", pain=4 if day == 7 else None)
    assert not person.live(8, "done").offer_harder


def test_easier_overrides_a_chosen_harder_variant():
    person = Person(baseline_pain=2)
    for day in range(1, 8):
        person.live(day, "done")
    person.live(8, "too_easy")
    assert person.live(9, "worse").variant == "harder"
    assert person.live(10, "worse").variant == "harder"
    after = person.live(11, "done")
    assert after.variant == "easier" and after.variant_note
    person.live(12, "done")
    assert person.decisions[12].variant == "easier"


def test_three_missed_days_in_a_row_nudge_once():
    person = Person()
    checkins = ["done", None, None, None, None, None, "done", None, None, None, None]
    for day, checkin in zip(range(1, 12), checkins):
        person.live(day, checkin)
    nudged = [d for d, decision in person.decisions.items() if decision.nudge]
    assert nudged == [5, 11]  # after days 2-4 and after days 8-10; not again on day 6
    assert "missed" in person.decisions[5].reasons


def test_days_not_sent_are_not_missed():
    history = History(START, {1: "done", 2: None, 3: None})  # paused after day 3: days 4 and 5 never sent
    assert not decide(PLAN, history, 4).nudge
    assert decide(PLAN, History(START, {1: None, 2: None, 3: None}), 4).nudge


def test_the_decision_renders_the_variant_of_the_held_week():
    person = Person(baseline_pain=4)
    for day in range(1, 9):
        person.live(day, "done", pain=7 if day == 7 else None)
    decision = person.decisions[8]
    text = render(day_plan(PLAN, 8, {}, "en", decision.variant, decision.week, decision.variant_note))
    assert text.startswith("Day 8 of 42 · Week 1: Release and stretch the calves (gentler)")
    assert "30 s per calf, light pressure" in text and PLAN.words("en").variants.easier.note in text
    assert len(day_plan(PLAN, 8, {}, "en", "easier", 1).exercises) <= PLAN.variants.easier.max_exercises


def test_after_the_six_weeks_only_the_nudge_adapts():
    history = History(START, {d: "worse" for d in range(1, 43)})
    decision = decide(PLAN, history, 49)
    assert (decision.week, decision.variant) == (7, "standard")


def test_the_first_day_decides_standard_week_one():
    decision = decide(PLAN, History(START), 1)
    assert (decision.day, decision.week, decision.variant, decision.nudge) == (1, 1, "standard", False)
    with pytest.raises(ValueError):
        decide(PLAN, History(START), 0)
