"""Coming back after a red flag (red-flags.md): advice given stands until a professional clears the person;
a re-check finding less, or nothing, never replaces it; an old red-flag question's Yes counts however many
checks ago it was asked."""
from __future__ import annotations

from bot.engine import Message, Outcome, Press, Progress, Start, Text


def play(engine, progress, out, yes_to=frozenset()):
    """Answer every question to the end: Yes where it screens one of `yes_to`, else No (or the first
    button); a number question gets 10. Returns the progress and every output seen."""
    seen = list(out)
    for _ in range(80):
        question = next((o for o in reversed(out) if isinstance(o, Message)), None)
        if question is None or any(isinstance(o, Outcome) for o in out):
            break
        if not question.buttons:
            progress, out = engine.handle(progress, Text("10"))
        else:
            ids = [b.id for b in question.buttons]
            answer = "yes" if set(question.screens) & set(yes_to) else "no" if "no" in ids else ids[0]
            progress, out = engine.handle(progress, Press(answer, progress.ref))
        seen += out
    return progress, seen


def triage(engine, progress=None, yes_to=frozenset()):
    progress, out = engine.handle(progress or Progress(), Start("triage"))
    progress, more = engine.handle(progress, Press("agree", progress.ref))
    return play(engine, progress, out + more, yes_to)


def again(engine, progress):
    """Taking the check again, up to its first question."""
    progress, _ = engine.handle(progress, Start("triage"))
    return engine.handle(progress, Press("agree", progress.ref))


def outcomes(seen):
    return [o.outcome for o in seen if isinstance(o, Outcome)]


def keys(seen):
    return [o.key for o in seen if isinstance(o, Message)]


def test_a_recheck_finding_nothing_repeats_the_advice_that_stands(engine):
    progress, _ = triage(engine, yes_to={"pe_signs"})
    assert progress.last_outcome == "emergency"
    progress, out = engine.handle(progress, Start("recheck"))
    progress, seen = play(engine, progress, out)
    assert "recheck.all_clear" not in keys(seen) and "recheck.still_flagged" in keys(seen)
    assert outcomes(seen) == ["emergency"] and progress.last_outcome == "emergency"


def test_a_less_urgent_recheck_never_replaces_the_last_outcome(engine):
    progress, _ = triage(engine, yes_to={"pe_signs"})
    progress, out = engine.handle(progress, Start("recheck"))
    progress, seen = play(engine, progress, out, yes_to={"neuro_one_leg"})
    assert outcomes(seen) == ["professional"]
    assert progress.last_outcome == "emergency", "the emergency advice still stands"
    progress, out = again(engine, progress)  # taking the check again asks for a clearance
    assert keys(out)[-1] == "triage.clearance"
    progress, out = engine.handle(progress, Press("no", progress.ref))
    assert outcomes(out) == ["emergency"]


def test_only_a_clearance_lets_the_next_check_end_less_urgent(engine):
    progress, _ = triage(engine, yes_to={"dvt_signs"})
    progress, out = again(engine, progress)
    assert keys(out)[-1] == "triage.clearance"
    progress, out = engine.handle(progress, Text("yes, my GP examined me and said exercise is fine"))
    progress, seen = play(engine, progress, out)
    assert "triage.clearance_thanks" in keys(seen) and outcomes(seen)[-1] == "coaching"
    assert progress.last_outcome == "coaching"


def test_a_go_ahead_in_a_sentence_is_a_clearance(engine):
    for said in ("yes", "yep, physio cleared me", "I saw my GP on monday and she said exercise is fine",
                 "sí, el médico me vio y dijo que el ejercicio está bien",
                 "ja, der Hausarzt hat gesagt, Sport ist okay"):
        progress, _ = triage(engine, yes_to={"dvt_signs"})
        progress, out = again(engine, progress)
        progress, out = engine.handle(progress, Text(said))
        assert "triage.clearance_thanks" in keys(out), said


def test_regret_doubt_or_not_yet_is_no_clearance(engine):
    for said in ("unfortunately", "leider", "lamentablemente", "yes, I have an appointment on friday",
                 "yes, they said to rest for now", "sort of", "haven't been cleared to exercise",
                 "nobody has cleared me", "my wife said exercise is fine",
                 "the doctor said I can exercise in a month", "I'll ask whether exercise is fine",
                 "yes they did say to stop exercising"):
        progress, _ = triage(engine, yes_to={"dvt_signs"})
        progress, out = again(engine, progress)
        progress, out = engine.handle(progress, Text(said))
        assert "triage.clearance_thanks" not in keys(out) and outcomes(out) == ["urgent"], said


def test_a_late_yes_counts_however_many_checks_ago_it_was_asked(engine):
    progress, out = engine.handle(Progress(), Start("triage"))
    progress, more = engine.handle(progress, Press("agree", progress.ref))
    first = next(o for o in more if isinstance(o, Message) and o.screens)
    progress, _ = play(engine, progress, more)
    for _ in range(6):  # six more checks: 80 red-flag questions asked since
        progress, seen = triage(engine, progress)
        assert outcomes(seen) == ["coaching"]
    progress, out = engine.handle(progress, Press("yes", first.ref))
    assert "screen.late" in keys(out)
    progress, seen = play(engine, progress, out)
    assert "emergency" in outcomes(seen)


def test_progress_saved_with_one_question_per_ref_still_reads():
    saved = {"step": 9, "asked": {"3": "redflags.cauda", "7": "redflags.both_legs", "5": "redflags.cauda"}}
    progress = Progress.from_dict(saved)
    assert progress.asked == {"redflags.cauda": [3, 5], "redflags.both_legs": [7]}
    assert progress.question("5") == "redflags.cauda" and progress.question("4") is None
