"""The coaching plan: the shipped content, the day planner, and malformed content rejected at file:line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.coaching import PLAN_PATH, check_plan, day_plan, load_plan, render
from bot.coaching.content import DAYS, PROFILE
from bot.locales import LOCALES
from bot.flows.load import FlowsInvalid

REPO = Path(__file__).resolve().parent.parent
PLAN = load_plan(PLAN_PATH)
WORDS = PLAN.words("en")
MAX_CHARS = 1300  # with the v2 safety line, which names every sign to watch for (German runs longest)
RETRAINING = {"glute_bridge", "dead_bug", "single_leg_balance", "wall_squat"}

NONE: dict = {}
EASY = {"squat_heels_lift": "no", "feet_turn_out": "no", "tension_after_standing": "no",
        "leans_on_back": "no", "wall_test": "easy", "knee_to_wall_cm": 14}
ALL_SIGNS = {"squat_heels_lift": "yes", "feet_turn_out": "yes", "tension_after_standing": "yes",
             "leans_on_back": "yes", "wall_test": "cannot", "knee_to_wall_cm": 0}
PROFILES = {"none": NONE, "easy": EASY, "all_signs": ALL_SIGNS}


def names(*ids: str) -> set[str]:
    return {WORDS.exercises[i].name for i in ids}


def has_ankle(day: int, profile: dict) -> bool:
    return any("ankle" in s.focus for s in day_plan(PLAN, day, profile).exercises)


def is_mobility_day(day: int) -> bool:
    week = PLAN.weeks[(day - 1) // 7]
    return (day - 1) % 7 + 1 in week.mobility_days


def test_shipped_plan_has_no_problems():
    assert check_plan(PLAN_PATH) == []
    assert [w.week for w in PLAN.weeks] == [1, 2, 3, 4, 5, 6]
    assert set(PLAN.texts) == set(LOCALES), "the plan speaks every language"


TITLES = {"en": ("Day {day} of 42 · Week", "Week {week} · Maintenance"),
          "es": ("Día {day} de 42 · Semana", "Semana {week} · Mantenimiento"),
          "de": ("Tag {day} von 42 · Woche", "Woche {week} · Erhaltung")}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
@pytest.mark.parametrize("day", [*range(1, DAYS + 1), 43, 50, 120])
def test_every_day_renders_short_plain_and_concrete(day, profile, locale):
    plan = day_plan(PLAN, day, profile, locale)
    text = render(plan)
    assert len(text) <= MAX_CHARS
    assert plan.exercises and all(re.search(r"\d", s.dose) for s in plan.exercises)
    assert not re.search(r"[<>*_`]", text), "plain text, no HTML or Markdown"
    programme, maintenance = TITLES[locale]
    assert text.startswith(programme.format(day=day) if day <= DAYS else maintenance.format(week=plan.week))
    assert plan.maintenance == (day > DAYS)
    assert PLAN.words(locale).safety in text
    assert render(day_plan(PLAN, day, profile, locale)) == text, "deterministic"
    if locale != "en":
        english = {s.name for s in day_plan(PLAN, day, profile).exercises}
        assert not english & {s.name for s in plan.exercises}, "every exercise name is translated"


def test_week_one_releases_and_stretches_and_weeks_four_to_six_retrain_movement():
    week_one = {f for d in range(1, 8) for s in day_plan(PLAN, d, NONE).exercises for f in s.focus}
    assert {"release", "stretch"} <= week_one
    for day in range(22, DAYS + 1):
        shown = {s.name for s in day_plan(PLAN, day, NONE).exercises}
        assert shown & names(*RETRAINING), f"day {day} has no movement retraining"
    early = {s.name for d in range(1, 15) for s in day_plan(PLAN, d, NONE).exercises}
    assert not early & names(*RETRAINING), "movement retraining starts after the first two weeks"


def test_three_mobility_sessions_a_week():
    for week in PLAN.weeks:
        days = range((week.week - 1) * 7 + 1, week.week * 7 + 1)
        sessions = [d for d in days
                    if names(*week.mobility) <= {s.name for s in day_plan(PLAN, d, EASY).exercises}]
        assert len(sessions) == 3, f"week {week.week}"
        assert sum(has_ankle(d, EASY) for d in days) == 3, \
            f"week {week.week}: ankle work on mobility days only"


@pytest.mark.parametrize("profile", [{"wall_test": "hard"}, {"wall_test": "cannot"},
                                     {"wall_test": "easy", "knee_to_wall_cm": 6}, {"knee_to_wall_cm": 0}])
def test_a_hard_knee_to_wall_test_adds_ankle_work_every_day(profile):
    assert all(has_ankle(d, profile) for d in range(1, DAYS + 1))


@pytest.mark.parametrize("profile", [EASY, NONE, {"knee_to_wall_cm": 10}, {"knee_to_wall_cm": "4"}])
def test_an_easy_or_unknown_knee_to_wall_test_keeps_non_mobility_days_ankle_free(profile):
    assert not any(has_ankle(d, profile) for d in range(1, DAYS + 1) if not is_mobility_day(d))


@pytest.mark.parametrize("key, ids, day", [
    ("squat_heels_lift", {"wall_squat"}, 16),
    ("feet_turn_out", {"single_leg_balance"}, 9),
    ("leans_on_back", {"glute_bridge"}, 2),
    ("leans_on_back", {"dead_bug"}, 23),
])
@pytest.mark.parametrize("answer", ["yes", "not_sure"])
def test_calf_signs_bring_movement_work_earlier(key, ids, day, answer):
    def shown(profile: dict) -> set[str]:
        return {s.name for s in day_plan(PLAN, day, profile).exercises}
    assert names(*ids) <= shown({**EASY, key: answer})
    assert not names(*ids) & shown(EASY)


def test_tension_after_standing_adds_a_standing_break_note():
    extra = WORDS.habits["stand_shift"]
    assert all(extra in day_plan(PLAN, d, {"tension_after_standing": "yes"}).habits
               for d in range(1, DAYS + 1))
    assert not any(extra in day_plan(PLAN, d, EASY).habits for d in range(1, DAYS + 1))


def test_each_week_opens_with_its_note():
    notes = [d for d in range(1, DAYS + 1) if day_plan(PLAN, d, NONE).note]
    assert notes and all(d % 7 == 1 for d in notes)
    assert "gastrocnemius" in render(day_plan(PLAN, 1, NONE))


def test_measure_on_every_seventh_day_only():
    for day in range(1, DAYS + 1):
        plan = day_plan(PLAN, day, NONE)
        assert plan.measure == (day % 7 == 0), day
        assert (WORDS.measure_prompt in render(plan)) == plan.measure


def test_maintenance_is_weekly_with_the_checklist():
    first, second = day_plan(PLAN, 43, NONE), day_plan(PLAN, 50, NONE)
    assert (first.week, second.week) == (7, 8)
    assert first.maintenance and first.measure and first.checklist
    assert first.habits != second.habits, "maintenance tips rotate week by week"


def test_day_zero_is_refused():
    with pytest.raises(ValueError):
        day_plan(PLAN, 0, NONE)


def test_profile_keys_match_what_the_triage_flow_stores():
    states = yaml.safe_load((REPO / "flows" / "triage.yaml").read_text())["states"].values()
    stored = {s["store"]: s for s in states if s.get("store")}
    assert set(PROFILE) <= set(stored)
    for key in PROFILE:
        state = stored[key]
        if state["ask"] == "number":
            assert PROFILE[key] is None
        elif state["ask"] == "choice":
            assert set(PROFILE[key]) == {a["id"] for a in state["answers"]}
        else:
            assert PROFILE[key] == ("yes", "no", "not_sure")


# The seed article's most distinctive sentences. Our content carries its facts in our own words,
# so no run of 8 words from these may appear in it.
SEED_SENTENCES = [
    "Tight calves restrict ankle dorsiflexion, meaning you can't flex your foot upward effectively.",
    "Your body starts to adjust by tilting your pelvis forward or arching your lower back "
    "more than necessary.",
    "When calves can't do their job, the lumbar area takes on more impact than it should.",
    "Try standing with your toes a few inches from the wall and attempt to bend your knee forward "
    "to touch the wall without lifting your heel.",
    "Calves are often the silent limiter that causes lumbar issues without obvious warning signs.",
    "I rolled each calf for about 60 seconds before bed and first thing in the morning.",
    "Try holding a calf stretch for at least 30 seconds on each leg, twice a day.",
    "A slant board gives a more consistent stretch, but even a stair or curb works.",
    "Hamstring flexibility also complements this, so add that in too.",
    "Think wall ankle touches, slow calf raises, and banded ankle mobility drills.",
    "Ditching overly cushioned sneakers and going for more supportive, flatter soles "
    "changed my posture game.",
    "Passive calf stretches help in the moment, but they don't correct your movement habits "
    "or improve long-term lumbar alignment.",
    "Single-leg balance drills to reconnect the foot-hip-core chain.",
    "Glute bridges and dead bugs to fire up stability muscles.",
    "Wall squats with a heel lift to gently retrain alignment without triggering back pain.",
    "I started setting a timer to get up every 30-45 minutes.",
    "I adjusted my car seat to avoid toe-pointing tension.",
    "I even use a chair with proper lumbar support and place a slant board under my desk "
    "for passive calf stretching during Zoom calls.",
    "If your symptoms feel more neurological, numbness, tingling, or muscle weakness, it's worth exploring "
    "whether there's an underlying spinal root issue.",
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


@pytest.mark.parametrize("path", [PLAN_PATH, REPO / "content" / "texts" / "en.yaml",
                                  REPO / "content" / "README.md"],
                         ids=["plan", "texts", "readme"])
def test_no_sentence_of_the_seed_article_is_copied(path):
    ours = " " + " ".join(words(path.read_text(encoding="utf-8"))) + " "
    for sentence in SEED_SENTENCES:
        seed = words(sentence)
        for i in range(len(seed) - 7):
            run = " ".join(seed[i:i + 8])
            assert f" {run} " not in ours, f"copied from the seed article: {run!r}"


# A small valid plan (structure and English words); each malformed case edits it and marks the line
# the problem must point at, in whichever file holds the text it edits.
def week(n: int) -> str:
    """Week n of MINIMAL, as one line."""
    return f"  - {{week: {n}, daily: [roll], mobility: [tap], mobility_days: [1, 3, 5], habits: [breaks]}}"


MINIMAL = """\
measure_every: 7
limits: {exercises: 4, minutes: 10}
exercises:
  roll:
    minutes: 2
    focus: [release]
  tap:
    minutes: 1
    focus: [ankle]
habits: [breaks]
weeks:
""" + "".join(week(n) + "\n" for n in range(1, 7)) + """\
adjustments:
  tight:
    when:
      - {answer: wall_test, in: [hard, cannot]}
    add_daily: [tap]
maintenance:
  exercises: [roll]
  habits: [breaks]
variants:
  easier: {max_exercises: 1, swaps: {}}
  harder: {swaps: {}}
adapt:
  window: 7
  easier: {pain_rise: 2, worse_checkins: 2}
  harder: {done_days: 7}
  nudge: {missed_days: 3, flow: nudge}
  checkins:
    standard: [done, skipped, worse, symptom]
    offer_harder: [done, too_easy, skipped, worse, symptom]
    harder: [done, too_hard, skipped, worse, symptom]
    easier: [done, skipped, worse, symptom]
review: {improve_by: 2}
"""
OFFER = "    offer_harder: [done, too_easy, skipped, worse, symptom]"
EASIER = "  easier: {max_exercises: 1, swaps: {}}"
EASIER_WORDS = "  easier: {label: easier, note: Gentler., doses: {roll: 30 s per calf}}"

MINIMAL_TEXTS = """\
reviewed: {by: tests, on: 2026-12-02}
format: {day_title: "Day {day}/{days} {week} {theme}", maintenance_title: "Week {week} {theme}",
         minutes: "{heading} ({minutes})", step: "{name} {dose} {why}", this_week: "{items}", tip: "{tip}"}
measure_prompt: Measure today.
safety: Stop if you feel numb.
exercises:
  roll:
    name: Roll
    dose: 60 s per calf
    why: Loosens.
  tap:
    name: Tap
    dose: 10 per leg
    why: Moves the ankle.
habits:
  breaks: Stand up every 30 min.
weeks: {1: {theme: One}, 2: {theme: Two}, 3: {theme: Three}, 4: {theme: Four}, 5: {theme: Five},
        6: {theme: Six}}
maintenance: {theme: Keep going}
variants:
  easier: {label: easier, note: Gentler., doses: {roll: 30 s per calf}}
  harder: {label: harder, note: Harder., doses: {tap: 15 per leg}}
"""

HERE = "  # HERE"
CONDITION = "      - {answer: wall_test, in: [hard, cannot]}"
SPARE = "  spare:\n    minutes: 1\n    focus: [balance]\n"

MALFORMED = {
    "unknown exercise": ({week(2): week(2).replace("[roll]", "[rol]") + HERE}, "unknown exercise 'rol'"),
    "unknown habit": ({week(3): week(3).replace("[breaks]", "[brakes]") + HERE}, "unknown habit 'brakes'"),
    "weeks out of order": ({week(4): week(4).replace("week: 4", "week: 5") + HERE},
                           "expected week 4 here, found week 5"),
    "a week missing": ({week(6) + "\n": "", "weeks:\n": "weeks:" + HERE + "\n"},
                       "expected weeks 1 to 6, found 5"),
    "mobility day 8": ({week(2): week(2).replace("3, 5]", "3, 8]") + HERE}, "less than or equal to 7"),
    "mobility day twice": ({week(1): week(1).replace("[1, 3", "[1, 1") + HERE},
                           "a mobility day is listed twice"),
    "empty daily": ({week(5): week(5).replace("[roll]", "[]") + HERE}, "at least 1 item"),
    "mobility repeats daily": ({week(2): week(2).replace("[tap]", "[roll]") + HERE},
                               "'roll' is already in daily"),
    "duplicate exercise id": ({"  tap:\n    minutes": "  roll:" + HERE + "\n    minutes"},
                              "duplicate key 'roll'"),
    "extra field": ({"    minutes: 1\n": "    minutes: 1\n    reps: 10" + HERE + "\n"},
                    "Extra inputs are not permitted"),
    "dose without a number": ({"dose: 10 per leg": "dose: a few per leg" + HERE}, "dose must give an amount"),
    "unused exercise": ({"habits: [breaks]\n":
                         SPARE.replace("spare:", "spare:" + HERE, 1) + "habits: [breaks]\n"},
                        "exercise 'spare' is never used"),
    "unknown profile key": ({CONDITION: CONDITION.replace("wall_test", "wall_tset") + HERE},
                            "unknown calf-check answer 'wall_tset'"),
    "unknown profile value": ({CONDITION: CONDITION.replace("cannot", "impossible") + HERE},
                              "'wall_test' is never 'impossible'"),
    "below on a choice": ({CONDITION: "      - {answer: wall_test, below: 3}" + HERE},
                          "is not a number: use 'in'"),
    "in on a number": ({CONDITION: "      - {answer: knee_to_wall_cm, in: [low]}" + HERE},
                       "is a number: use 'below'"),
    "unquoted yes": ({CONDITION: "      - {answer: squat_heels_lift, in: [yes]}" + HERE}, "valid string"),
    "adjustment adds nothing": ({"    add_daily: [tap]\n": "", "  tight:\n": "  tight:" + HERE + "\n"},
                                "adds nothing"),
    "over the limits": ({"limits: {exercises: 4": "limits: {exercises: 1", week(1): week(1) + HERE},
                        "over the limits"),
    "six check-in buttons": ({OFFER: OFFER.replace("done,", "done, too_hard,") + HERE}, "6 check-in buttons"),
    "no new-symptom button": ({OFFER: OFFER.replace(", symptom", "") + HERE}, "keeps symptom (safety)"),
    "unknown check-in": ({OFFER: OFFER.replace("too_easy", "easy") + HERE}, "unknown check-in 'easy'"),
    "variant dose without a number": ({EASIER_WORDS: EASIER_WORDS.replace("30 s per calf", "gently") + HERE},
                                      "dose must give an amount"),
    "swap to an unknown exercise": ({EASIER: EASIER.replace("swaps: {}", "swaps: {tap: tip}") + HERE},
                                    "unknown exercise 'tip'"),
    "swapped for itself": ({EASIER: EASIER.replace("swaps: {}", "swaps: {tap: tap}") + HERE},
                           "swapped for itself"),
    "more worse check-ins than days": ({"worse_checkins: 2}": "worse_checkins: 8}" + HERE},
                                       "more than the window's days"),
    "adapt rules without a window": ({"  window: 7\n": "", "adapt:\n": "adapt:" + HERE + "\n"},
                                     "adapt.window: Field required"),
    "bad YAML": ({"    why: Loosens.": "    why: Loosens: a lot" + HERE}, "invalid YAML"),
    "words for an unknown exercise": ({"  tap:\n    name": "  tapp:" + HERE + "\n    name"},
                                      "exercise 'tapp' is not in plan.yaml"),
    "a placeholder dropped": ({'tip: "{tip}"': 'tip: "Tip"}' + HERE + "\n#"}, "fills in"),
}


def write_plan(tmp_path: Path, edits: dict[str, str], spanish: bool = False) -> tuple[Path, int]:
    """Write MINIMAL and its texts with `edits`; return the path of the file edited and the line marked
    `# HERE`."""
    files = {tmp_path / "plan.yaml": MINIMAL, tmp_path / "texts" / "en.yaml": MINIMAL_TEXTS}
    if spanish:  # a second locale: edits go to it, so that its problems are compared with the English
        files[tmp_path / "texts" / "es.yaml"] = MINIMAL_TEXTS
    (tmp_path / "texts").mkdir(exist_ok=True)
    for old, new in edits.items():
        path = next((p for p in reversed(files) if old in files[p]), None)
        assert path is not None, old
        files[path] = files[path].replace(old, new, 1)
    for path, text in files.items():
        path.write_text(text)
    marked = next((p for p, t in files.items() if HERE in t), tmp_path / "plan.yaml")
    return marked, next((i for i, line in enumerate(files[marked].splitlines(), 1) if HERE in line), 0)


def test_the_minimal_plan_is_valid(tmp_path):
    path, _ = write_plan(tmp_path, {})
    assert check_plan(path) == []


@pytest.mark.parametrize("edits, fragment", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_plan_is_rejected_at_its_line(tmp_path, edits, fragment):
    path, line = write_plan(tmp_path, edits, spanish="placeholder" in fragment or "fills in" in fragment)
    with pytest.raises(FlowsInvalid) as exc:
        load_plan(tmp_path / "plan.yaml")
    problems = [str(p) for p in exc.value.problems]
    assert any(p.startswith(f"{path}:{line}: ") and fragment in p for p in problems), problems
