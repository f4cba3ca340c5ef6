"""The coaching side of a person's step: plan commands, check-ins, and the actions flows emit.

Runs inside one Store transaction (a Turn), like the rest of the step; no transport, no wall clock
beyond the step's `now`.
"""
from __future__ import annotations

from datetime import date

from bot import locales
from bot.coaching.chart import knee_to_wall_png
from bot.coaching.content import Plan
from bot.coaching.plan import day_plan, render
from bot.coaching.schedule import local_date
from bot.engine import (Action, Answered, Button, Engine, Interrupt, Message, Outcome, Output, Photo, Press,
                        Progress, Refused)
from bot.storage import Turn
from bot.storage import coaching as records

COMMANDS = ("plan", "pause", "resume", "time", "timezone", "progress")
CHECKINS = ("done", "skipped", "worse", "symptom")
RESCREEN = "screen"  # the button of the message that runs the screen again after the six weeks
DAY_REF = "day"
PROFILE_KEYS = ("squat_heels_lift", "feet_turn_out", "tension_after_standing", "leans_on_back", "wall_test",
                "knee_to_wall_cm")
ACTIONS = ("hold_plan", "resume_plan", "accept_coaching", "decline_coaching", "record_measurement", "enrol",
           "set_time", "set_zone")
ENROLLED = ("active", "paused", "checking")  # checking: a re-screen is open and the plan is held


class Coach:
    def __init__(self, engine: Engine, plan: Plan):
        self.engine, self.plan = engine, plan

    def text(self, key: str, locale: str = "en", **values: object) -> str:
        return self.engine.text(locale, key, **values)

    def say(self, key: str, locale: str = "en", **values: object) -> Message:
        return self.engine.say(locale, key, **values)

    def day_message(self, day: int, profile: dict, locale: str = "en", rescreened: bool = True) -> Message:
        """A plan day as sent: the routine, and the check-in buttons (ref `day<N>`). After the six weeks,
        until the red-flag screen has run again, the day's message asks for that instead."""
        if day > self.plan.rescreen_after and not rescreened:
            button = Button(RESCREEN, self.text("plan.rescreen_start", locale))
            return Message(self.text("plan.rescreen", locale), (button,), ref=f"{DAY_REF}{day}", key="plan.rescreen")
        buttons = tuple(Button(c, self.text(f"checkin.{c}", locale)) for c in CHECKINS)
        return Message(render(day_plan(self.plan, day, profile, locale)), buttons, ref=f"{DAY_REF}{day}",
                       key="plan.day")

    # commands ---------------------------------------------------------------------------------
    def command(self, turn: Turn, progress: Progress, name: str) -> tuple[Progress, list[Output]]:
        locale, person = progress.locale, turn.person
        enrolment = records.enrolment(turn.conn, person.id)
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
                records.save_enrolment(turn.conn, person.id, turn.now, status="paused")
            return progress, [self.say("coaching.paused", locale)]
        if enrolment.status == "paused":  # resume
            local, due = records.schedule_from(turn.conn, person.id, turn.now, enrolment.delivery_time,
                                               enrolment.time_zone)
            records.save_enrolment(turn.conn, person.id, turn.now, status="active", next_due=due)
            return progress, [Message(self._when("coaching.resumed", locale, local, enrolment.delivery_time,
                                                 enrolment.time_zone), key="coaching.resumed")]
        return progress, [self.say("coaching.already_active", locale)]

    def _today(self, turn: Turn, enrolment: records.Enrolment) -> int:
        """Today's plan day: the one sent today, else the next one due."""
        last = records.last_delivered_at(turn.conn, turn.person.id)
        served_today = last is not None and local_date(last, enrolment.time_zone) == local_date(turn.now,
                                                                                                 enrolment.time_zone)
        return max(1, enrolment.next_day - 1 if served_today else enrolment.next_day)

    def _progress(self, turn: Turn, enrolment: records.Enrolment | None, locale: str) -> list[Output]:
        sent, measured = records.history(turn.conn, turn.person.id)
        if enrolment is None or (not sent and not measured):
            return [self.say("progress.none", locale)]
        answered = [c for _, c in sent]
        done = answered.count("done")
        streak = 0
        for checkin in reversed(answered[:-1] if answered and answered[-1] is None else answered):
            if checkin != "done":
                break
            streak += 1
        adherence = round(100 * done / len(sent)) if sent else 0
        latest = f"{measured[-1][1]:g}" if measured else "-"
        out: list[Output] = [self.say("progress.summary", locale, streak=streak, done=done, sent=len(sent),
                                               adherence=adherence, latest=latest)]
        if measured:
            png = knee_to_wall_png(measured, self.text("progress.chart_title", locale),
                                   self.text("progress.chart_axis", locale))
            out.append(Photo(png, self.text("progress.chart_caption", locale)))
        return out

    # check-ins ------------------------------------------------------------------------------------
    def checkin(self, turn: Turn, progress: Progress, press: Press) -> tuple[Progress, list[Output]]:
        day = press.ref[len(DAY_REF):]
        sent = records.delivered_day(turn.conn, turn.person.id, int(day)) if day.isdigit() else None
        if sent is None or press.answer not in CHECKINS + (RESCREEN,):
            return progress, [Refused(self.text("hint.stale", progress.locale), "hint.stale")]
        records.record_checkin(turn.conn, turn.person.id, int(day), press.answer)
        label = "plan.rescreen_start" if press.answer == RESCREEN else f"checkin.{press.answer}"
        out: list[Output] = [Answered(press.ref, self.text(label, progress.locale))]
        if press.answer in ("worse", "symptom", RESCREEN):
            progress, more = self.engine.handle(progress, Interrupt("recheck"))
            return progress, out + more
        out.append(self.say(f"checkin.thanks_{press.answer}", progress.locale))
        if day_plan(self.plan, int(day), {}).measure:
            progress, more = self.engine.handle(progress, Interrupt("measure"))
            out += more
        return progress, out

    # what flows report ----------------------------------------------------------------------------
    def apply(self, turn: Turn, outputs: list[Output], locale: str) -> list[Output]:
        """Store what outputs report; return messages to add (confirmations, a paused plan)."""
        extra: list[Output] = []
        for item in outputs:
            if isinstance(item, Outcome) and item.outcome != "coaching":
                extra += self._flag(turn, locale)
            elif isinstance(item, Action) and item.name in ACTIONS:
                extra += self._act(turn, item, locale)
        return extra

    def _flag(self, turn: Turn, locale: str) -> list[Output]:
        enrolment = records.enrolment(turn.conn, turn.person.id, lock=True)
        if enrolment is None or enrolment.status not in ENROLLED + ("pending",):
            return []
        records.save_enrolment(turn.conn, turn.person.id, turn.now, status="flagged")
        return [self.say("coaching.flag_paused", locale)] if enrolment.status in ENROLLED else []

    def _act(self, turn: Turn, action: Action, locale: str) -> list[Output]:
        conn, pid, now, data = turn.conn, turn.person.id, turn.now, action.data
        enrolment = records.enrolment(conn, pid, lock=True)
        status = enrolment.status if enrolment else None
        if action.name in ("hold_plan", "resume_plan"):
            held = {"hold_plan": ("active", "checking"), "resume_plan": ("checking", "active")}[action.name]
            if status == held[0]:
                after_plan = action.name == "resume_plan" and (enrolment.next_day or 0) > self.plan.rescreen_after
                records.save_enrolment(conn, pid, now, status=held[1], **({"rescreened_at": now} if after_plan else {}))
            return []
        if action.name in ("accept_coaching", "decline_coaching"):
            if status not in ENROLLED:  # a plan already running is changed only by enrol, /pause or /stop
                records.save_enrolment(conn, pid, now, status="pending" if action.name == "accept_coaching"
                                       else "declined", profile={k: data[k] for k in PROFILE_KEYS if k in data})
            return []
        if action.name == "record_measurement":
            records.add_measurement(conn, pid, now, data["knee_to_wall_cm"])
            return [self.say("measure.recorded", locale, cm=f"{data['knee_to_wall_cm']:g}")]
        at = data.get("delivery_time") if action.name in ("enrol", "set_time") else enrolment.delivery_time
        zone = data.get("time_zone") if action.name in ("enrol", "set_zone") else enrolment.time_zone
        local, due = records.schedule_from(conn, pid, now, at, zone)
        values = {"delivery_time": at, "time_zone": zone, "next_due": due}
        if action.name == "enrol":
            profile = {k: data[k] for k in PROFILE_KEYS if k in data}
            values |= {"status": "active", "profile": profile, "next_day": records.next_plan_day(conn, pid)}
            if "knee_to_wall_cm" in profile:
                records.add_measurement(conn, pid, now, profile["knee_to_wall_cm"])
        records.save_enrolment(conn, pid, now, **values)
        key = {"enrol": "coaching.confirmed", "set_time": "coaching.time_changed", "set_zone": "coaching.zone_changed"}
        paused = action.name != "enrol" and status == "paused"
        return [Message(self._when(key[action.name], locale, local, at, zone) +
                        ("\n\n" + self.text("coaching.still_paused", locale) if paused else ""), key=key[action.name])]

    def _when(self, key: str, locale: str, local: date, at: str, zone: str) -> str:
        day = locales.day_name(local, locale, self.text("format.date", locale))
        return self.text(key, locale, date=day, time=at, zone=locales.place(zone, locale))
