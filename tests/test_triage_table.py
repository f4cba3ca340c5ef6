"""Table-driven from red-flags.yaml: every red flag, answered yes or "not sure", reaches its outcome."""
from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.clinical import load_clinical
from bot.engine import Action, Message, Outcome, Press, Progress, Start, Text

CLINICAL = load_clinical(Settings().flows / "red-flags.yaml")


def converse(engine, answer_for):
    """Run triage, answering each question with answer_for(message) until an outcome; return outputs."""
    progress, out = engine.handle(Progress(), Start("triage"))
    seen = list(out)
    for _ in range(60):
        question = next((o for o in reversed(out) if isinstance(o, Message) and o.ref), None)
        if any(isinstance(o, Outcome) for o in out) or question is None:
            return progress, seen
        progress, out = engine.handle(progress, answer_for(question))
        seen += out
    raise AssertionError("conversation did not conclude")


def answering(flag, reply):
    """Agree, answer no to every red-flag question before the one screening `flag`, then `reply`."""
    def answer(question: Message):
        if not question.screens:
            return Press(question.buttons[0].id, question.ref)
        if flag in question.screens:
            return reply
        return Press("no", question.ref)
    return answer


@pytest.mark.parametrize("reply", [Press("yes"), Press("not_sure"), Text("Yes!"), Text("not sure 🤔"),
                                   Text("idk")],
                         ids=["yes", "not_sure", "typed-yes", "typed-not-sure", "typed-idk"])
@pytest.mark.parametrize("flag", [f.id for f in CLINICAL.flags])
def test_each_red_flag_reaches_its_outcome(engine, flag, reply):
    progress, seen = converse(engine, answering(flag, reply))
    outcomes = [o for o in seen if isinstance(o, Outcome)]
    asked = next(o for o in seen if isinstance(o, Message) and flag in o.screens)
    assert outcomes == [Outcome(CLINICAL.flag_outcome(flag), asked.screens)]  # a list question reports
    # its group
    assert all(CLINICAL.flag_outcome(f) == CLINICAL.flag_outcome(flag) for f in asked.screens)
    assert progress.flags == list(asked.screens)
    assert not progress.active
    assert not any(isinstance(o, Action) for o in seen), "no coaching offer after a red flag"


def test_every_red_flag_question_comes_before_coaching_and_most_urgent_first(engine):
    _, seen = converse(engine, lambda q: Press("no" if q.screens else q.buttons[0].id, q.ref)
                       if q.buttons else Text("8"))
    screened = [f for o in seen if isinstance(o, Message) for f in o.screens]
    assert sorted(screened) == sorted(CLINICAL.flag_ids)
    urgencies = [CLINICAL.urgency(CLINICAL.flag_outcome(f)) for f in screened]
    assert urgencies == sorted(urgencies, reverse=True)


def test_all_no_reaches_coaching_after_the_calf_check(engine):
    progress, seen = converse(engine, lambda q: Press("no" if q.screens else q.buttons[0].id, q.ref)
                              if q.buttons else Text("9 cm"))
    assert [o for o in seen if isinstance(o, Outcome)] == [Outcome("coaching", ())]
    assert progress.answers == {"squat_heels_lift": "yes", "feet_turn_out": "yes",
                                "tension_after_standing": "yes", "leans_on_back": "yes", "wall_test": "easy",
                                "knee_to_wall_cm": 9}
    offer = [o for o in seen if isinstance(o, Message) and o.ref][-1]
    assert [b.id for b in offer.buttons] == ["accept", "decline"]
    progress, out = engine.handle(progress, Press("accept", offer.ref))
    assert any(isinstance(o, Action) and o.name == "accept_coaching" for o in out)
    assert [b.label for b in out[-1].buttons] == ["07:00", "08:00", "12:30", "18:00", "20:00"]
    progress, out = engine.handle(progress, Text("6:45 pm"))
    assert "London" in [b.label for b in out[-1].buttons]
    progress, out = engine.handle(progress, Text("new york"))
    assert out[-1].key == "scores.pain", "then the starting scores"
    for typed in ("3", "tying my shoes", "7", "no more"):
        progress, out = engine.handle(progress, Text(typed))
    enrol = next(o for o in out if isinstance(o, Action) and o.name == "enrol")
    assert enrol.data["delivery_time"] == "18:45" and enrol.data["time_zone"] == "America/New_York"
    assert enrol.data["knee_to_wall_cm"] == 9
    assert not progress.active and progress.outcome == "coaching"


def test_declining_consent_asks_nothing(engine):
    progress, out = engine.handle(Progress(), Start("triage"))
    progress, out = engine.handle(progress, Press("decline", progress.ref))
    assert not progress.active
    assert not any(isinstance(o, Message) and o.screens for o in out)
