"""The adaptive plan at delivery, day by day on the simulator's clock: what each plan day sends follows the
planner's decision (bot/coaching/adapt.py) from the carry kept on the enrolment."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.storage.tables import deliveries, enrolments
from tests.support.simulated import Person, day_message, delivered, keys, questions

START = "2027-03-01T07:00+00:00"  # a Monday; 08:00 in London is still ahead


@pytest.fixture
async def ann(backline):
    person = Person(backline, "ann", START)
    await person.enrol(pain="4")
    return person


async def live(person: Person, days: int, press: str | None = "done") -> list[dict]:
    """`days` plan days, each pressed `press` (None: not answered); what the last one sent."""
    for _ in range(days):
        out = await person.send(advance="1d")
        assert len(delivered(out)) == 1
        if press:
            await person.send(button=press, ref=day_message(out)["ref"])
    return out


async def all_clear(person: Person, out: list[dict]) -> list[dict]:
    """"No" to every question of the screen that `out` opened; what the last answer brought."""
    while questions(out) and questions(out)[-1]["screens"]:
        out = await person.send(button="no")
    return out


def buttons(message: dict) -> list[str]:
    return [b["id"] for b in message["buttons"]]


async def weekly(person: Person, pain: str, score: str = "5", cm: str = "9") -> list[dict]:
    """Day 7's check after "Done": pain, the activity, the distance; what the last answer brought."""
    for typed in (pain, score):
        await person.send(text=typed)
    return await person.send(text=cm)


async def test_pain_up_two_points_screens_first_then_the_week_is_held_easier(ann, store):
    out = await live(ann, 6)
    out = await ann.send(advance="1d")
    checked = await ann.send(button="done", ref=day_message(out)["ref"])
    assert keys(checked)[-1] == "scores.pain_week"
    out = await weekly(ann, pain="6")  # up 2 from the baseline of 4
    assert keys(out)[:3] == ["scores.week_thanks", "recheck.intro", "screen.cauda"], "the screen comes first"
    assert (await store.run(lambda c: c.execute(sa.select(enrolments.c.status)).scalar())) == "checking"
    assert delivered(await ann.send(advance="2h")) == [], "day 8 falls due, but not while the screen is open"
    assert "recheck.all_clear" in keys(await all_clear(ann, out))
    day8 = await ann.send(advance="1h")
    message = day_message(day8)
    assert delivered(day8) == [8]
    assert message["text"].startswith("Day 8 of 42 · Week 1: Release and stretch the calves (gentler)")
    assert "Your back has been more sore" in message["text"], "the variant is explained the first day"
    assert buttons(message) == ["done", "skipped", "worse", "symptom"]
    day9 = day_message(await live(ann, 1))
    assert "(gentler)" in day9["text"] and "Your back has been more sore" not in day9["text"]


async def test_pain_is_worse_twice_runs_the_screen_each_time_then_an_easier_day(ann):
    for _ in range(2):
        out = await ann.send(advance="1d")
        pressed = await ann.send(button="worse", ref=day_message(out)["ref"])
        assert keys(pressed)[:2] == ["recheck.intro", "screen.cauda"]
        assert "recheck.all_clear" in keys(await all_clear(ann, pressed))
    day3 = day_message(await ann.send(advance="1d"))
    assert day3["text"].startswith("Day 3 of 42 · Week 1: Release and stretch the calves (gentler)")


async def test_a_week_all_done_offers_too_easy_which_is_recorded_and_brings_the_harder_variant(ann, store):
    out = await live(ann, 6)
    out = await ann.send(advance="1d")
    await ann.send(button="done", ref=day_message(out)["ref"])
    await weekly(ann, pain="4")  # no worse than the baseline
    day8 = day_message(await ann.send(advance="1d"))
    assert buttons(day8) == ["done", "too_easy", "skipped", "worse", "symptom"], "at most five"
    thanks = await ann.send(button="too_easy", ref=day8["ref"])
    assert "checkin.thanks_too_easy" in keys(thanks)
    day9 = day_message(await ann.send(advance="1d"))
    assert "Week 2" in day9["text"] and "(harder)" in day9["text"]
    assert buttons(day9) == ["done", "too_hard", "skipped", "worse", "symptom"]
    await ann.send(button="too_hard", ref=day9["ref"])
    day10 = day_message(await ann.send(advance="1d"))
    assert "(harder)" not in day10["text"], "back on the usual routine"
    assert buttons(day10)[:2] == ["done", "too_easy"], "a week done (too hard counts as done): offered again"
    checkins = await store.run(lambda c: dict(c.execute(sa.select(deliveries.c.day, deliveries.c.checkin))
                                              .all()))
    assert (checkins[8], checkins[9]) == ("too_easy", "too_hard")


async def test_three_missed_days_bring_one_kind_nudge_that_can_pause_the_plan(ann, store):
    await live(ann, 1)
    await live(ann, 3, press=None)
    day5 = await ann.send(advance="1d")
    assert delivered(day5) == [5] and keys(day5) == ["plan.day", "nudge.ask"]
    nudge = questions(day5)[-1]
    assert buttons(nudge) == ["carry_on", "change_time", "pause"]
    assert day_message(day5)["buttons"], "the day's own check-in stays"
    day6 = await ann.send(advance="1d")
    assert keys(day6) == ["plan.day"], "one nudge for a run of missed days"
    paused = await ann.send(button="pause", ref=nudge["ref"])
    assert "nudge.paused" in keys(paused)
    assert (await store.run(lambda c: c.execute(sa.select(enrolments.c.status)).scalar())) == "paused"
    assert delivered(await ann.send(advance="2d")) == []


async def test_the_nudge_can_change_the_time(ann):
    await live(ann, 3, press=None)
    day4 = await ann.send(advance="1d")
    nudge = questions(day4)[-1]
    assert nudge["key"] == "nudge.ask"
    out = await ann.send(button="change_time", ref=nudge["ref"])
    assert keys(out)[-1] == "coaching.ask_time"
    out = await ann.send(text="18:30")
    assert "coaching.time_changed" in keys(out)
    assert day_message(await ann.send(advance="1d"))["text"].startswith("Day 5 of 42")
