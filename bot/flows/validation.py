"""Semantic checks of a parsed FlowSet: every rule a flow must follow beyond its shape."""
from __future__ import annotations

import string
from typing import TYPE_CHECKING

from bot import values
from bot.flows.model import YES_NO, Flow, State
from bot.flows.lint import lint
from bot.flows.safety import prove
from bot.flows.translations import check_locales
from bot.sourcefile import SourceError

if TYPE_CHECKING:
    from bot.flows.model import FlowSet

ACTIONS = frozenset({"accept_coaching", "decline_coaching", "enrol", "set_time", "set_zone",
                     "record_measurement", "hold_plan", "resume_plan", "record_clearance", "record_baseline",
                     "record_week", "pause_plan"})
TRIAGE_FLOW = "triage"
MAX_BUTTONS = 7  # Telegram shows one button a row: more make a question hard to read on a phone
# Texts the code says itself (hints, commands, errors); every locale must have them.
CODE_TEXTS = (
    "hint.yes_no", "hint.choice", "hint.number", "hint.text", "hint.time", "hint.timezone", "hint.stale",
    "hint.idle",
    "service.resume", "service.help", "service.privacy", "service.stopped", "service.unknown_command",
    "service.unsupported", "service.delete_ask", "service.delete_confirm", "service.delete_cancel",
    "service.deleted", "service.delete_kept", "service.delete_expired", "error.storage",
    "command.start", "command.restart", "command.help", "command.privacy", "command.stop", "command.delete",
    "command.plan", "command.progress", "command.pause", "command.resume", "command.time", "command.timezone",
    "coaching.confirmed", "coaching.time_changed", "coaching.zone_changed", "coaching.still_paused",
    "coaching.not_enrolled", "coaching.paused", "coaching.resumed", "coaching.already_active",
    "coaching.flagged", "coaching.flag_paused", "coaching.checking", "checkin.done", "checkin.skipped",
    "checkin.worse", "checkin.symptom",
    "checkin.thanks_done", "checkin.thanks_skipped", "measure.recorded", "progress.none", "progress.summary",
    "progress.chart_title", "progress.chart_axis", "progress.chart_caption", "screen.noted", "screen.late",
    "plan.rescreen", "plan.rescreen_start", "checkin.too_easy", "checkin.too_hard", "checkin.thanks_too_easy",
    "checkin.thanks_too_hard",
    "chart.knee_to_wall", "chart.knee_to_wall_axis", "chart.pain", "chart.pain_axis", "chart.function",
    "chart.function_axis", "review.title", "review.pain", "review.function", "review.activity",
    "review.knee_to_wall", "review.adherence", "review.missing", "review.better", "review.worse",
    "review.same",
    "review.maintenance", "review.physiotherapist", "review.chart_caption",
    "export.title", "export.made", "export.triage", "export.triage_none", "export.flags", "export.no_flags",
    "export.outcome.emergency", "export.outcome.urgent", "export.outcome.professional",
    "export.outcome.coaching",
    "export.calf_check", "export.answer.squat_heels_lift", "export.answer.feet_turn_out",
    "export.answer.tension_after_standing", "export.answer.leans_on_back", "export.answer.wall_test",
    "export.answer.knee_to_wall_cm", "export.plan", "export.no_plan", "export.adherence", "export.activities",
    "export.activity", "export.pain", "export.no_value", "export.charts", "export.caption",
    "export.json_caption",
    "plan.rescreen", "plan.rescreen_start", "command.language", "format.date", "format.chart_date",
    "format.locale", "terminal.intro",
    "terminal.picture",
)


def check(flowset: FlowSet) -> list[SourceError]:
    """All problems of the set; the safety proof runs only on structurally sound flows."""
    problems: list[SourceError] = []
    for flow in flowset.flows.values():
        problems += _check_flow(flowset, flow)
    problems += _check_uses(flowset)
    if flowset.alerts:
        for key in ("flow", "screen"):
            if getattr(flowset.alerts, key) not in flowset.flows:
                problems.append(flowset.alerts_source.error(
                    (key,), f"alerts name unknown {key} {getattr(flowset.alerts, key)!r}"))
    problems += _check_vocabularies(flowset)
    for locale, source in flowset.text_sources.items():
        missing = [k for k in CODE_TEXTS if k not in source.data]
        if missing:
            problems.append(source.error((), f"texts/{locale}.yaml lacks keys the code uses: "
                                             f"{', '.join(missing)}"))
    problems += check_locales(flowset) + lint(flowset)
    return sorted(problems or prove(flowset), key=lambda p: (p.path, p.line))


def _check_flow(flowset: FlowSet, flow: Flow) -> list[SourceError]:
    source = flowset.sources[flow.id]
    problems: list[SourceError] = []

    def problem(loc: tuple, message: str) -> None:
        problems.append(source.error(loc, message))

    if flow.start not in flow.states:
        problem(("start",), f"start names unknown state {flow.start!r}")
    for name, state in flow.states.items():
        at = ("states", name)
        for message, loc in _state_rules(flowset, state):
            problem(at + loc, f"state {name!r}: {message}")
        for i, answer in enumerate(state.options):
            if answer.next not in flow.states:
                problem(at + ("answers", i, "next"),
                        f"state {name!r}: answer {answer.id!r} goes to unknown state {answer.next!r}")
        for value, target in state.cases.items():
            if target not in flow.states:
                problem(at + ("cases", value),
                        f"state {name!r}: case {value!r} goes to unknown state {target!r}")
        if state.next and state.next not in flow.states:
            problem(at + ("next",), f"state {name!r}: next names unknown state {state.next!r}")
        if state.otherwise and state.otherwise not in flow.states:
            problem(at + ("otherwise",), f"state {name!r}: otherwise names unknown state {state.otherwise!r}")
        for key, loc in _text_keys(state):
            for locale, texts in flowset.texts.items():
                if key not in texts:
                    problem(at + loc, f"state {name!r}: text key {key!r} is missing from texts/{locale}.yaml")
        for locale, texts in flowset.texts.items():
            holes = _placeholders(texts.get(state.say or "", ""))
            if holes != set(state.fill) and (state.say in texts):
                problem(at + (("fill",) if state.fill else ("say",)),
                        f"state {name!r}: texts/{locale}.yaml {state.say!r} has placeholders "
                        f"{sorted(holes) or 'none'}, fill gives {sorted(state.fill) or 'none'}")
    if problems:
        return problems
    reachable = _reachable(flow, [flow.start])
    for name in flow.states:
        if name not in reachable:
            problem(("states", name), f"state {name!r} is unreachable from {flow.start!r}")
    exits = {n for n, s in flow.states.items()
             if s.kind in ("end", "return") or (s.kind == "outcome" and not s.next)}
    for name in reachable:
        if not _reachable(flow, [name]) & exits:
            problem(("states", name), f"state {name!r} has no way out: no path from it ends the flow")
    return problems


def _state_rules(flowset: FlowSet, state: State) -> list[tuple[str, tuple]]:
    """(message, location within the state) for each broken rule of one state."""
    out: list[tuple[str, tuple]] = []
    kinds = [k for k, on in (("ask", state.ask), ("outcome", state.outcome), ("use", state.use),
                             ("switch", state.switch), ("end", state.end), ("return", state.return_)) if on]
    if len(kinds) > 1:
        out.append((f"a state is one kind of thing, but this has {' and '.join(kinds)}", (kinds[1],)))
        return out
    kind = state.kind
    if state.answers and state.ask not in ("yes_no", "choice", "text"):
        out.append(("only yes_no, choice and text questions have answers", ("answers",)))
    if state.ask == "text" and state.answers:
        out += [(f"answer {a.id!r} needs a label", ("answers", i))
                for i, a in enumerate(state.answers) if not a.label]
    if state.only_if and not (state.typed or kind == "message"):
        out.append(("only a number, text, time or timezone question, or a message, has only_if",
                    ("only_if",)))
    if state.fill and not state.say:
        out.append(("fill needs say", ("fill",)))
    if len(state.options) + len(state.choices) > MAX_BUTTONS:
        out.append((f"more than {MAX_BUTTONS} buttons on one message",
                    ("choices" if state.choices else "answers",)))
    if state.screens and state.ask not in ("yes_no", "choice"):
        out.append(("only yes_no and choice questions can screen red flags", ("screens",)))
    if kind in ("message", "use", "switch") and not state.next:
        out.append((f"a {kind} state needs next", ()))
    if kind in ("end", "return") and state.next:
        out.append((f"an {kind} state cannot have next", ("next",)))
    if kind == "message" and not state.say:
        out.append(("a state that only moves on must say something", ()))
    if state.ask in ("yes_no", "choice"):
        if state.answers and state.next:
            out.append(("a question with answers goes on from its answers, not next", ("next",)))
        if state.screens and not state.answers:
            out.append(("a question that screens red flags lists its answers, each saying whether it is "
                        "positive", ("screens",)))
        if not state.say:
            out.append(("a question needs say", ()))
        out += _answer_rules(state)
    if state.choices and state.ask not in ("time", "timezone", "number"):
        out.append(("only time, timezone and number questions have choices", ("choices",)))
    parse = {"time": values.clock_time, "timezone": values.time_zone,
             "number": lambda c: c if _within(c, state.min or 0, state.max or 0) else None}
    for i, choice in enumerate(state.choices):
        if state.ask in parse and parse[state.ask](choice) != choice:
            out.append((f"choice {choice!r} is not a valid {state.ask} (write HH:MM, an IANA zone name, or a "
                        "number within min and max)", ("choices", i)))
    if state.typed:
        if not state.next:
            out.append((f"a {state.ask} question needs next", ()))
        if not state.store:
            out.append((f"a {state.ask} question needs store", ()))
        if not state.say:
            out.append(("a question needs say", ()))
    if state.ask == "number":
        if state.min is None or state.max is None:
            out.append(("a number question needs min and max", ()))
        elif state.min > state.max:
            out.append((f"min {state.min:g} is above max {state.max:g}", ("min",)))
    elif state.min is not None or state.max is not None:
        out.append(("only number questions have min and max", ("min" if state.min is not None else "max",)))
    for i, flag in enumerate(state.screens):
        if flag not in flowset.clinical.flag_ids:
            out.append((f"unknown red flag {flag!r} (see red-flags.yaml)", ("screens", i)))
    if state.both_sides is not None and (state.both_sides not in flowset.clinical.flag_ids
                                         or not state.screens):
        out.append((f"both_sides names {state.both_sides!r}: a red flag of red-flags.yaml, on a question "
                    "that screens red flags", ("both_sides",)))
    if state.outcome:
        if state.outcome not in flowset.clinical.outcome_ids:
            out.append((f"unknown outcome {state.outcome!r}", ("outcome",)))
        elif state.next and not flowset.clinical.enrols(state.outcome):
            out.append((f"the {state.outcome!r} outcome ends the conversation; it cannot have next",
                        ("next",)))
    if state.otherwise and (state.ask not in ("yes_no", "choice") or state.screens):
        out.append(("only a yes_no or choice question that screens no red flag has otherwise (a red-flag "
                    "question asks again)", ("otherwise",)))
    if state.cases and not state.switch:
        out.append(("only a switch state has cases", ("cases",)))
    for value in state.cases:
        if value not in flowset.clinical.outcome_ids:
            out.append((f"case {value!r} is not an outcome of red-flags.yaml", ("cases", value)))
    if state.use and state.use not in flowset.flows:
        out.append((f"uses unknown flow {state.use!r}", ("use",)))
    if state.action and state.action not in ACTIONS:
        out.append((f"unknown action {state.action!r}", ("action",)))
    return out


def _answer_rules(state: State) -> list[tuple[str, tuple]]:
    out: list[tuple[str, tuple]] = []
    ids = [a.id for a in state.options]
    if state.ask == "yes_no" and sorted(ids) != sorted(YES_NO):
        out.append((f"a yes_no question has exactly the answers yes, no and not_sure "
                    f"(got {', '.join(ids) or 'none'})", ("answers",)))
    if state.ask == "choice" and len(ids) < 2:
        out.append(("a choice question needs at least two answers", ("answers",)))
    for i, answer in enumerate(state.options):
        at = ("answers", i)
        if answer.id in ids[:i]:
            out.append((f"duplicate answer id {answer.id!r}", at + ("id",)))
        if state.ask == "choice" and not answer.label:
            out.append((f"answer {answer.id!r} needs a label", at))
        if state.screens and answer.positive is None:
            out.append((f"answer {answer.id!r} must declare positive: true or false (the question screens "
                        "red flags)", at))
        if answer.id == "not_sure" and answer.positive is False:
            out.append(("'not sure' counts as yes: it cannot be positive: false", at + ("positive",)))
        if answer.action and answer.action not in ACTIONS:
            out.append((f"unknown action {answer.action!r}", at + ("action",)))
    return out


def _placeholders(template: str) -> set[str]:
    """The {names} a text has."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"(unbalanced braces)"}


def _text_keys(state: State) -> list[tuple[str, tuple]]:
    keys = [(k, (f,)) for f, k in (("say", state.say), ("unit", state.unit)) if k]
    for i, answer in enumerate(state.options):
        keys.append((answer.label or f"answer.{answer.id}", ("answers", i)))
    return keys


def _reachable(flow: Flow, start: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.states:
            continue
        seen.add(name)
        todo += flow.states[name].targets()
    return seen


def _check_vocabularies(flowset: FlowSet) -> list[SourceError]:
    """Symptom vocabularies name known flags and word classes, give every flag words, and have no empty
    phrase."""
    problems: list[SourceError] = []
    for locale, vocabulary in flowset.vocabularies.items():
        source = flowset.vocabulary_sources[locale]
        for flag, phrases in vocabulary.flags.items():
            if flag not in flowset.clinical.flag_ids:
                problems.append(source.error(("flags", flag),
                                             f"unknown red flag {flag!r} (see red-flags.yaml)"))
            for i, phrase in enumerate(phrases):
                if not values.normalize(phrase.replace("*", "").replace("{n}", "1")):
                    problems.append(source.error(("flags", flag, i), f"phrase {phrase!r} has no words"))
        for key in ("places", "legs"):
            for i, name in enumerate(getattr(vocabulary, key)):
                if name not in vocabulary.words:
                    problems.append(source.error((key, i), f"{name!r} is no word class of `words`"))
        missing = [f for f in flowset.clinical.flag_ids if not vocabulary.flags.get(f)]
        if missing:
            problems.append(source.error(("flags",), f"no words for red flags: {', '.join(missing)}"))
    for locale, replies in flowset.replies.items():  # the questions a correction names, by their flags
        for flag in replies.topics:
            if flag not in flowset.clinical.flag_ids:
                problems.append(flowset.replies_sources[locale].error(
                    ("topics", flag), f"unknown red flag {flag!r} (see red-flags.yaml)"))
    return problems


def _check_uses(flowset: FlowSet) -> list[SourceError]:
    """Flows may not use themselves, directly or through others; the triage flow screens every flag."""
    problems: list[SourceError] = []
    for flow in flowset.flows.values():
        for name, state in flow.states.items():
            if state.use and flow.id in _used_by(flowset, state.use):
                problems.append(flowset.sources[flow.id].error(
                    ("states", name, "use"),
                    f"state {name!r}: using {state.use!r} leads back to {flow.id!r} (flows cannot recurse)"))
    triage = flowset.flows.get(TRIAGE_FLOW)
    if triage is not None and not problems:
        screened = {f for fid in _used_by(flowset, TRIAGE_FLOW) for s in flowset.flows[fid].states.values()
                    for f in s.screens}
        missing = [f for f in flowset.clinical.flag_ids if f not in screened]
        if missing:
            problems.append(flowset.sources[TRIAGE_FLOW].error(
                ("id",), f"the triage flow never screens these red flags: {', '.join(missing)}"))
    return problems


def _used_by(flowset: FlowSet, flow_id: str) -> set[str]:
    """`flow_id` and every flow it uses, transitively."""
    seen: set[str] = set()
    todo = [flow_id]
    while todo:
        fid = todo.pop()
        if fid in seen or fid not in flowset.flows:
            continue
        seen.add(fid)
        todo += [s.use for s in flowset.flows[fid].states.values() if s.use]
    return seen


def _within(text: str, low: float, high: float) -> bool:
    """Whether a number choice is written as a plain number from `low` to `high`."""
    try:
        return low <= float(text) <= high
    except ValueError:
        return False
