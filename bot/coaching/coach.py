"""The coaching side of a person's step: plan commands, check-ins, and the actions flows emit.

Pure, like the rest of the step: it reads the person's data loaded in the Turn and records what changes
as effects (bot/turn.py); no storage, no transport, no wall clock beyond the step's `now`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot import locales
from bot.coaching import adapt
from bot.coaching.adapt import Carry, Decision
from bot.coaching.chart import progress_png
from bot.coaching.content import CHECKINS, Plan
from bot.coaching.plan import day_plan, matches, render
from bot.coaching.review import week_review
from bot.coaching.schedule import advance, first_due, local_date
from bot.engine import (Action, Answered, Button, Engine, Interrupt, Message, Outcome, Output, Photo, Press,
                        Progress, Refused)
from bot.coaching.scores import DONE, activity_answers, from_answers, history
from bot.turn import (AddMeasurement, AddScores, Advance, DropQueued, Enrolment, RecordCheckin,
                      SaveEnrolment, Turn)

COMMANDS = ("plan", "pause", "resume", "time", "timezone", "progress")
RESCREEN = "screen"  # the button of the message that runs the screen again after the six weeks
DAY_REF = "day"
NUDGE_REF = "nudge"  # the nudge's question, sent with a plan day (its ref: nudge<N>)
PROFILE_KEYS = ("squat_heels_lift", "feet_turn_out", "tension_after_standing", "leans_on_back", "wall_test",
                "knee_to_wall_cm")
ACTIONS = ("hold_plan", "resume_plan", "accept_coaching", "decline_coaching", "record_measurement", "enrol",
           "set_time", "set_zone", "record_baseline", "record_week", "pause_plan")
ENROLLED = ("active", "paused", "checking")  # checking: a re-screen is open and the plan is held
MESSAGES_KEPT = 20_000  # plan-day messages kept rendered (a batch of due days shares most of them)


class Coach:
    def __init__(self, engine: Engine, plan: Plan):
        self.engine, self.plan = engine, plan
        self._messages: dict[tuple, Message] = {}
        self._shapes: dict[tuple, tuple[str, ...]] = {}

    def text(self, key: str, locale: str = "en", **values: object) -> str:
        return self.engine.text(locale, key, **values)

    def say(self, key: str, locale: str = "en", **values: object) -> Message:
        return self.engine.say(locale, key, **values)

    def day_message(self, day: int, profile: dict, locale: str = "en", rescreened: bool = True,
                    decision: Decision | None = None) -> Message:
        """A plan day as sent: the routine in the variant and week `decision` says (default: the standard
        one), and its check-in buttons (ref `day<N>`). After the six weeks, until the red-flag screen has
        run again, the day's message asks for that instead. Rendered once per shape: the profile matters
        only through the adjustments it matches."""
        key = (day, self._shape(profile), locale, rescreened, decision)
        message = self._messages.get(key)
        if message is None:
            if len(self._messages) >= MESSAGES_KEPT:
                self._messages.clear()
            message = self._messages[key] = self._render_day(day, profile, locale, rescreened, decision)
        return message

    def _shape(self, profile: dict) -> tuple[str, ...]:
        """The plan's adjustments that `profile` matches, kept by the profile's answers (a batch of due
        days has a few thousand different profiles at most)."""
        answers = tuple(profile.items())
        try:
            shape = self._shapes.get(answers)
        except TypeError:  # an answer that is a list or a mapping: not kept
            answers, shape = None, None
        if shape is None:
            shape = tuple(k for k, a in self.plan.adjustments.items()
                          if any(matches(c, profile) for c in a.when))
            if answers is not None:
                if len(self._shapes) >= MESSAGES_KEPT:
                    self._shapes.clear()
                self._shapes[answers] = shape
        return shape

    def _render_day(self, day: int, profile: dict, locale: str, rescreened: bool,
                    decision: Decision | None) -> Message:
        if day > self.plan.rescreen_after and not rescreened:
            button = Button(RESCREEN, self.text("plan.rescreen_start", locale))
            return Message(self.text("plan.rescreen", locale), (button,), ref=f"{DAY_REF}{day}",
                           key="plan.rescreen")
        decision = decision or Decision(day, 0, checkins=self.plan.adapt.checkins.standard)
        buttons = tuple(Button(c, self.text(f"checkin.{c}", locale)) for c in decision.checkins)
        today = day_plan(self.plan, day, profile, locale, decision.variant, decision.week or None,
                         decision.variant_note)
        return Message(render(today), buttons, ref=f"{DAY_REF}{day}", key="plan.day")

    def day_messages(self, day: int, profile: dict, locale: str, rescreened: bool,
                     decision: Decision | None) -> list[Message]:
        """What a plan day sends: its message and, after missed days, the nudge's question."""
        out = [self.day_message(day, profile, locale, rescreened, decision)]
        if decision is not None and decision.nudge and out[0].key == "plan.day":
            flow = self.engine.flows[self.plan.adapt.nudge.flow]
            ask = flow.states[flow.start]
            labels = [self.text(a.label or f"answer.{a.id}", locale) for a in ask.options]
            buttons = tuple(Button(a.id, label) for a, label in zip(ask.options, labels))
            out.append(Message(self.text(ask.say, locale), buttons, ref=f"{NUDGE_REF}{day}", key=ask.say))
        return out

    def planner(self, day: int, due: datetime, at: str, zone: str, now: datetime,
                carry: dict[str, Any]) -> Advance:
        """The Planner of a delivery claim: the schedule's step, and the adaptive decision for the day it
        sends from the carry kept on the enrolment (bot/coaching/adapt.py)."""
        step = advance(day, due, at, zone, now)
        if step.send is None:
            return step
        decision, after = adapt.plan_day(self.plan, Carry.from_dict(carry), step.send[0])
        return Advance(step.skipped, step.send, step.next_day, step.next_due,
                       adapt.sent(self.plan, after, step.send[0]).to_dict(), decision)

    def reviewing(self, turn: Turn) -> bool:
        """Whether the re-screen after the six weeks is open: when it ends clear, the review is sent, which
        reads everything stored about the person."""
        e = turn.enrolment
        return (e is not None and e.status == "checking" and e.rescreened_at is None
                and (e.next_day or 0) > self.plan.rescreen_after)

    # commands ---------------------------------------------------------------------------------
    def command(self, turn: Turn, progress: Progress, name: str) -> tuple[Progress, list[Output]]:
        locale, enrolment = progress.locale, turn.enrolment
        enrolled = enrolment is not None and enrolment.status in ENROLLED
        if name == "progress":
            return progress, self._progress(turn, enrolment, locale)
        if enrolment is not None and enrolment.status == "flagged" and name in ("resume", "plan"):
            return progress, [self.say("coaching.flagged", locale)]
        if not enrolled:
            return progress, [self.say("coaching.not_enrolled", locale)]
        if enrolment.status == "checking" and name in ("plan", "pause", "resume"):
            progress, out = self.engine.handle(progress, Interrupt("recheck"))
            return progress, [self.say("coaching.checking", locale)] + out
        if name in ("time", "timezone"):
            return self.engine.handle(progress, Interrupt("change_time" if name == "time" else "change_zone"))
        if name == "plan":
            today = day_plan(self.plan, self._today(turn, enrolment), enrolment.profile, locale)
            return progress, [Message(render(today))]
        if name == "pause":
            if enrolment.status == "active":
                self._save(turn, status="paused")
            return progress, [self.say("coaching.paused", locale)]
        if enrolment.status == "paused":  # resume
            local, due = first_due(turn.now, enrolment.delivery_time, enrolment.time_zone,
                                   turn.last_delivered_at)
            self._save(turn, status="active", next_due=due)
            return progress, [Message(self._when("coaching.resumed", locale, local, enrolment.delivery_time,
                                                 enrolment.time_zone), key="coaching.resumed")]
        return progress, [self.say("coaching.already_active", locale)]

    def _save(self, turn: Turn, **values: object) -> None:
        """Change the enrolment; a plan no longer active takes back the days queued and not yet sent."""
        turn.do(SaveEnrolment(values))
        if values.get("status", "active") != "active":
            turn.do(DropQueued())

    def _today(self, turn: Turn, enrolment: Enrolment) -> int:
        """Today's plan day: the one sent today, else the next one due."""
        last = turn.last_delivered_at
        zone = enrolment.time_zone
        served_today = last is not None and local_date(last, zone) == local_date(turn.now, zone)
        return max(1, enrolment.next_day - 1 if served_today else enrolment.next_day)

    def _progress(self, turn: Turn, enrolment: Enrolment | None, locale: str) -> list[Output]:
        record = turn.record
        sent = [(d["day"], d["checkin"]) for d in record["deliveries"] if d["status"] == "sent"]
        measured = [(m["at"], m["cm"]) for m in record["measurements"]]
        if enrolment is None or (not sent and not measured):
            return [self.say("progress.none", locale)]
        answered = [c for _, c in sent]
        done = sum(c in DONE for c in answered)
        streak = 0
        for checkin in reversed(answered[:-1] if answered and answered[-1] is None else answered):
            if checkin not in DONE:
                break
            streak += 1
        adherence = round(100 * done / len(sent)) if sent else 0
        latest = f"{measured[-1][1]:g}" if measured else "-"
        out: list[Output] = [self.say("progress.summary", locale, streak=streak, done=done, sent=len(sent),
                                               adherence=adherence, latest=latest)]
        png = progress_png(history(record), self.texts(locale))
        out.append(Photo(png, self.text("progress.chart_caption", locale)))
        return out

    def texts(self, locale: str) -> dict[str, str]:
        """All texts in `locale`, English where it has none."""
        texts = self.engine.flowset.texts
        return {**texts["en"], **texts.get(locale, {})}

    # check-ins ------------------------------------------------------------------------------------
    def checkin(self, turn: Turn, progress: Progress, press: Press) -> tuple[Progress, list[Output]]:
        day = press.ref[len(DAY_REF):]
        if not (day.isdigit() and turn.sent(int(day))) or press.answer not in CHECKINS + (RESCREEN,):
            return progress, [Refused(self.text("hint.stale", progress.locale), "hint.stale")]
        turn.do(RecordCheckin(int(day), press.answer))
        if turn.enrolment is not None:
            carry = Carry.from_dict(turn.enrolment.carry)
            self._carry(turn, adapt.checked_in(carry, int(day), press.answer))
        label = "plan.rescreen_start" if press.answer == RESCREEN else f"checkin.{press.answer}"
        out: list[Output] = [Answered(press.ref, self.text(label, progress.locale))]
        if press.answer in ("worse", "symptom", RESCREEN):
            progress, more = self.engine.handle(progress, Interrupt("recheck"))
            return progress, out + more
        out.append(self.say(f"checkin.thanks_{press.answer}", progress.locale))
        if day_plan(self.plan, int(day), {}).measure:
            weekly = Interrupt("weekly", activity_answers(turn.activities))
            progress, more = self.engine.handle(progress, weekly)
            out += more
        return progress, out

    def nudged(self, turn: Turn, progress: Progress, press: Press) -> tuple[Progress, list[Output]]:
        """A press on the nudge's question sent with a plan day: the nudge flow, answered with it."""
        day, flow = press.ref[len(NUDGE_REF):], self.plan.adapt.nudge.flow
        ask = self.engine.flows[flow].states[self.engine.flows[flow].start]
        if not (day.isdigit() and turn.sent(int(day))) or press.answer not in [a.id for a in ask.options]:
            return progress, [Refused(self.text("hint.stale", progress.locale), "hint.stale")]
        progress, _ = self.engine.handle(progress, Interrupt(flow))  # its question is the one pressed
        progress, out = self.engine.handle(progress, Press(press.answer, progress.ref))
        return progress, [Answered(press.ref, o.label) if isinstance(o, Answered) else o for o in out]

    # what flows report ----------------------------------------------------------------------------
    def apply(self, turn: Turn, progress: Progress, outputs: list[Output]) -> tuple[Progress, list[Output]]:
        """Store what outputs report; return the progress and messages to add (confirmations, a paused
        plan, the screen after a rise in pain, the week-6 review), whose own reports are stored too."""
        extra: list[Output] = []
        pending = list(outputs)
        while pending:
            item = pending.pop(0)
            more: list[Output] = []
            if isinstance(item, Outcome) and item.outcome != "coaching":
                more = self._flag(turn, progress.locale)
            elif isinstance(item, Action) and item.name in ACTIONS:
                progress, more = self._act(turn, progress, item)
            extra += more
            pending += more
        return progress, extra

    def _flag(self, turn: Turn, locale: str) -> list[Output]:
        enrolment = turn.enrolment
        if enrolment is None or enrolment.status not in ENROLLED + ("pending",):
            return []
        self._save(turn, status="flagged")
        return [self.say("coaching.flag_paused", locale)] if enrolment.status in ENROLLED else []

    def _act(self, turn: Turn, progress: Progress, action: Action) -> tuple[Progress, list[Output]]:
        now, data, enrolment, locale = turn.now, action.data, turn.enrolment, progress.locale
        status = enrolment.status if enrolment else None
        if action.name in ("hold_plan", "resume_plan"):
            held = {"hold_plan": ("active", "checking"), "resume_plan": ("checking", "active")}[action.name]
            if status == held[0]:
                review = action.name == "resume_plan" and self.reviewing(turn) and turn.record is not None
                after_plan = (action.name == "resume_plan"
                              and (enrolment.next_day or 0) > self.plan.rescreen_after)
                self._save(turn, status=held[1], **({"rescreened_at": now} if after_plan else {}))
                if review:
                    return progress, self._review(turn.record, locale)
            return progress, []
        if action.name == "record_week":
            return self._week(turn, progress, action)
        return progress, self._done(turn, action, locale)

    def _done(self, turn: Turn, action: Action, locale: str) -> list[Output]:
        """Store what the other actions report; the messages that confirm it."""
        now, data, enrolment = turn.now, action.data, turn.enrolment
        status = enrolment.status if enrolment else None
        if action.name in ("accept_coaching", "decline_coaching"):
            if status not in ENROLLED:  # a plan already running is changed only by enrol, /pause or /stop
                self._save(turn, status="pending" if action.name == "accept_coaching" else "declined",
                           profile={k: data[k] for k in PROFILE_KEYS if k in data})
            return []
        if action.name == "record_baseline":
            return self._scores(turn, enrolment, action)
        if action.name == "pause_plan":
            if status == "active":
                self._save(turn, status="paused")
            return [self.say("coaching.paused", locale)]
        if action.name == "record_measurement":
            turn.do(AddMeasurement(data["knee_to_wall_cm"]))
            return [self.say("measure.recorded", locale, cm=f"{data['knee_to_wall_cm']:g}")]
        at = data.get("delivery_time") if action.name in ("enrol", "set_time") else enrolment.delivery_time
        zone = data.get("time_zone") if action.name in ("enrol", "set_zone") else enrolment.time_zone
        local, due = first_due(now, at, zone, turn.last_delivered_at)
        values = {"delivery_time": at, "time_zone": zone, "next_due": due}
        if action.name == "enrol":
            profile = {k: data[k] for k in PROFILE_KEYS if k in data}
            values |= {"status": "active", "profile": profile, "next_day": turn.next_plan_day}
            if "knee_to_wall_cm" in profile:
                turn.do(AddMeasurement(profile["knee_to_wall_cm"]))
        self._save(turn, **values)
        key = {"enrol": "coaching.confirmed", "set_time": "coaching.time_changed",
               "set_zone": "coaching.zone_changed"}
        paused = action.name != "enrol" and status == "paused"
        still = "\n\n" + self.text("coaching.still_paused", locale) if paused else ""
        return [Message(self._when(key[action.name], locale, local, at, zone) + still, key=key[action.name])]

    def _week(self, turn: Turn, progress: Progress, action: Action) -> tuple[Progress, list[Output]]:
        """A weekly check: its scores stored; a rise in pain that makes the next day easier runs the
        red-flag screen first (the plan is held while it runs, so the easier day follows a clear screen)."""
        self._scores(turn, turn.enrolment, action)
        enrolment = turn.enrolment
        if enrolment is None or enrolment.status != "active" or not enrolment.next_day:
            return progress, []
        decision, _ = adapt.plan_day(self.plan, Carry.from_dict(enrolment.carry), enrolment.next_day)
        if not decision.screen_first:
            return progress, []
        return self.engine.handle(progress, Interrupt("recheck"))

    def _review(self, record: dict[str, Any], locale: str) -> list[Output]:
        """The week-6 review: the changes in words, what to do next, and one chart."""
        review = week_review(self.plan, history(record), self.texts(locale))
        return [Message(review.text, key="review.title"),
                Photo(review.chart, self.text("review.chart_caption", locale))]

    def _carry(self, turn: Turn, carry: Carry) -> None:
        turn.do(SaveEnrolment({"carry": carry.to_dict()}))

    def _scores(self, turn: Turn, enrolment: Enrolment | None, action: Action) -> list[Output]:
        """Store what a baseline or weekly check reported (its plan day: 0 at enrolment), and the pain in
        the planner's carry."""
        day = (0 if action.name == "record_baseline" or enrolment is None
               else max(0, (enrolment.next_day or 1) - 1))
        recorded = from_answers(action.data, turn.now, day)
        readings = tuple({"at": r.at, "day": r.day, "measure": r.measure, "slot": r.slot, "value": r.value}
                         for r in recorded.readings)
        turn.do(AddScores(dict(recorded.activities), readings))
        if enrolment is not None:
            carry = Carry.from_dict(enrolment.carry)
            for r in recorded.readings:
                carry = adapt.scored(carry, r.value) if r.measure == "pain" else carry
            self._carry(turn, carry)
        if action.name == "record_week" and recorded.knee_to_wall_cm is not None:
            # the baseline's data still holds the calf check's distance: `enrol` stores that one
            turn.do(AddMeasurement(recorded.knee_to_wall_cm))
        return []  # the flow thanks them

    def _when(self, key: str, locale: str, local: date, at: str, zone: str) -> str:
        day = locales.day_name(local, locale, self.text("format.date", locale))
        return self.text(key, locale, date=day, time=at, zone=locales.place(zone, locale))
