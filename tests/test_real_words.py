"""People's own words during the screen (tests/data/real-words): never routed to a less urgent outcome
than the red flag they describe, and clear answers still read as they are. Each case taps No to every
question before and after the words, the worst case for the person."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine import Message, Outcome, Press, Progress, Start, Text

SCREEN = Path(__file__).parent / "data" / "real-words" / "screen.yaml"
DATA = yaml.safe_load(SCREEN.read_text(encoding="utf-8"))
URGENCY = ("coaching", "professional", "urgent", "emergency")
TURNS = 80  # questions a case may take before it counts as stuck


def play(engine, at: str, said: list[str]) -> str | None:
    """The outcome after tapping No up to `at`, typing `said` there, then tapping No to the end; an outcome
    reached by an earlier message of `said` counts too (a later one may escalate it)."""
    progress, out = engine.handle(Progress(), Start("triage"))
    progress, out = engine.handle(progress, Press("agree", progress.ref))
    typed, earlier = False, []
    for _ in range(TURNS):
        outcomes = earlier + [o.outcome for o in out if isinstance(o, Outcome)]
        question = next((o for o in reversed(out) if isinstance(o, Message)), None)
        if len(outcomes) > len(earlier) or question is None:
            return max(outcomes, key=URGENCY.index) if outcomes else None
        if not question.buttons:  # a number typed (the knee-to-wall distance)
            progress, out = engine.handle(progress, Text("10"))
            continue
        if not typed and question.key == at:
            typed = True
            for text in said[:-1]:
                progress, out = engine.handle(progress, Text(text))
                earlier += [o.outcome for o in out if isinstance(o, Outcome)]
            progress, out = engine.handle(progress, Text(said[-1]))
            continue
        ids = [b.id for b in question.buttons]
        answer = "no" if "no" in ids else ids[0]
        progress, out = engine.handle(progress, Press(answer, progress.ref))
    return None


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: f"{c['at']}: {c['say'][-1]}")
def test_a_sign_in_ones_own_words_is_never_under_triaged(engine, case):
    got = play(engine, case["at"], case["say"])
    assert got is not None, "the conversation reached no outcome"
    assert URGENCY.index(got) >= URGENCY.index(case["outcome"]), f"{case['say']} -> {got}"


@pytest.mark.parametrize("case", DATA["clear"], ids=lambda c: f"{c['at']}: {c['say'][-1]}")
def test_a_clear_answer_reads_as_it_is(engine, case):
    assert play(engine, case["at"], case["say"]) == case["outcome"]
