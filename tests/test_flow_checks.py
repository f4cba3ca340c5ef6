"""`backline flows check`: malformed flows rejected at the right file:line, and the safety proof."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.flows.load import FlowsInvalid, load_flowset, read_flowset
from bot.flows.model import flow_json_schema

HEAD = "id: sample\nstart: a\nstates:\n"


def problems_of(path: Path, base: Path | None = None) -> list[str]:
    try:
        load_flowset(path, base=base or Settings().flows)
    except FlowsInvalid as exc:
        return [str(p) for p in exc.problems]
    return []


def write(tmp_path: Path, body: str, name: str = "sample.yaml") -> tuple[Path, int]:
    """Write a flow; return its path and the line marked `# HERE`."""
    text = textwrap.dedent(body).lstrip("\n")
    path = tmp_path / name
    path.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "# HERE" in l)
    return path, line


QUESTION = """\
  a:
    say: screen.cauda
    ask: yes_no
    next: done
  done:
    say: coaching.accepted
    end: true
"""

CORPUS = {
    "yaml syntax": (HEAD + "  a: b: c  # HERE\n", "invalid YAML: mapping values are not allowed here"),
    "duplicate state id": (HEAD + QUESTION + "  done:  # HERE\n    end: true\n", "duplicate key 'done'"),
    "unknown field": (HEAD + "  a:\n    say: coaching.accepted\n    colour: red  # HERE\n    end: true\n",
                      "Extra inputs are not permitted"),
    "wrong type": (HEAD + "  a:\n    say: coaching.accepted\n    end: lots  # HERE\n", "valid boolean"),
    "missing start": ("id: sample  # HERE\nstates:\n" + QUESTION, "start: Field required"),
    "start unknown": ("id: sample\nstart: nowhere  # HERE\nstates:\n" + QUESTION,
                      "start names unknown state 'nowhere'"),
    "next unknown": (HEAD + "  a:\n    say: calf.intro\n    next: b  # HERE\n",
                     "next names unknown state 'b'"),
    "answer target unknown": (HEAD + """\
  a:
    say: triage.welcome
    ask: choice
    answers:
      - {id: agree, label: triage.agree, next: done}
      - {id: decline, label: triage.decline, next: gone}  # HERE
  done: {say: coaching.accepted, end: true}
""", "goes to unknown state 'gone'"),
    "unreachable": (HEAD + QUESTION + "  orphan:  # HERE\n    say: coaching.accepted\n    end: true\n",
                    "'orphan' is unreachable"),
    "no way out (loop)": (HEAD + """\
  a:
    say: triage.welcome
    ask: choice
    answers:
      - {id: agree, label: triage.agree, next: done}
      - {id: decline, label: triage.decline, next: loop}
  done: {say: coaching.accepted, end: true}
  loop:  # HERE
    say: calf.intro
    next: loop2
  loop2:
    say: calf.intro
    next: loop
""", "'loop' has no way out"),
    "message without next": (HEAD + "  a:  # HERE\n    say: calf.intro\n", "a message state needs next"),
    "duplicate answer id": (HEAD + """\
  a:
    say: triage.welcome
    ask: choice
    answers:
      - {id: agree, label: triage.agree, next: done}
      - {id: agree, label: triage.decline, next: done}  # HERE
  done: {say: coaching.accepted, end: true}
""", "duplicate answer id 'agree'"),
    "unknown flag": (HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    screens: [bladder_bowel, toothache]  # HERE
    answers:
      - {id: "yes", positive: true, next: out}
      - {id: "no", positive: false, next: out}
      - {id: not_sure, positive: true, next: out}
  out: {outcome: emergency, say: outcome.emergency}
""", "unknown red flag 'toothache'"),
    "both sides of an unknown flag": (HEAD + """\
  a:
    say: screen.one_leg
    ask: yes_no
    screens: [neuro_one_leg]
    both_sides: both_knees  # HERE
    answers:
      - {id: "yes", positive: true, next: out}
      - {id: "no", positive: false, next: out}
      - {id: not_sure, positive: true, next: out}
  out: {outcome: professional, say: outcome.professional}
""", "both_sides names 'both_knees'"),
    "unknown outcome": (HEAD + "  a:\n    outcome: spa_day  # HERE\n    say: outcome.coaching\n",
                        "unknown outcome 'spa_day'"),
    "yes_no answers wrong": (HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    answers:  # HERE
      - {id: "yes", next: done}
      - {id: "no", next: done}
  done: {say: coaching.accepted, end: true}
""", "exactly the answers yes, no and not_sure"),
    "not sure marked negative": (HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    screens: [bladder_bowel]
    answers:
      - {id: "yes", positive: true, next: out}
      - {id: "no", positive: false, next: done}
      - {id: not_sure, positive: false, next: out}  # HERE
  out: {outcome: emergency, say: outcome.emergency}
  done: {say: coaching.accepted, end: true}
""", "'not sure' counts as yes"),
    "screening answer without positive": (HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    screens: [bladder_bowel]
    answers:
      - {id: "yes", next: out}  # HERE
      - {id: "no", positive: false, next: done}
      - {id: not_sure, positive: true, next: out}
  out: {outcome: emergency, say: outcome.emergency}
  done: {say: coaching.accepted, end: true}
""", "must declare positive"),
    "unknown text key": (HEAD + "  a:\n    say: no.such.text  # HERE\n    end: true\n",
                         "text key 'no.such.text' is missing from texts/en.yaml"),
    "unknown used flow": (HEAD + "  a:\n    use: nothing_here  # HERE\n    next: done\n  done: {end: true}\n",
                          "uses unknown flow 'nothing_here'"),
    "number without bounds": (HEAD + """\
  a:  # HERE
    say: calf.wall_distance
    ask: number
    store: cm
    next: done
  done: {end: true}
""", "needs min and max"),
    "min above max": (HEAD + """\
  a:
    say: calf.wall_distance
    ask: number
    min: 30  # HERE
    max: 0
    store: cm
    next: done
  done: {end: true}
""", "min 30 is above max 0"),
    "two kinds in one state": (HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    outcome: emergency  # HERE
    next: done
  done: {end: true}
""", "one kind of thing, but this has ask and outcome"),
    "emergency that carries on": (HEAD + """\
  a:
    outcome: emergency
    say: outcome.emergency
    next: done  # HERE
  done: {end: true}
""", "'emergency' outcome ends the conversation"),
    "unknown action": (HEAD + """\
  a:
    say: coaching.offer
    ask: choice
    answers:
      - {id: accept, label: coaching.accept, action: buy_shoes, next: done}  # HERE
      - {id: decline, label: coaching.decline, next: done}
  done: {end: true}
""", "unknown action 'buy_shoes'"),
    "flow uses itself": (HEAD + "  a:\n    use: sample  # HERE\n    next: done\n  done: {end: true}\n",
                         "flows cannot recurse"),
    "bad id": ("id: Sample Flow  # HERE\nstart: a\nstates:\n" + QUESTION, "id: String should match pattern"),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_malformed_flow_is_rejected_at_its_line(tmp_path, case):
    body, message = CORPUS[case]
    path, line = write(tmp_path, body)
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{line}: ") and message in p for p in problems), problems


def test_the_corpus_covers_at_least_fifteen_kinds_of_mistake():
    assert len(CORPUS) >= 15


def copy_flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(Settings().flows, folder)
    return folder


def test_duplicate_flow_id_across_files(tmp_path):
    folder = copy_flows(tmp_path)
    path, line = write(folder, "id: triage  # HERE\nstart: a\nstates:\n" + QUESTION, name="zz_copy.yaml")
    assert any(p.startswith(f"{path}:{line}: duplicate flow id 'triage'") for p in problems_of(folder))


def test_a_texts_file_of_the_wrong_shape(tmp_path):
    folder = copy_flows(tmp_path)
    (folder / "texts" / "de.yaml").write_text("triage.welcome:\n  - not a string\n")
    assert any("texts/de.yaml:1: a texts file maps text keys to strings" in p for p in problems_of(folder))
    (folder / "texts" / "de.yaml").write_text("answer.yes: Ja\n")
    assert any("texts/de.yaml:1: de.yaml lacks its header: reviewed:" in p for p in problems_of(folder))


REVIEWED = 'reviewed: {by: "machine translation, not yet reviewed", on: 2026-12-02}\n'


def test_a_second_locale_must_have_every_key(tmp_path):
    folder = copy_flows(tmp_path)
    (folder / "texts" / "de.yaml").write_text(REVIEWED + "answer.yes: Ja\n")
    problems = problems_of(folder)
    assert any("text key 'triage.welcome' is missing from texts/de.yaml" in p for p in problems)
    assert any("texts/de.yaml lacks keys the code uses" in p for p in problems)
    assert any(p.startswith(f"{folder / 'texts' / 'de.yaml'}:") and "texts/de.yaml lacks keys other "
               "locales have: " in p and "triage.welcome (en.yaml:" in p for p in problems)


def test_every_locale_has_the_keys_of_the_others_at_their_lines(tmp_path):
    folder = copy_flows(tmp_path)
    texts = folder / "texts" / "es.yaml"
    text = texts.read_text().replace("triage.decline:", "triage.declinar:", 1)
    texts.write_text(text)
    line = text.splitlines().index(next(l for l in text.splitlines() if l.startswith("triage.declinar:"))) + 1
    problems = problems_of(folder)
    assert any(p.startswith(f"{texts}:") and "texts/es.yaml lacks keys other locales have: "
               "triage.decline (en.yaml:" in p for p in problems), problems
    assert any(p.startswith(f"{folder / 'texts'}/") and "lacks keys other locales have: triage.declinar "
               f"(es.yaml:{line})" in p for p in problems), problems


def test_placeholders_must_match_between_locales(tmp_path):
    folder = copy_flows(tmp_path)
    texts = folder / "texts" / "de.yaml"
    text = texts.read_text().replace("bis {max}.", "bis {maximum}.", 1)
    texts.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("hint.number:"))
    assert (f"{texts}:{line}: 'hint.number' fills in ['maximum', 'min'], but the English fills in "
            "['max', 'min']") in problems_of(folder)


def test_every_locale_the_bot_speaks_is_complete(tmp_path):
    folder = copy_flows(tmp_path)
    (folder / "symptoms" / "de.yaml").unlink()
    (folder / "replies" / "es.yaml").unlink()
    problems = problems_of(folder)
    assert f"{folder / 'symptoms' / 'de.yaml'}:1: locale 'de' has no symptoms file" in problems
    assert f"{folder / 'replies' / 'es.yaml'}:1: locale 'es' has no replies file" in problems


def test_red_flag_table_naming_an_unknown_outcome(tmp_path):
    folder = copy_flows(tmp_path)
    table = folder / "red-flags.yaml"
    text = table.read_text().replace("outcome: urgent\n", "outcome: soonish\n", 1)
    table.write_text(text)
    line = text.splitlines().index("    outcome: soonish") + 1
    assert problems_of(folder) == [f"{table}:{line}: flag 'dvt_signs' names unknown outcome 'soonish'"]


def test_deliberately_unsafe_flow_is_rejected_with_the_path_that_breaks_it(tmp_path):
    folder = copy_flows(tmp_path)
    redflags = folder / "redflags.yaml"
    text = redflags.read_text()
    unsafe = text.replace('{id: not_sure, positive: true, next: urgent}',
                          '{id: not_sure, positive: true, next: one_leg}', 1)
    redflags.write_text(unsafe)
    line = unsafe.splitlines().index("      - {id: not_sure, positive: true, next: one_leg}") + 1
    skipping, unsafe = problems_of(folder)  # sorted by line: the screen's start comes first
    assert skipping.startswith(f"{redflags}:10: the screen 'redflags' can return without asking about "
                               "infection, cancer_history, critical_limb, calf_tendon_tear")
    assert unsafe.startswith(f"{redflags}:{line}: unsafe: answering 'not_sure' at redflags.calf_clot "
                             "reports red flag 'dvt_signs', but this path ")
    assert ("redflags.cauda -no-> redflags.both_legs -no-> redflags.chest_belly -no-> "
            "redflags.limb_accident -no-> redflags.calf_clot -not_sure-> redflags.one_leg") in unsafe


def test_routing_a_flag_to_a_less_urgent_outcome_is_unsafe(tmp_path):
    folder = copy_flows(tmp_path)
    redflags = folder / "redflags.yaml"
    redflags.write_text(redflags.read_text().replace(
        '{id: "yes", positive: true, next: emergency}', '{id: "yes", positive: true, next: urgent}', 1))
    problems = problems_of(folder)
    assert len(problems) == 1 and "reports red flag 'bladder_bowel'" in problems[0]
    assert "reaches outcome 'urgent', less urgent than 'emergency'" in problems[0]


def test_a_positive_answer_that_ends_without_an_outcome_is_unsafe(tmp_path):
    path, _ = write(tmp_path, HEAD + """\
  a:
    say: screen.cauda
    ask: yes_no
    screens: [bladder_bowel]
    answers:
      - {id: "yes", positive: true, next: done}  # HERE
      - {id: "no", positive: false, next: done}
      - {id: not_sure, positive: true, next: out}
  out: {outcome: emergency, say: outcome.emergency}
  done: {say: coaching.accepted, end: true}
""")
    problems = problems_of(path)
    assert len(problems) == 1 and "ends with no outcome, but needs 'emergency'" in problems[0]


def test_triage_must_screen_every_flag(tmp_path):
    folder = copy_flows(tmp_path)
    redflags = folder / "redflags.yaml"
    redflags.write_text(redflags.read_text().replace("screens: [under_16]",
                                                     "screens: [severe_or_persistent]"))
    problems = problems_of(folder)
    assert any(p.startswith(f"{folder / 'triage.yaml'}:") and "never screens these red flags: under_16" in p
               for p in problems)


def test_shipped_flows_pass_and_the_cli_says_so():
    done = subprocess.run([sys.executable, "-m", "bot", "flows", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "20 red flags screened" in done.stdout


def test_the_cli_exits_1_with_file_line_problems(tmp_path):
    path, line = write(tmp_path, HEAD + "  a:\n    say: calf.intro\n    next: b  # HERE\n")
    done = subprocess.run([sys.executable, "-m", "bot", "flows", "check", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 1
    assert f"{path}:{line}: state 'a': next names unknown state 'b'" in done.stderr


def test_graph_prints_a_mermaid_state_diagram():
    done = subprocess.run([sys.executable, "-m", "bot", "flows", "graph", "redflags"], capture_output=True,
                          text=True)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[:2] == ["stateDiagram-v2", "    [*] --> cauda"]
    assert "    cauda --> emergency: yes (red flag)" in lines
    assert "    cauda --> both_legs: no" in lines
    assert "    note right of cauda: screens bladder_bowel, saddle_numbness, sexual_dysfunction" in lines


def test_published_json_schema_is_current():
    shipped = json.loads((Settings().flows / "flow.schema.json").read_text())
    assert shipped == flow_json_schema()
    assert shipped["properties"]["states"]["additionalProperties"]["$ref"] == "#/$defs/State"


def test_lint_warns_about_questions_a_literal_reader_answers_wrongly(tmp_path, flowset):
    from bot.flows.lint import lint
    assert lint(flowset) == [], "the shipped red-flag questions follow the rules"
    folder = copy_flows(tmp_path)
    texts = folder / "texts" / "en.yaml"
    text = texts.read_text()
    text = text.replace("screen.chest_belly: |-\n", "screen.chest_belly: |-\n  Along with any calf pain, "
                        "are you short of breath? Or do you cough up blood?\n", 1)
    texts.write_text(text)
    line = text.splitlines().index("screen.chest_belly: |-") + 1
    flowset, _ = read_flowset(folder)
    warnings = [str(w) for w in lint(flowset)]
    assert warnings == [
        f"{texts}:{line}: red-flag question 'screen.chest_belly' asks 3 questions; one yes must answer it "
        "(make it one question or a list)",
        f"{texts}:{line}: red-flag question 'screen.chest_belly' says 'along with': a sign made to depend on "
        "another is missed by a literal reader"]
    done = subprocess.run([sys.executable, "-m", "bot", "flows", "check", str(folder)], capture_output=True,
                          text=True)
    assert done.returncode == 1 and f"{texts}:{line}: red-flag question" in done.stderr, \
        "the v2 rules are kept"


@pytest.mark.parametrize("locale,before,after,phrase", [
    ("es", "¿Tiene menos de 16 años?", "¿Tiene menos de 16 años? ¿Y va al colegio?", None),
    ("es", "¿Le está pasando alguna de estas cosas?", "Junto con dolor de pantorrilla, ¿le está pasando "
     "alguna de estas cosas?", "junto con"),
    ("de", "Sind Sie jünger als 16 Jahre?", "Sind Sie jünger als 16 Jahre? Gehen Sie zur Schule?", None),
    ("de", "Passiert Ihnen gerade etwas davon?", "Passiert Ihnen zusammen mit Wadenschmerzen gerade "
     "etwas davon?", "zusammen mit"),
])
def test_translated_red_flag_questions_keep_the_v2_rules(tmp_path, locale, before, after, phrase):
    folder = copy_flows(tmp_path)
    texts = folder / "texts" / f"{locale}.yaml"
    text = texts.read_text()
    assert before in text
    texts.write_text(text.replace(before, after, 1))
    line = next(i for i, l in enumerate(text.splitlines(), 1) if before in l) - 1
    problems = problems_of(folder)
    rule = f"says {phrase!r}" if phrase else "asks 2 questions"
    assert any(p.startswith(f"{texts}:{line}: red-flag question") and rule in p for p in problems), problems


def test_a_flagged_person_reaching_coaching_without_clearance_is_unsafe(tmp_path):
    folder = copy_flows(tmp_path)
    triage = folder / "triage.yaml"
    text = triage.read_text()
    triage.write_text(text.replace(
        "cases: {emergency: clearance, urgent: clearance, professional: clearance}",
        "cases: {emergency: clearance, urgent: clearance}"))
    problems = problems_of(folder)
    assert len(problems) == 1
    assert ("reaches outcome 'coaching' for a person whose last check ended at 'professional', "
            "with no recorded clearance (record_clearance)") in problems[0]
    assert "triage.returning -[last_outcome=professional]-> triage.screen" in problems[0]


def test_a_clearance_answer_that_skips_the_record_is_unsafe(tmp_path):
    folder = copy_flows(tmp_path)
    triage = folder / "triage.yaml"
    text = triage.read_text()
    assert '{id: "yes", action: record_clearance, clears: true, next: cleared}' in text
    triage.write_text(text.replace('{id: "yes", action: record_clearance, clears: true, next: cleared}',
                                   '{id: "yes", clears: true, next: cleared}'))
    problems = problems_of(folder)
    assert problems and all("with no recorded clearance" in p for p in problems)



def test_a_correction_topic_of_an_unknown_flag_is_named_at_its_line(tmp_path):
    folder = copy_flows(tmp_path)
    replies = folder / "replies" / "en.yaml"
    text = replies.read_text().replace("\n  bladder_bowel: [bladder,",
                                       "\n  toothache: [tooth]\n  bladder_bowel: [bladder,", 1)
    replies.write_text(text)
    line = text.splitlines().index("  toothache: [tooth]") + 1
    assert any(p.startswith(f"{replies}:{line}: unknown red flag 'toothache'") for p in problems_of(folder))


def test_a_negative_age_limit_is_rejected(tmp_path):
    folder = copy_flows(tmp_path)
    flow = folder / "redflags.yaml"
    flow.write_text(flow.read_text().replace("age_below: 16", "age_below: -3", 1))
    assert any("age_below" in p and "greater than or equal to 1" in p for p in problems_of(folder))


@pytest.mark.parametrize("key", ["places", "legs"])
def test_a_place_class_that_is_no_word_class_is_named_at_its_line(tmp_path, key):
    folder = copy_flows(tmp_path)
    vocabulary = folder / "symptoms" / "en.yaml"
    text = vocabulary.read_text().replace(f"{key}: [", f"{key}: [elbows, ", 1)
    vocabulary.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"{key}:"))
    assert any(p.startswith(f"{vocabulary}:{line}: 'elbows' is no word class") for p in problems_of(folder))


def test_a_side_is_left_right_other_or_both(tmp_path):
    folder = copy_flows(tmp_path)
    vocabulary = folder / "symptoms" / "en.yaml"
    vocabulary.write_text(vocabulary.read_text().replace("  left: [left,", "  middle: [middle,", 1))
    assert any("sides.middle" in p for p in problems_of(folder))
