"""The engine: compiles each flow into one shared `transitions` Machine and moves progress through it."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from transitions import Machine

from bot.engine import replies
from bot.engine.events import (Action, Answered, Button, Event, Interrupt, Message, Outcome, Output, Press,
                               Refused, Repeat, Start, Text)
from bot.engine.progress import Progress
from bot.flows.model import Answer, Flow, State

if TYPE_CHECKING:
    from bot.flows.load import FlowSet

ADVANCE = "advance"
RESUME = "resume"  # marks a stack frame left by an Interrupt: return there and ask again


class _Cursor:
    """A throwaway model for a shared Machine: it carries only `state`."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


def _trigger(answer: str) -> str:
    return f"answer:{answer}"


def compile_flow(flow: Flow) -> Machine:
    """One Machine per flow, shared by everyone; it holds no person's state."""
    transitions = []
    for name, state in flow.states.items():
        transitions += [{"trigger": _trigger(a.id), "source": name, "dest": a.next} for a in state.options]
        if state.next and not state.options:
            transitions.append({"trigger": ADVANCE, "source": name, "dest": state.next})
    return Machine(model=None, states=list(flow.states), transitions=transitions, initial=flow.start,
                   auto_transitions=False, send_event=False)


class Engine:
    """Pure: `handle(progress, event)` returns new progress and outputs, touching nothing else."""

    def __init__(self, flowset: FlowSet):
        self.flowset = flowset
        self.flows = flowset.flows
        self._machines = {fid: compile_flow(flow) for fid, flow in self.flows.items()}
        self._asked: dict[tuple[str, str, str], tuple[str, tuple[Button, ...]]] = {}
        alerts = flowset.alerts
        self._alert_flow = alerts.flow if alerts else None
        self._alert = re.compile("|".join(rf"\b{re.escape(replies.normalize(p))}" for p in alerts.phrases)) \
            if alerts else None

    def handle(self, progress: Progress, event: Event) -> tuple[Progress, list[Output]]:
        p = progress.copy()
        out: list[Output] = []
        match event:
            case Start(flow):
                p = Progress(locale=p.locale, step=p.step)  # refs keep counting: old buttons stay stale
                self._goto(p, flow, self.flows[flow].start, out)
            case Press():
                self._press(p, event, out)
            case Text(text):
                self._typed(p, text, out)
            case Repeat():
                if p.active:
                    out.append(self._question(p, self._state(p)))
            case Interrupt(flow):
                self._interrupt(p, flow, out)
        return p, out

    def text(self, locale: str, key: str, **values: object) -> str:
        """The text for `key` in `locale` (English if that locale lacks it), with {values} filled in."""
        texts = self.flowset.texts.get(locale) or self.flowset.texts["en"]
        template = texts.get(key) or self.flowset.texts["en"][key]
        return template.format(**values) if values else template

    def _state(self, p: Progress) -> State:
        return self.flows[p.flow].states[p.state]

    def _goto(self, p: Progress, flow: str, state: str, out: list[Output]) -> None:
        p.flow, p.state = flow, state
        self._settle(p, out)

    def _interrupt(self, p: Progress, flow: str, out: list[Output]) -> None:
        """Run `flow` now, then come back to the question that was asked; a flow already running starts over."""
        running = next((i for i, frame in enumerate(p.stack) if frame[0] == flow), None)
        if running is not None:
            del p.stack[running:]
        elif p.active and p.flow != flow:
            p.stack.append([p.flow, p.state, RESUME])
        self._goto(p, flow, self.flows[flow].start, out)

    def _fire(self, p: Progress, trigger: str) -> None:
        cursor = _Cursor(p.state)
        self._machines[p.flow].events[trigger].trigger(cursor)
        p.state = cursor.state

    def _settle(self, p: Progress, out: list[Output]) -> None:
        """Enter states until one waits for the person, or the conversation ends."""
        while True:
            state = self._state(p)
            kind = state.kind
            if kind == "question":
                p.step += 1
                out.append(self._question(p, state))
                return
            if state.say:
                out.append(Message(self.text(p.locale, state.say)))
            if state.action:
                out.append(Action(state.action, dict(p.answers)))
            if kind == "outcome":
                p.outcome = state.outcome
                out.append(Outcome(state.outcome, tuple(p.flags)))
            if kind == "use":
                p.stack.append([p.flow, p.state])
                p.flow, p.state = state.use, self.flows[state.use].start
            elif kind == "return" and p.stack:
                frame = p.stack.pop()
                p.flow, p.state = frame[0], frame[1]
                if frame[2:] != [RESUME]:
                    self._fire(p, ADVANCE)
            elif state.next:
                self._fire(p, ADVANCE)
            else:
                p.flow = p.state = None
                p.stack.clear()
                return

    def _question(self, p: Progress, state: State) -> Message:
        key = (p.locale, p.flow, p.state)
        asked = self._asked.get(key)
        if asked is None:
            buttons = tuple(Button(a.id, self._label(p, a)) for a in state.options) + tuple(
                Button(f"c{i}", _choice_label(state, c)) for i, c in enumerate(state.choices))
            asked = self._asked[key] = (self.text(p.locale, state.say), buttons)
        return Message(asked[0], asked[1], state.screens, p.ref)

    def _label(self, p: Progress, answer: Answer) -> str:
        return self.text(p.locale, answer.label or f"answer.{answer.id}")

    def _press(self, p: Progress, press: Press, out: list[Output]) -> None:
        state = self._state(p) if p.active else None
        option = next((a for a in state.options if a.id == press.answer), None) if state else None
        picked = _picked(state, press.answer) if state else None
        if (option is None and picked is None) or press.ref not in (None, p.ref):
            out.append(Refused(self.text(p.locale, "hint.stale")))
        elif option is not None:
            self._answer(p, state, option, option.id, self._label(p, option), out)
        else:
            self._answer(p, state, None, picked, _choice_label(state, picked), out)

    def _mentions_symptom(self, text: str) -> bool:
        return bool(self._alert and self._alert.search(replies.normalize(text)))

    def _typed(self, p: Progress, text: str, out: list[Output]) -> None:
        if self._mentions_symptom(text):  # never taken as an answer: the whole screen runs again
            self._interrupt(p, self._alert_flow, out)
            return
        if not p.active:
            out.append(Refused(self.text(p.locale, "hint.idle")))
            return
        state = self._state(p)
        if state.ask == "yes_no":
            found = replies.yes_no(text)
            option = next((a for a in state.options if a.id == found), None)
        elif state.ask == "choice":
            index = replies.choice(text, [self._label(p, a) for a in state.options])
            option = state.options[index] if index is not None else None
        else:
            option = None
        if option is not None:
            self._answer(p, state, option, option.id, self._label(p, option), out)
            return
        value: object = None
        if state.ask == "number":
            value = replies.number(text, state.min, state.max)
        elif state.ask == "time":
            value = replies.clock_time(text)
        elif state.ask == "timezone":
            value = replies.time_zone(text)
        elif state.ask == "text" and text.strip():
            value = text.strip()
        if value is None:
            hint = self.text(p.locale, f"hint.{state.ask}", min=f"{state.min:g}", max=f"{state.max:g}") \
                if state.ask == "number" else self.text(p.locale, f"hint.{state.ask}")
            out += [Message(hint), self._question(p, state)]
            return
        unit = f" {self.text(p.locale, state.unit)}" if state.unit else ""
        label = _choice_label(state, value) if state.ask == "timezone" else f"{value}{unit}"
        self._answer(p, state, None, value, label, out)

    def _answer(self, p: Progress, state: State, option: Answer | None, value: object, label: str,
                out: list[Output]) -> None:
        """Record the answer, then move on along its transition."""
        out.append(Answered(p.ref, label))
        if state.store:
            p.answers[state.store] = value
        if state.screens and option and (option.positive or option.id == "not_sure"):
            p.flags += [f for f in state.screens if f not in p.flags]
        if option and option.action:
            out.append(Action(option.action, dict(p.answers)))
        self._fire(p, _trigger(option.id) if option else ADVANCE)
        self._settle(p, out)


def _choice_label(state: State, value: str) -> str:
    """A time as written; a time zone by its place ("Europe/New_York" -> "New York")."""
    return value.rsplit("/", 1)[-1].replace("_", " ") if state.ask == "timezone" else value


def _picked(state: State, answer: str) -> str | None:
    """The choice a button id such as 'c2' stands for."""
    index = answer[1:]
    if answer.startswith("c") and index.isdigit() and int(index) < len(state.choices):
        return state.choices[int(index)]
    return None
