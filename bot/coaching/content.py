"""The shape of content/plan.yaml (the structure) and content/texts/<locale>.yaml (its words, keyed by
the same ids), and `load_plan`, which rejects bad content at its file:line."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.flows.load import FlowsInvalid, validation_problems
from bot.flows.model import NAME, YES_NO, Reviewed
from bot.flows.translations import compare
from bot.sourcefile import Loc, Source, SourceError, load_source

PLAN_PATH = Path(__file__).resolve().parents[2] / "content" / "plan.yaml"
TEXTS_DIR = "texts"  # beside plan.yaml: one file of words per locale
WEEKS = 6
DAYS_PER_WEEK = 7
DAYS = WEEKS * DAYS_PER_WEEK

# The calf-check answers the triage flow stores: the values each may take, or None for a number.
PROFILE: dict[str, tuple[str, ...] | None] = {
    "squat_heels_lift": YES_NO,
    "feet_turn_out": YES_NO,
    "tension_after_standing": YES_NO,
    "leans_on_back": YES_NO,
    "wall_test": ("easy", "hard", "cannot"),
    "knee_to_wall_cm": None,
}

Id = Annotated[str, Field(pattern=NAME, max_length=32)]
Weekday = Annotated[int, Field(ge=1, le=DAYS_PER_WEEK)]
WeekNumber = Annotated[int, Field(ge=1, le=WEEKS)]
Focus = Literal["release", "stretch", "ankle", "strength", "balance"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Exercise(_Model):
    """One exercise: how long it takes and what it works on (its words are in the texts)."""

    minutes: float = Field(gt=0, le=5)
    focus: tuple[Focus, ...] = Field(min_length=1)


class ExerciseText(_Model):
    """One exercise in one language: what to do, how much, and why, in a few words each."""

    name: str = Field(min_length=1, max_length=32)
    dose: str = Field(min_length=1, max_length=72)
    why: str = Field(min_length=1, max_length=68)


class Week(_Model):
    """One week: `daily` every day, plus `mobility` on its `mobility_days` (1 = the week's first day).

    The optional `note` (why this week's work matters) is shown on the week's first day.
    """

    week: int
    daily: tuple[Id, ...] = Field(min_length=1)
    mobility: tuple[Id, ...] = ()
    mobility_days: tuple[Weekday, ...] = ()
    habits: tuple[Id, ...] = Field(min_length=1)

    def exercise_ids(self, mobility_day: bool, adjustments: Iterable[Adjustment]) -> list[str]:
        """The day's exercise ids in order, without repeats."""
        ids = [*self.daily, *(self.mobility if mobility_day else ()),
               *(i for a in adjustments for i in a.add_daily)]
        return list(dict.fromkeys(ids))


class Condition(_Model):
    """Matches when the profile's `answer` is one of `in`, or is a number below `below`."""

    answer: str
    in_: tuple[str, ...] | None = Field(None, alias="in")
    below: float | None = None


class Adjustment(_Model):
    """Extra exercises or habits in `weeks`, for people matching any of `when`."""

    when: tuple[Condition, ...] = Field(min_length=1)
    weeks: tuple[WeekNumber, ...] = tuple(range(1, WEEKS + 1))
    add_daily: tuple[Id, ...] = ()
    add_habits: tuple[Id, ...] = ()


class Maintenance(_Model):
    """The weekly message after the six weeks; habits rotate week by week."""

    exercises: tuple[Id, ...] = Field(min_length=1)
    habits: tuple[Id, ...] = Field(min_length=1)
    measure: bool = True


class Limits(_Model):
    """The most one day may hold when every adjustment applies."""

    exercises: int = Field(ge=1)
    minutes: float = Field(gt=0)


Dose = Annotated[str, Field(min_length=1, max_length=56)]
CHECKINS = ("done", "skipped", "worse", "symptom", "too_easy", "too_hard")
ALWAYS = ("worse", "symptom")  # every day's message keeps the ways to report pain and a new symptom
MAX_BUTTONS = 5
VARIANTS = ("standard", "easier", "harder")


class Variant(_Model):
    """An easier or harder version of any week: exercises swapped, at most `max_exercises` (its label, note
    and other doses are words, in the texts)."""

    max_exercises: int | None = Field(None, ge=1)
    swaps: dict[Id, Id] = {}


class VariantText(_Model):
    """A variant in one language: its short label, why it is shown, and the doses it changes."""

    label: str = Field(min_length=1, max_length=16)
    note: str = Field(min_length=1, max_length=260)
    doses: dict[Id, Dose] = {}


class VariantTexts(_Model):
    easier: VariantText
    harder: VariantText


class Variants(_Model):
    easier: Variant
    harder: Variant


class EasierRule(_Model):
    """The easier variant when pain rose `pain_rise` from the baseline, or on `worse_checkins` "Pain is
    worse"."""

    pain_rise: float = Field(gt=0, le=10)
    worse_checkins: int = Field(ge=1)


class HarderRule(_Model):
    """"Too easy" offered after `done_days` days in a row done, with pain no worse than the baseline."""

    done_days: int = Field(ge=1)


class NudgeRule(_Model):
    """After `missed_days` plan days in a row without a check-in, run `flow`."""

    missed_days: int = Field(ge=1)
    flow: Annotated[str, Field(pattern=NAME)]


class Checkins(_Model):
    """The check-in buttons of a day's message, per variant."""

    standard: tuple[str, ...]
    offer_harder: tuple[str, ...]
    harder: tuple[str, ...]
    easier: tuple[str, ...]


class Adapt(_Model):
    window: int = Field(ge=1, le=DAYS)
    easier: EasierRule
    harder: HarderRule
    nudge: NudgeRule
    checkins: Checkins


class Review(_Model):
    """The week-6 review: working if pain fell or the activities' average rose by `improve_by` points."""

    improve_by: float = Field(gt=0, le=10)


class WeekText(_Model):
    """A week's words: its theme, and the note shown on its first day (why this week's work matters)."""

    theme: str = Field(min_length=1, max_length=56)
    note: str | None = Field(None, max_length=260)


class MaintenanceText(_Model):
    theme: str = Field(min_length=1, max_length=56)
    checklist: tuple[str, ...] = ()


class Format(_Model):
    """How a day's message is put together; {placeholders} as in the English."""

    day_title: str = Field(description="{day} {days} {week} {theme}")
    maintenance_title: str = Field(description="{week} {theme}")
    minutes: str = Field(description="{heading} {minutes}: the title with the day's length")
    step: str = Field(description="{name} {dose} {why}: one exercise")
    this_week: str = Field(description="{items}: the maintenance checklist")
    tip: str = Field(description="{tip}")
    separator: str = Field("; ", description="between checklist items")


class PlanTexts(_Model):
    """Every sentence of the plan in one language (content/texts/<locale>.yaml)."""

    reviewed: Reviewed
    format: Format
    measure_prompt: str = Field(min_length=1, max_length=140)
    safety: str = Field(min_length=1, max_length=300)
    exercises: dict[Id, ExerciseText]
    habits: dict[Id, Annotated[str, Field(min_length=1, max_length=110)]]
    weeks: dict[WeekNumber, WeekText]
    maintenance: MaintenanceText
    variants: VariantTexts


class Plan(_Model):
    """The whole coaching plan: its structure, and its words in each language (`texts`, by locale)."""

    measure_every: int = Field(ge=1, le=DAYS)
    rescreen_after: int = Field(DAYS, ge=1, description="After this day the red-flag screen runs again "
                                                         "before the next plan message")
    limits: Limits
    exercises: dict[Id, Exercise]
    habits: tuple[Id, ...] = Field(min_length=1, description="Every tip's id; its words are in the texts")
    weeks: tuple[Week, ...]
    adjustments: dict[Id, Adjustment] = {}
    maintenance: Maintenance
    variants: Variants
    adapt: Adapt
    review: Review
    texts: dict[str, PlanTexts] = {}

    def words(self, locale: str | None) -> PlanTexts:
        """The plan's words in `locale`, or in English."""
        return self.texts.get(locale or "en") or self.texts["en"]


def load_plan(path: Path = PLAN_PATH) -> Plan:
    """Parse and check the plan; raise FlowsInvalid listing every `file:line: message`."""
    plan, problems = _read(path)
    if problems or plan is None:
        raise FlowsInvalid(problems)
    return plan


def check_plan(path: Path = PLAN_PATH) -> list[SourceError]:
    """Every problem in the plan file; empty if it is fine."""
    return _read(path)[1]


def _read(path: Path) -> tuple[Plan | None, list[SourceError]]:
    try:
        source = load_source(Path(path))
        plan = Plan.model_validate(source.data)
    except SourceError as exc:
        return None, [exc]
    except ValidationError as exc:
        return None, validation_problems(source, exc)
    texts, sources, problems = {}, {}, []
    for file in sorted((Path(path).parent / TEXTS_DIR).glob("*.yaml")):
        try:
            sources[file.stem] = load_source(file)
            texts[file.stem] = PlanTexts.model_validate(sources[file.stem].data)
        except SourceError as exc:
            problems.append(exc)
        except ValidationError as exc:
            problems += validation_problems(sources[file.stem], exc)
    if "en" not in texts and not problems:
        problems.append(SourceError(Path(path).parent / TEXTS_DIR / "en.yaml", 1,
                                    "the plan has no English texts"))
    if problems:
        return None, problems
    plan = plan.model_copy(update={"texts": texts})
    problems = [*_check_refs(plan, source), *_check_weeks(plan, source), *_check_adjustments(plan, source),
                *_check_doses_and_limits(plan, source), *_check_variants(plan, source),
                *_check_adapt(plan, source)]
    for locale, words in texts.items():
        problems += _check_words(plan, words, sources[locale])
    flat = {locale: _flat(sources[locale].data) for locale in texts}
    problems += compare({k: _FlatSource(v, flat[k]) for k, v in sources.items()}, flat, "content/texts")
    return plan, problems


class _FlatSource(Source):
    """A texts source whose keys are dotted paths ("exercises.calf_roll.name"), for `compare`."""

    def __init__(self, source: Source, flat: dict[str, str]):
        super().__init__(source.path, source.data, source.lines)
        self._paths = {key: tuple(int(p) if p.isdigit() else p for p in key.split(".")) for key in flat}

    def line(self, loc: Loc) -> int:
        return super().line(self._paths.get(loc[0], loc) if len(loc) == 1 else loc)


def _flat(data: object, prefix: str = "") -> dict[str, str]:
    """Every string of a texts file by its dotted path (the review header left out)."""
    if isinstance(data, dict):
        return {k: v for key, value in data.items() if key != "reviewed"
                for k, v in _flat(value, f"{prefix}{key}.").items()}
    if isinstance(data, list):
        return {k: v for i, value in enumerate(data) for k, v in _flat(value, f"{prefix}{i}.").items()}
    return {prefix.rstrip("."): str(data)} if data is not None else {}


def _check_words(plan: Plan, words: PlanTexts, source: Source) -> list[SourceError]:
    """A language's words name the plan's ids, and its doses give an amount."""
    problems = [source.error(("exercises", key, "dose"), "dose must give an amount (seconds, reps or sides)")
                for key, ex in words.exercises.items() if not any(c.isdigit() for c in ex.dose)]
    for name in ("easier", "harder"):
        doses = getattr(words.variants, name).doses
        problems += [source.error(("variants", name, "doses", key),
                                  "dose must give an amount (seconds, reps or sides)")
                     for key, dose in doses.items() if not any(c.isdigit() for c in dose)]
        problems += [source.error(("variants", name, "doses", key), f"exercise {key!r} is not in plan.yaml")
                     for key in doses if key not in plan.exercises]
    for kind, have, known in (("exercise", words.exercises, plan.exercises),
                              ("habit", words.habits, plan.habits),
                              ("week", words.weeks, [w.week for w in plan.weeks])):
        problems += [source.error((f"{kind}s", key), f"{kind} {key!r} is not in plan.yaml") for key in have
                     if key not in known]
        problems += [source.error((f"{kind}s",), f"no words for {kind} {key!r}")
                     for key in known if key not in have]
    return problems


def _refs(plan: Plan) -> list[tuple[Loc, str, str]]:
    """Every (location, kind, id) the plan refers to; kind is "exercise" or "habit"."""
    out: list[tuple[Loc, str, str]] = []

    def add(loc: Loc, kind: str, ids: tuple[str, ...]) -> None:
        out.extend((loc + (i,), kind, ref) for i, ref in enumerate(ids))

    for n, week in enumerate(plan.weeks):
        add(("weeks", n, "daily"), "exercise", week.daily)
        add(("weeks", n, "mobility"), "exercise", week.mobility)
        add(("weeks", n, "habits"), "habit", week.habits)
    for key, adj in plan.adjustments.items():
        add(("adjustments", key, "add_daily"), "exercise", adj.add_daily)
        add(("adjustments", key, "add_habits"), "habit", adj.add_habits)
    for name in ("easier", "harder"):
        variant = getattr(plan.variants, name)
        out += [(("variants", name, "swaps", key), "exercise", ref) for key in variant.swaps
                for ref in (key, variant.swaps[key])]
    add(("maintenance", "exercises"), "exercise", plan.maintenance.exercises)
    add(("maintenance", "habits"), "habit", plan.maintenance.habits)
    return out


def _check_refs(plan: Plan, source: Source) -> list[SourceError]:
    """Unknown ids, ids listed twice in one list, and library entries nothing uses."""
    known = {"exercise": plan.exercises, "habit": plan.habits}
    refs = _refs(plan)
    problems = [source.error(loc, f"unknown {kind} {ref!r}")
                for loc, kind, ref in refs if ref not in known[kind]]
    seen: set[tuple[Loc, str]] = set()
    for loc, _, ref in refs:
        if (loc[:-1], ref) in seen:
            problems.append(source.error(loc, f"{ref!r} is listed twice"))
        seen.add((loc[:-1], ref))
    used = {ref for _, _, ref in refs}
    for kind, library in known.items():
        problems += [source.error((f"{kind}s", key if kind == "exercise" else list(library).index(key)),
                                  f"{kind} {key!r} is never used") for key in library if key not in used]
    return problems


def _check_weeks(plan: Plan, source: Source) -> list[SourceError]:
    """Weeks 1..6 in order; mobility days distinct; no exercise both daily and on mobility days."""
    problems = []
    if len(plan.weeks) != WEEKS:
        problems.append(source.error(("weeks",), f"expected weeks 1 to {WEEKS}, found {len(plan.weeks)}"))
    for n, week in enumerate(plan.weeks):
        if week.week != n + 1:
            problems.append(source.error(("weeks", n, "week"),
                                         f"expected week {n + 1} here, found week {week.week}"))
        if len(set(week.mobility_days)) != len(week.mobility_days):
            problems.append(source.error(("weeks", n, "mobility_days"), "a mobility day is listed twice"))
        if week.mobility_days and not week.mobility:
            problems.append(source.error(("weeks", n, "mobility_days"),
                                         "mobility days but no mobility exercises"))
        problems += [source.error(("weeks", n, "mobility", i), f"{ref!r} is already in daily")
                     for i, ref in enumerate(week.mobility) if ref in week.daily]
    return problems


def _check_adjustments(plan: Plan, source: Source) -> list[SourceError]:
    """Conditions name a calf-check answer and a value it can take; each adjustment adds something."""
    problems = []
    for key, adj in plan.adjustments.items():
        if not adj.add_daily and not adj.add_habits:
            problems.append(source.error(("adjustments", key), "adds nothing (give add_daily or add_habits)"))
        for n, cond in enumerate(adj.when):
            problems += _check_condition(cond, ("adjustments", key, "when", n), source)
    return problems


def _check_condition(cond: Condition, loc: Loc, source: Source) -> list[SourceError]:
    if cond.answer not in PROFILE:
        return [source.error(loc + ("answer",), f"unknown calf-check answer {cond.answer!r} "
                                                f"(known: {', '.join(PROFILE)})")]
    values = PROFILE[cond.answer]
    if (cond.in_ is None) == (cond.below is None):
        return [source.error(loc, "give exactly one of 'in' or 'below'")]
    if values is None and cond.in_ is not None:
        return [source.error(loc + ("in",), f"{cond.answer!r} is a number: use 'below'")]
    if values is not None and cond.below is not None:
        return [source.error(loc + ("below",), f"{cond.answer!r} is not a number: use 'in'")]
    one_of = ", ".join(values or ())
    return [source.error(loc + ("in", i), f"{cond.answer!r} is never {v!r} (it is one of {one_of})")
            for i, v in enumerate(cond.in_ or ()) if v not in values]


def _check_doses_and_limits(plan: Plan, source: Source) -> list[SourceError]:
    """No week's fullest day goes over the limits."""
    problems = []
    for n, week in enumerate(plan.weeks):
        adjustments = [a for a in plan.adjustments.values() if week.week in a.weeks]
        ids = [i for i in week.exercise_ids(True, adjustments) if i in plan.exercises]
        minutes = sum(plan.exercises[i].minutes for i in ids)
        if len(ids) > plan.limits.exercises or minutes > plan.limits.minutes:
            limits = f"({plan.limits.exercises}, {plan.limits.minutes:g} min)"
            problems.append(source.error(("weeks", n), f"with every adjustment a mobility day has {len(ids)} "
                                                       f"exercises and {minutes:g} min, over the limits "
                                                       + limits))
    return problems


def _check_variants(plan: Plan, source: Source) -> list[SourceError]:
    """Variant doses give an amount; a swap changes something; the harder fullest day stays within the
    limits."""
    problems = []
    for name in ("easier", "harder"):
        variant = getattr(plan.variants, name)
        at = ("variants", name)
        problems += [source.error(at + ("swaps", key), f"{key!r} is swapped for itself")
                     for key, target in variant.swaps.items() if key == target]
    for n, week in enumerate(plan.weeks):
        adjustments = [a for a in plan.adjustments.values() if week.week in a.weeks]
        ids = [plan.variants.harder.swaps.get(i, i) for i in week.exercise_ids(True, adjustments)]
        ids = [i for i in dict.fromkeys(ids) if i in plan.exercises]
        minutes = sum(plan.exercises[i].minutes for i in ids)
        if len(ids) > plan.limits.exercises or minutes > plan.limits.minutes:
            problems.append(source.error(("variants", "harder"),
                                         f"week {week.week}'s harder fullest day has {len(ids)} exercises "
                                         f"and {minutes:g} min, over the limits"))
    return problems


def _check_adapt(plan: Plan, source: Source) -> list[SourceError]:
    """Check-in buttons: known ids, at most five, none twice, "worse" and "symptom" always; the nudge
    never comes before the harder offer could; the easier rule can fire within its window."""
    problems = []
    adapt = plan.adapt
    for name, buttons in adapt.checkins:
        at = ("adapt", "checkins", name)
        problems += [source.error(at + (i,), f"unknown check-in {b!r} (known: {', '.join(CHECKINS)})")
                     for i, b in enumerate(buttons) if b not in CHECKINS]
        if len(buttons) > MAX_BUTTONS:
            problems.append(source.error(at, f"{len(buttons)} check-in buttons; at most {MAX_BUTTONS}"))
        if len(set(buttons)) != len(buttons):
            problems.append(source.error(at, "a check-in is listed twice"))
        missing = [b for b in ALWAYS if b not in buttons]
        if missing:
            problems.append(source.error(at, f"every day's message keeps {', '.join(missing)} (safety)"))
    if adapt.easier.worse_checkins > adapt.window:
        problems.append(source.error(("adapt", "easier", "worse_checkins"), "more than the window's days"))
    if adapt.harder.done_days > adapt.window:
        problems.append(source.error(("adapt", "harder", "done_days"), "more than the window's days"))
    return problems


def check_plan_flows(path: Path, plan: Plan, flows: Iterable[str], texts: Iterable[str]) -> list[SourceError]:
    """What the plan names in the flows: the nudge flow, and the texts of its check-in buttons."""
    source = load_source(Path(path))
    flows, texts = set(flows), set(texts)
    problems = []
    if plan.adapt.nudge.flow not in flows:
        problems.append(source.error(("adapt", "nudge", "flow"),
                                     f"no flow {plan.adapt.nudge.flow!r} in flows/"))
    for name, buttons in plan.adapt.checkins:
        problems += [source.error(("adapt", "checkins", name, i), f"text key 'checkin.{b}' is missing")
                     for i, b in enumerate(buttons) if f"checkin.{b}" not in texts]
    return problems
