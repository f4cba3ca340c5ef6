"""The score flows driven through the engine: baseline at enrolment, the weekly re-rating, and the engine
features they use (number buttons, a text question with a button, placeholders, only_if, Interrupt
answers)."""
from __future__ import annotations

import dataclasses
import shutil
import textwrap
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.coaching.scores import activity_answers
from bot.engine import Action, Interrupt, Message, Press, Progress, Start, Text
from bot.flows.load import FlowsInvalid, load_flowset


def actions(out):
    return [o for o in out if isinstance(o, Action)]


def question(out) -> Message:
    return [o for o in out if isinstance(o, Message)][-1]


def test_baseline_with_two_activities_ends_in_record_baseline(engine):
    progress, out = engine.handle(Progress(), Start("baseline"))
    pain = question(out)
    assert pain.key == "scores.pain" and [b.label for b in pain.buttons] == ["0", "2", "4", "6", "8", "10"]
    progress, out = engine.handle(progress, Text("7"))  # typed: any number from 0 to 10
    assert question(out).key == "scores.activity_first" and not question(out).buttons
    progress, out = engine.handle(progress, Text("  sitting through a film "))
    rate = question(out)
    assert "sitting through a film" in rate.text and rate.key == "scores.rate"
    progress, out = engine.handle(progress, Press("c1", rate.ref))  # the "2" button
    more = question(out)
    assert [b.id for b in more.buttons] == ["no_more"]
    progress, out = engine.handle(progress, Text("tying my shoes"))
    progress, out = engine.handle(progress, Text("4"))
    progress, out = engine.handle(progress, Text("no more"))  # the button's label, typed
    [done] = actions(out)
    assert done.name == "record_baseline"
    assert {k: done.data[k] for k in ("pain", "activity_1", "activity_1_score", "activity_2",
                                      "activity_2_score")} \
        == {"pain": 7, "activity_1": "sitting through a film", "activity_1_score": 2,
            "activity_2": "tying my shoes", "activity_2_score": 4}
    assert "activity_3" not in done.data and not progress.active


def test_no_more_right_after_the_first_activity(engine):
    progress, out = engine.handle(Progress(), Start("baseline"))
    for typed in ("0", "gardening", "10"):
        progress, out = engine.handle(progress, Text(typed))
    progress, out = engine.handle(progress, Press("no_more", question(out).ref))
    [done] = actions(out)
    assert done.data["activity_1"] == "gardening" and "activity_2" not in done.data


@pytest.mark.parametrize("typed", ["11", "-1", "lots", "5.5.5"])
def test_a_pain_score_outside_0_to_10_is_asked_again(engine, typed):
    progress, out = engine.handle(Progress(), Start("baseline"))
    after, out = engine.handle(progress, Text(typed))
    assert out[0].key == "hint.number" and "0 to 10" in out[0].text
    assert dataclasses.replace(after, said=[]) == progress  # only the message is remembered


def test_weekly_asks_only_the_stored_activities_by_name(engine):
    answers = activity_answers({1: "sitting through a film", 3: "carrying shopping"})
    progress, out = engine.handle(Progress(), Interrupt("weekly", answers))
    assert question(out).key == "scores.pain_week"
    progress, out = engine.handle(progress, Press("c2", question(out).ref))  # 4
    assert "sitting through a film" in question(out).text
    progress, out = engine.handle(progress, Text("6"))
    assert "carrying shopping" in question(out).text  # activity 2 is not stored: skipped
    progress, out = engine.handle(progress, Text("5"))
    assert question(out).key == "measure.ask"
    progress, out = engine.handle(progress, Text("9 cm"))
    [week] = actions(out)
    assert week.name == "record_week"
    assert {k: week.data.get(k) for k in ("pain", "activity_1_score", "activity_2_score", "activity_3_score",
                                          "knee_to_wall_cm")} == {"pain": 4, "activity_1_score": 6,
                                                                  "activity_2_score": None,
                                                                  "activity_3_score": 5,
                                                                  "knee_to_wall_cm": 9}


def test_weekly_forgets_last_weeks_numbers_and_returns_to_the_interrupted_question(engine):
    progress, out = engine.handle(Progress(), Start("triage"))
    welcome = question(out)
    progress = Progress.from_dict(progress.to_dict() | {"answers": {"activity_2_score": 3, "pain": 9}})
    progress, out = engine.handle(progress, Interrupt("weekly", activity_answers({1: "walking"})))
    for typed in ("3", "8", "12"):
        progress, out = engine.handle(progress, Text(typed))
    [week] = actions(out)
    assert week.data["pain"] == 3 and "activity_2_score" not in week.data
    assert (question(out).text, progress.state) == (welcome.text, "welcome")


def test_a_sign_typed_in_the_weekly_check_runs_the_screen(engine):
    progress, out = engine.handle(Progress(), Interrupt("weekly", activity_answers({1: "walking"})))
    progress, out = engine.handle(progress, Text("both my legs went numb this morning"))
    assert progress.outcome == "emergency" and [a.name for a in actions(out)] == ["hold_plan"]


def test_enrolment_asks_the_baseline_after_the_time_zone_then_enrols(engine):
    progress, out = engine.handle(Progress(), Start("triage"))
    while question(out).key != "scores.pain":
        asked = question(out)
        answer = "no" if asked.screens else asked.buttons[0].id if asked.buttons else None
        progress, out = engine.handle(progress, Press(answer, asked.ref) if answer else Text("12"))
    for typed in ("6", "bending to the dishwasher", "3", "no more"):
        progress, out = engine.handle(progress, Text(typed))
    assert [a.name for a in actions(out)] == ["record_baseline", "enrol"]
    assert actions(out)[1].data["time_zone"] == "Europe/London" and actions(out)[1].data["pain"] == 6


def write_flow(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(Settings().flows, folder)
    (folder / "sample.yaml").write_text(textwrap.dedent(body).lstrip("\n"))
    return folder


@pytest.mark.parametrize("body, message", [
    ("""
     id: sample
     start: a
     states:
       a:
         say: scores.rate
         ask: number
         min: 0
         max: 10
         store: x
         next: b
       b: {end: true}
     """, "has placeholders ['activity'], fill gives none"),
    ("""
     id: sample
     start: a
     states:
       a:
         say: scores.pain
         ask: number
         min: 0
         max: 10
         choices: ["0", "12"]
         store: x
         next: b
       b: {end: true}
     """, "choice '12' is not a valid number"),
    ("""
     id: sample
     start: a
     states:
       a:
         say: calf.wall_test
         ask: choice
         only_if: x
         answers:
           - {id: easy, label: calf.wall_easy, next: b}
           - {id: hard, label: calf.wall_hard, next: b}
       b: {end: true}
     """, "has only_if"),
])
def test_score_features_are_checked_at_their_line(tmp_path, body, message):
    with pytest.raises(FlowsInvalid) as caught:
        load_flowset(write_flow(tmp_path, body))
    found = [str(p) for p in caught.value.problems]
    assert any("sample.yaml:" in p and message in p for p in found), found
