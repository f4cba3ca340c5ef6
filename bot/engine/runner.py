"""The engine: compiles each flow into one shared `transitions` Machine and moves progress through it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from transitions import Machine

from bot import locales
from bot.engine import replies
from bot.engine.events import (Action, Answered, Button, Event, Interrupt, Message, Outcome, Output, Press,
                               Refused, Repeat, Start, Text)
from bot.engine.progress import Progress
from bot.engine.symptoms import Mentions, Recogniser
from bot.flows.model import Answer, Flow, State
from bot.values import normalize

if TYPE_CHECKING:
    from bot.flows.model import FlowSet

ADVANCE = "advance"
RESUME = "resume"  # marks a stack frame left by an Interrupt: return there and ask again
OTHERWISE = "otherwise"
RECENT_MESSAGES = 2  # typed messages read with the next one, for a sign split across them
BULLET = "•"  # starts a line of a question's text that lists one sign


class _Cursor:
    """A throwaway model for a shared Machine: it carries only `state`."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


def _trigger(answer: str) -> str:
    return f"answer:{answer}"


def _case(value: str) -> str:
    return f"case:{value}"


def positive(state: State, answer: Answer) -> bool:
    """Whether `answer` reports the red flags `state` screens ("not sure" counts as yes)."""
    return bool(state.screens) and (bool(answer.positive) or answer.id == "not_sure")


def compile_flow(flow: Flow) -> Machine:
    """One Machine per flow, shared by everyone; it holds no person's state."""
    transitions = []
    for name, state in flow.states.items():
        transitions += [{"trigger": _trigger(a.id), "source": name, "dest": a.next} for a in state.options]
        transitions += [{"trigger": _case(v), "source": name, "dest": d} for v, d in state.cases.items()]
        if state.otherwise:
            transitions.append({"trigger": OTHERWISE, "source": name, "dest": state.otherwise})
        if state.next and (state.typed or not state.options):
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
        self._recheck = alerts.flow if alerts else None
        self._screen = alerts.screen if alerts else None
        self.recogniser = Recogniser(flowset.vocabularies.values()) if flowset.vocabularies else None
        self.readings = replies.Readings(flowset.replies.values())
        # a one-leg flag and the flag it becomes in both legs (a question's both_sides)
        self._both_sides = {flag: state.both_sides for flow in self.flows.values()
                            for state in flow.states.values() if state.both_sides
                            for flag in state.screens}
        self._asks_flag = {flag: f"{self._screen}.{name}" for name, state in
                           (self.flows[self._screen].states.items() if self._screen else ())
                           for flag in state.screens}

    def handle(self, progress: Progress, event: Event) -> tuple[Progress, list[Output]]:
        p = progress.copy()
        out: list[Output] = []
        match event:
            case Start(flow):
                p = p.fresh()  # refs keep counting: old buttons stay stale
                self._goto(p, flow, self.flows[flow].start, out)
            case Press():
                self._press(p, event, out)
            case Text(text, seen):
                self._typed(p, text, out, seen)
            case Repeat():
                if p.active:
                    out.append(self._question(p, self._state(p)))
            case Interrupt(flow, answers):
                for key, value in answers.items():
                    if value is None:
                        p.answers.pop(key, None)
                    else:
                        p.answers[key] = value
                self._interrupt(p, flow, out)
        return p, out

    def text(self, locale: str, key: str, **values: object) -> str:
        """The text for `key` in `locale` (English if that locale lacks it), with {values} filled in."""
        texts = self.flowset.texts.get(locale or "en") or self.flowset.texts["en"]
        template = texts.get(key) or self.flowset.texts["en"][key]
        return template.format(**values) if values else template

    def say(self, locale: str, key: str, **values: object) -> Message:
        """A message of the text `key`."""
        return Message(self.text(locale, key, **values), key=key)

    def mentions(self, text: str) -> Mentions:
        """The red-flag signs a message describes, in any language the vocabularies cover."""
        return self.recogniser.read(text) if self.recogniser else Mentions()

    def _state(self, p: Progress) -> State:
        return self.flows[p.flow].states[p.state]

    def _goto(self, p: Progress, flow: str, state: str, out: list[Output]) -> None:
        p.flow, p.state = flow, state
        self._settle(p, out)

    def _interrupt(self, p: Progress, flow: str, out: list[Output]) -> None:
        """Run `flow` now, then come back to the question that was asked; a flow already running starts
        over."""
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
            if state.only_if and p.answers.get(state.only_if) in (None, ""):
                self._fire(p, ADVANCE)
                continue
            if kind == "question":
                option = self._already_answered(p, state)
                if option is None:
                    p.step += 1
                    if state.screens:
                        p.remember(f"{p.flow}.{p.state}")
                    out.append(self._question(p, state))
                    return
                if positive(state, option):
                    out.append(self.say(p.locale, "screen.noted"))
                    self._record(p, state, option)
                self._fire(p, _trigger(option.id))
                continue
            if kind == "switch":
                value = {"last_outcome": p.last_outcome}[state.switch]
                self._fire(p, _case(value) if value in state.cases else ADVANCE)
                continue
            if state.say:
                out.append(self.say(p.locale, state.say))
            if state.action:
                out.append(Action(state.action, dict(p.answers)))
            if kind == "outcome":  # a less urgent outcome than the last replaces it only after a clearance
                p.outcome = state.outcome
                if p.last_outcome is None or self.flowset.clinical.urgency(state.outcome) \
                        >= self.flowset.clinical.urgency(p.last_outcome):
                    p.last_outcome = state.outcome
                p.noted.clear()
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
                p.known.clear()
                return

    def _already_answered(self, p: Progress, state: State) -> Answer | None:
        """A red-flag question answered by what the person said: a sign they described counts as its
        positive answer; a question that could lead to nothing more urgent than a sign described is
        passed over; otherwise an answer given to it earlier in this conversation stands."""
        if not state.screens:
            return None
        if set(state.screens) & set(p.noted):
            return next(a for a in state.options if positive(state, a))
        known = p.known.get(f"{p.flow}.{p.state}")
        if p.noted and known is None \
                and max(map(self._urgency, state.screens)) <= max(map(self._urgency, p.noted)):
            known = "no"  # not recorded: the question was not asked
        return next((a for a in state.options if a.id == known), None)

    def _yes_beyond(self, p: Progress, text: str, flags: set[str]) -> bool:
        """Whether a yes or a doubt beside a sign answers the red-flag question asked, which screens a flag
        more urgent than the sign's ("sí, la derecha dormida" at the bladder question); not a no with a
        but ("no, but my left leg is numb")."""
        state, rest = self._state(p), self.recogniser.remainder(text)
        return max(map(self._urgency, state.screens)) > max(map(self._urgency, flags)) \
            and (not self.readings.negates(rest) or self.readings.unsure(rest))

    def _urgency(self, flag: str) -> int:
        clinical = self.flowset.clinical
        return clinical.urgency(clinical.flag_outcome(flag))

    def _note(self, p: Progress, flags: set[str], out: list[Output]) -> None:
        """Red flags the person reported outside their question: the screen runs again (restarted if
        it is open), where the question that screens them counts as a yes and the more urgent ones
        before it are still asked."""
        p.noted += sorted(f for f in flags if f not in p.noted)
        if p.flow == self._screen:
            self._goto(p, self._screen, self.flows[self._screen].start, out)
        else:
            self._interrupt(p, self._recheck, out)

    def _question(self, p: Progress, state: State) -> Message:
        key = (p.locale, p.flow, p.state)
        asked = self._asked.get(key)
        if asked is None:
            buttons = tuple(Button(a.id, self._label(p, a)) for a in state.options) + tuple(
                Button(f"c{i}", _choice_label(state, c, p.locale)) for i, c in enumerate(state.choices))
            asked = self._asked[key] = (self.text(p.locale, state.say), buttons)
        text = asked[0]
        if state.fill:  # filled per person, so never cached
            text = self.text(p.locale, state.say, **{k: p.answers.get(v, "") for k, v in state.fill.items()})
        return Message(text, asked[1], state.screens, p.ref, state.say)

    def _label(self, p: Progress, answer: Answer) -> str:
        return self.text(p.locale, answer.label or f"answer.{answer.id}")

    def _press(self, p: Progress, press: Press, out: list[Output]) -> None:
        state = self._state(p) if p.active else None
        option = next((a for a in state.options if a.id == press.answer), None) if state else None
        picked = _picked(state, press.answer) if state else None
        if press.ref not in (None, p.ref):
            self._late(p, press, out)
        elif option is None and picked is None:
            out.append(Refused(self.text(p.locale, "hint.stale"), "hint.stale"))
        elif option is not None:
            self._answer(p, state, option, option.id, self._label(p, option), out)
        elif state.ask == "number":
            unit = f" {self.text(p.locale, state.unit)}" if state.unit else ""
            number = self.readings.number(picked, state.min, state.max, p.locale or "en")
            self._answer(p, state, None, number, f"{picked}{unit}", out)
        else:
            self._answer(p, state, None, picked, _choice_label(state, picked, p.locale), out)

    def _late(self, p: Progress, press: Press, out: list[Output]) -> None:
        """A press on an earlier question: a yes or "not sure" to a red-flag question is applied
        (it can only make things more urgent); anything else is refused as stale."""
        state = self._at(p.question(press.ref) or "")
        option = next((a for a in state.options if a.id == press.answer), None) if state else None
        if option is None or not positive(state, option) or self._screen is None:
            out.append(Refused(self.text(p.locale, "hint.stale"), "hint.stale"))
            return
        out.append(self.say(p.locale, "screen.late"))
        self._note(p, set(state.screens), out)

    def _typed(self, p: Progress, text: str, out: list[Output], seen: bool = True) -> None:
        mentions = self.mentions(text)
        joined = self.recogniser.joined(p.said, text) if self.recogniser and p.said else frozenset()
        flags = set(mentions.positive) | self._joined(p, joined, mentions) | self._named(p, text, mentions)
        flags |= self._topical(p, text, mentions)
        flags |= self._spread(p, text, flags | joined)
        p.said = (p.said + [text])[-RECENT_MESSAGES:]
        if not flags and seen and p.active and (sides := self._state(p).both_sides) \
                and self.recogniser and _both(self.recogniser.sides(text, answering=True)):
            flags = {sides}  # "no, both" to "in one leg?": in both legs, whatever the button would say
        if flags:  # a sign described is never taken as an answer to another question, but for a yes to it:
            # "yes, in both legs" after "numb"; "sí, la derecha dormida" at a more urgent question
            if self._says_yes(p, text) and (not mentions.positive or self._yes_beyond(p, text, flags)):
                flags |= set(self._state(p).screens)
            self._note(p, flags, out)
            return
        read = self.readings
        corrected = self._corrected(p, text) if read.corrects(text, p.locale) else set()
        if corrected:  # "I meant yes to the last one", "actually yes to the bladder question"
            out.append(self.say(p.locale, "screen.late"))
            self._note(p, corrected, out)
            return
        state = self._state(p) if p.active else None
        in_screen = state is not None and p.flow == self._screen and bool(state.ask)
        if mentions and not in_screen:  # a denied or unnamed sign is checked again
            self._recheck_denied(p, mentions, out)
            return
        if state is None:
            out.append(Refused(self.text(p.locale, "hint.idle"), "hint.idle"))
            return
        if not seen:  # typed before this question reached them: it answers something else
            out += [self.say(p.locale, "hint.unseen"), self._question(p, state)]
            return
        typed = text
        if mentions:  # in the screen: the words that name a sign are no answer; read what is left
            text = self.recogniser.remainder(text)
        if state.ask == "yes_no":
            found = read.yes_no(text, p.locale)
            if found == "not_sure" and state.screens and not mentions and read.hedged(text) \
                    and self._aside(state, text):
                found = None  # asked again
            elif found is None and state.screens and not mentions and self._naming(state, text):
                found = "not_sure"  # "only the injection one": a sign of the question named
            age = read.age(typed, p.locale) if state.age_below else None
            if age is not None:  # "no, I'm 15" to "are you under 16?" says yes
                found = "yes" if age < state.age_below else "no"
            elif state.strict and found != "no":  # "yes, but they want to see me again" is no clear yes
                found = "yes" if read.plain_yes(text, p.locale) else "not_sure" if found else None
            option = next((a for a in state.options if a.id == found), None)
        elif state.ask == "choice":
            index = replies.choice(text, [self._label(p, a) for a in state.options])
            option = state.options[index] if index is not None else None
        elif state.ask == "text":
            # a button's label typed takes that way ("no more"); other words are the answer
            said = normalize(text)
            option = next((a for a in state.options if normalize(self._label(p, a)) == said), None)
        else:
            option = None
        if option is not None:
            self._answer(p, state, option, option.id, self._label(p, option), out)
            return
        value: object = None
        if state.ask == "number":
            value = read.number(text, state.min, state.max, p.locale)
        elif state.ask == "time":
            value = read.clock_time(text, p.locale)
        elif state.ask == "timezone":
            value = read.time_zone(text, p.locale)
        elif state.ask == "text" and text.strip():
            value = text.strip()
        if value is None and state.otherwise:
            out.append(Answered(p.ref, text.strip()[:64]))
            self._fire(p, OTHERWISE)
            self._settle(p, out)
            return
        if value is None:
            hint = self.text(p.locale, f"hint.{state.ask}", min=f"{state.min:g}", max=f"{state.max:g}") \
                if state.ask == "number" else self.text(p.locale, f"hint.{state.ask}")
            out += [Message(hint, key=f"hint.{state.ask}"), self._question(p, state)]
            return
        unit = f" {self.text(p.locale, state.unit)}" if state.unit else ""
        label = _choice_label(state, value, p.locale) if state.ask == "timezone" else f"{value}{unit}"
        self._answer(p, state, None, value, label, out)

    def _joined(self, p: Progress, joined: frozenset[str], mentions: Mentions) -> set[str]:
        """Of the signs that this message and the last ones say only together (`joined`), those more urgent
        than any found so far: what was said before can only make things more urgent."""
        floor = max(map(self._urgency, [*p.flags, *p.noted, *mentions.positive]), default=-1)
        return {f for f in joined if self._urgency(f) > floor}

    def _spread(self, p: Progress, text: str, found: set[str]) -> set[str]:
        """A sign in one leg, in this message or the last ones or answered in this check, is in both legs
        (the flag of the one-leg question's both_sides) when they name the other side, both, or left and
        right (`Recogniser.sides`): "left leg numb", then "and the other one", "wait, both" or "rechtes Bein
        taub"; Yes to the one-leg question, then "and the right one too"."""
        if self.recogniser is None:
            return set()
        known = found.union(p.flags, *(self.mentions(m).positive for m in p.said))
        both = {self._both_sides[f] for f in known if f in self._both_sides} - known
        if not both:
            return set()
        sides = self.recogniser.sides(text).union(*map(self.recogniser.sides, p.said))
        return both if "other" in sides or _both(sides) else set()

    def _named(self, p: Progress, text: str, mentions: Mentions) -> set[str]:
        """At a red-flag question listing signs, the flags of the bullets a typed sign names ("the numbness
        one" at the saddle question is that bullet, not numbness in one leg): each bullet's flags as read,
        else all the question screens. So the most urgent bullet named wins."""
        state = self._screening(p)
        if not (mentions and state):
            return set()
        own, _ = self.readings.beside(text)
        flags: set[str] = set()
        for locale in self.flowset.texts:
            bullets = _bullets(self.text(locale, state.say))
            for n in self.recogniser.named(text, bullets, own):
                flags |= (self.mentions(bullets[n]).positive & set(state.screens)) or set(state.screens)
        return flags

    def _topical(self, p: Progress, text: str, mentions: Mentions) -> set[str]:
        """At a red-flag question, a sign less urgent than the question's said with other words of the
        question is read as the question's ("stream is way weaker than normal" at the bladder question is
        no leg weakness): the most urgent reading consistent with the question wins."""
        state = self._screening(p)
        if not (mentions.positive and state) \
                or max(map(self._urgency, mentions.positive)) >= max(map(self._urgency, state.screens)):
            return set()
        own, _ = self.readings.beside(self.recogniser.remainder(text))
        return set(state.screens) if self.recogniser.about(own, (), self._topics(state), True) else set()

    def _screening(self, p: Progress) -> State | None:
        """The red-flag question of the screen now asked, if one is."""
        state = self._state(p) if p.active and p.flow == self._screen else None
        return state if state is not None and state.screens else None

    def _topics(self, state: State) -> list[str]:
        """The words naming a red-flag question's flags, in every language (flows/replies `topics`)."""
        return [" ".join(r.topics.get(flag, ())) for r in self.flowset.replies.values()
                for flag in state.screens]

    def _texts(self, state: State) -> list[str]:
        """The words of a red-flag question: its signs in every language, and the topics of its flags."""
        texts = [line for locale in self.flowset.texts for line in
                 _bullets(self.text(locale, state.say)) or [self.text(locale, state.say)]]
        return texts + self._topics(state)

    def _aside(self, state: State, text: str) -> bool:
        """A hedge in words about something else ("my knees crack a bit" to the saddle question) answers
        nothing: no plain yes or no, a word of its own outside a "when", and no word of the question, of the
        signs it screens or of their topics. Said of the question's signs, or alone ("a bit"): not sure."""
        own, main = self.readings.beside(text)
        if not main or self.readings.plain(text) or self.recogniser is None:
            return False
        return not self.recogniser.about(own, state.screens, self._texts(state))

    def _naming(self, state: State, text: str) -> bool:
        """Whether every word of a reply's own, but the words of back pain itself, is a word of the red-flag
        question or of its signs ("the injection one", "solo la inyección"; not "only my back hurts"), with
        no negation: it names what the question asks about."""
        own = [w for w in self.readings.beside(text)[0] if not self.readings.complaint(w)]
        texts = self._texts(state)
        return bool(own) and self.recogniser is not None and not self.readings.negates(text) \
            and all(self.recogniser.about([w], state.screens, texts) for w in own)

    def _says_yes(self, p: Progress, text: str) -> bool:
        """Whether a typed message answers the red-flag question now asked with yes or not sure."""
        state = self._state(p) if p.active else None
        if not (state and state.screens and state.ask == "yes_no"):
            return False
        return self.readings.yes_no(self.recogniser.remainder(text), p.locale) in ("yes", "not_sure")

    def _at(self, where: str) -> State | None:
        """The state a "flow.state" name stands for, if the flows still have it."""
        flow, _, name = where.partition(".")
        return self.flows[flow].states.get(name) if flow in self.flows else None

    def _corrected(self, p: Progress, text: str) -> set[str]:
        """The red flags a correction says yes to: the questions it names (by their topic, or the first
        question of the screen), else the question last answered, if it was a red-flag "no" ("wrong
        button" just after a No at the calf check is about that question, not an earlier one)."""
        flags, first = self.readings.named(text, p.locale)
        if first and self._screen is not None:
            flags |= set(self.flows[self._screen].states[self.flows[self._screen].start].screens)
        if flags:
            return flags & set(self._asks_flag)
        last = self._last_no(p)
        return set(last.screens) if last is not None else set()

    def _last_no(self, p: Progress) -> State | None:
        """The question last answered, if it is a red-flag question answered "no" in this conversation: the
        one before the question now asked, or the last one asked once nothing is."""
        where = p.question(str(p.step - 1 if p.active else p.step)) or ""
        return self._at(where) if where and p.known.get(where) == "no" else None

    def _recheck_denied(self, p: Progress, mentions: Mentions, out: list[Output]) -> None:
        """A denied sign is asked about again, and a sign that names no flag re-runs the whole screen:
        the answers they could change are forgotten before the re-check."""
        if mentions.unspecific:
            p.known.clear()
        for flag in mentions.negated:
            p.known.pop(self._asks_flag.get(flag, ""), None)
        self._interrupt(p, self._recheck, out)

    def _answer(self, p: Progress, state: State, option: Answer | None, value: object, label: str,
                out: list[Output]) -> None:
        """Record the answer, then move on along its transition."""
        out.append(Answered(p.ref, label))
        if state.store and option is not None and state.typed:  # a button instead of a typed value
            p.answers.pop(state.store, None)
        elif state.store:
            p.answers[state.store] = value
        if option is not None:
            self._record(p, state, option)
            if option.locale:
                p.locale = option.locale
            if option.action:
                out.append(Action(option.action, dict(p.answers)))
            if option.clears:
                p.last_outcome = None
        self._fire(p, _trigger(option.id) if option else ADVANCE)
        self._settle(p, out)

    def _record(self, p: Progress, state: State, option: Answer) -> None:
        """Remember a red-flag question's answer, and the flags a positive one reports."""
        if not state.screens:
            return
        p.known[f"{p.flow}.{p.state}"] = option.id
        if positive(state, option):
            reported = [f for f in state.screens if f in p.noted] or list(state.screens)
            p.flags += [f for f in reported if f not in p.flags]


def _bullets(text: str) -> list[str]:
    """The lines of a question's text that list one sign each."""
    return [line for line in text.splitlines() if line.startswith(BULLET)]


def _choice_label(state: State, value: str, locale: str) -> str:
    """A time as written; a time zone by its place in the person's language ("Europe/London" -> "Londres")."""
    return locales.place(value, locale) if state.ask == "timezone" else value


def _picked(state: State, answer: str) -> str | None:
    """The choice a button id such as 'c2' stands for."""
    index = answer[1:]
    if answer.startswith("c") and index.isdigit() and int(index) < len(state.choices):
        return state.choices[int(index)]
    return None


def _both(sides: frozenset[str]) -> bool:
    """Whether the sides a message names are both legs ("both", "left and right")."""
    return "both" in sides or {"left", "right"} <= sides
