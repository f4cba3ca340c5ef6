"""Enrolment, delivery exactly once, check-ins and the red-flag safety net, through the service."""
from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.engine import Message, Outcome, Photo, Press, Text
from bot.runtime import Runtime
from bot.runtime.rows import output_of
from bot.service import Backline, Command, Who
from bot.storage import Store
from bot.storage.outbox import BLOCKED, SENT, Mark
from bot.storage.tables import deliveries, enrolments, measurements, scores
from bot.turn import SaveEnrolment

UTC = timezone.utc
START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 07:00 in Berlin: 08:00 is still ahead everywhere used
ANN = Who("simulator", "ann")


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outbox:
    """A stand-in channel that records the plan days sent; `answer` decides each send's fate ("sent",
    "blocked", or None: a passing failure)."""

    name = "simulator"

    def __init__(self, answer: str | None = "sent"):
        self.sent: list[tuple[str, int]] = []
        self.messages: list[Message] = []
        self.answer = answer

    async def send(self, rows):
        if self.answer is None:
            return []
        for row in rows:
            if self.answer == "sent":
                self.sent.append((row.external_id, row.body.get("day")))
                self.messages.append(output_of(row))
        status = SENT if self.answer == "sent" else BLOCKED
        return [Mark(r.id, status, at=datetime.now(UTC), delivery_id=r.delivery_id) for r in rows]

    async def working(self, external_id):
        """Nothing to show."""


class Delivery:
    """One run of the runtime's plan-day job at `now`, as a process would run it, sent through `outbox`."""

    def __init__(self, backline: Backline, channel: str = "simulator", batch: int = 1000):
        self.backline, self.batch = backline, batch

    async def run_due(self, now: datetime, outbox: Outbox) -> None:
        clock, self.backline.clock = self.backline.clock, lambda: now
        runtime = Runtime(self.backline, [outbox], plan_batch=self.batch)
        try:
            await runtime.start(schedule=False)
            await runtime.sweep()
            await runtime.plan_days()
            try:
                await asyncio.wait_for(runtime.settle(), 0.5)
            except TimeoutError:  # a passing failure: the row waits for a later run
                pass
        finally:
            await runtime.stop()
            self.backline.clock = clock


def questions(out):
    return [o for o in out if isinstance(o, Message) and o.ref]


async def enrol(backline: Backline, who: Who = ANN, at: str = "08:00", zone: str = "Europe/Berlin",
                wall: str = "cannot") -> list:
    out = await backline.handle(who, Command("start"))
    while True:
        q = questions(out)[-1]
        if q.screens:
            out = await backline.handle(who, Press("no", q.ref))
        elif q.buttons and q.buttons[0].id == "accept":
            out = await backline.handle(who, Press("accept", q.ref))
            out = await backline.handle(who, Text(at))
            out = await backline.handle(who, Text(zone))
            return await baseline(backline, who, out)
        elif q.buttons and q.buttons[0].id == "easy":
            out = await backline.handle(who, Press(wall, q.ref))
        elif q.buttons:
            out = await backline.handle(who, Press(q.buttons[0].id, q.ref))
        else:
            out = await backline.handle(who, Text("6"))


async def baseline(backline: Backline, who: Who, out: list, pain: str = "4") -> list:
    """The starting scores at enrolment: pain, one activity rated 5, no more; the confirmation."""
    assert questions(out)[-1].key == "scores.pain"
    for typed in (pain, "tying my shoes", "5"):
        out = await backline.handle(who, Text(typed))
    return await backline.handle(who, Press("no_more", questions(out)[-1].ref))


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
async def coached(engine, coach, store, clock):
    return Backline(engine, store, coach, clock)


async def table(store, t):
    return await store.run(lambda c: [r._asdict() for r in c.execute(sa.select(t)).all()])


async def test_enrolment_confirms_the_first_date_and_time(coached, store):
    out = await enrol(coached)
    assert out[-1].text.startswith(
        "You're all set. Your first routine arrives on Tuesday 24 November at 08:00")
    (row,) = await table(store, enrolments)
    assert (row["status"], row["delivery_time"], row["time_zone"], row["next_day"]) == \
        ("active", "08:00", "Europe/Berlin", 1)
    assert row["profile"]["wall_test"] == "cannot" and row["profile"]["knee_to_wall_cm"] == 6
    assert [m["cm"] for m in await table(store, measurements)] == [6.0], \
        "the baseline is the first measurement"


async def test_each_day_is_delivered_once_at_local_time(coached, store, clock):
    await enrol(coached, at="08:00", zone="America/New_York")  # 13:00 UTC in winter
    delivery, outbox = Delivery(coached, "simulator"), Outbox()
    for minutes in range(0, 3 * 24 * 60, 30):  # a tick every half hour for three days
        clock.now = START + timedelta(minutes=minutes)
        await delivery.run_due(clock.now, outbox)
    assert outbox.sent == [("ann", 1), ("ann", 2), ("ann", 3)]
    rows = await table(store, deliveries)
    assert [(r["day"], r["status"], str(r["local_date"])) for r in rows] == [
        (1, "sent", "2026-11-24"), (2, "sent", "2026-11-25"), (3, "sent", "2026-11-26")]
    assert all(r["due_at"].replace(tzinfo=UTC).hour == 13 for r in rows)


async def test_restart_between_due_and_sent_sends_once_the_same_day(coached, store, clock):
    await enrol(coached, at="08:00", zone="Europe/Berlin")
    clock.now = datetime(2026, 11, 24, 7, 0, 30, tzinfo=UTC)
    crashed = Runtime(coached, [Outbox(answer=None)])  # its sends never get through
    assert await crashed.plan_days() == 1  # the row is written and taken; the process dies before sending
    with contextlib.suppress(TimeoutError):  # it is trying to send it when it dies
        await asyncio.wait_for(crashed.settle(), 0.5)
    await crashed.stop()
    outbox = Outbox()
    await Delivery(coached).run_due(clock.now + timedelta(seconds=3), outbox)
    if store.single_process:  # SQLite: the one process that may use it takes its leases back at start
        assert outbox.sent == [("ann", 1)]
    else:  # PostgreSQL: another process may still be sending it, until its lease lapses
        assert outbox.sent == [], "a row that may still be sending is not taken over"
    await Delivery(coached).run_due(clock.now + timedelta(seconds=12), outbox)
    await Delivery(coached).run_due(clock.now + timedelta(minutes=30), outbox)
    assert outbox.sent == [("ann", 1)], "sent within seconds, and once"


async def test_missed_while_down_same_day_sends_late_day_after_skips(coached, store, clock):
    await enrol(coached, at="08:00", zone="Europe/Berlin")
    outbox, delivery = Outbox(), Delivery(coached, "simulator")
    # the bot was down from 08:00 to 21:00 local
    await delivery.run_due(datetime(2026, 11, 24, 20, 0, tzinfo=UTC), outbox)
    assert outbox.sent == [("ann", 1)]
    await delivery.run_due(datetime(2026, 11, 27, 10, 0, tzinfo=UTC), outbox)  # down for two whole days
    assert outbox.sent == [("ann", 1), ("ann", 4)]
    statuses = {r["day"]: r["status"] for r in await table(store, deliveries)}
    assert statuses == {1: "sent", 2: "skipped", 3: "skipped", 4: "sent"}


@pytest.mark.postgres
async def test_two_processes_on_one_postgres_deliver_each_message_once(engine, coach, postgres_url, clock):
    first = Backline(engine, await Store.open(postgres_url), coach, clock)
    second = Backline(engine, await Store.open(postgres_url), coach, clock)
    try:
        for n in range(40):
            await enrol(first, Who("simulator", f"p{n}"), at="08:00", zone="UTC")
        outbox = Outbox()
        for hour in range(8, 8 + 24 * 3, 1):
            now = START.replace(hour=0) + timedelta(hours=hour, seconds=5)
            await asyncio.gather(Delivery(first, "simulator", batch=7).run_due(now, outbox),
                                 Delivery(second, "simulator", batch=7).run_due(now, outbox))
        assert len(outbox.sent) == 40 * 3
        assert len(set(outbox.sent)) == 40 * 3, "nobody got a day twice"
    finally:
        await first.store.close()
        await second.store.close()


async def test_pause_resume_and_stop(coached, store, clock):
    await enrol(coached, at="08:00", zone="UTC")
    delivery, outbox = Delivery(coached, "simulator"), Outbox()
    assert "paused" in (await coached.handle(ANN, Command("pause")))[0].text
    clock.now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    await delivery.run_due(clock.now, outbox)
    assert outbox.sent == []
    resumed = await coached.handle(ANN, Command("resume"))
    assert "carries on from where you stopped; the next routine arrives on Friday 27 November at 08:00" in \
        resumed[0].text
    await delivery.run_due(datetime(2026, 11, 27, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == [("ann", 1)], "the plan resumes at day 1, not skipping content"
    await coached.handle(ANN, Command("stop"))
    await delivery.run_due(datetime(2026, 11, 28, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == [("ann", 1)]


async def test_a_blocked_person_gets_nothing_more(coached, store, clock):
    await enrol(coached, at="08:00", zone="UTC")
    delivery = Delivery(coached, "simulator")
    await delivery.run_due(datetime(2026, 11, 24, 8, 1, tzinfo=UTC), Outbox("blocked"))
    outbox = Outbox()
    await delivery.run_due(datetime(2026, 11, 25, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == []
    assert (await store.find("simulator", "ann")).stopped == "blocked"


CAUDA = ("bladder_bowel", "saddle_numbness", "sexual_dysfunction")  # the screen's first question


async def deliver_day_one(coached):
    outbox = Outbox()
    await Delivery(coached, "simulator").run_due(datetime(2026, 11, 24, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == [("ann", 1)]


@pytest.mark.parametrize("button", ["worse", "symptom"])
async def test_checkin_worse_reruns_the_screen_and_a_red_flag_pauses_the_plan(coached, store, button):
    await enrol(coached, at="08:00", zone="UTC")
    await deliver_day_one(coached)
    out = await coached.handle(ANN, Press(button, "day1"))
    assert questions(out)[-1].screens == CAUDA
    out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    out = await coached.handle(ANN, Press("not_sure", questions(out)[-1].ref))  # both legs
    assert Outcome("emergency", ("bilateral_or_progressive_neuro",)) in out
    assert "put your daily plan on hold" in out[-1].text
    assert (await table(store, enrolments))[0]["status"] == "flagged"
    outbox = Outbox()
    await Delivery(coached, "simulator").run_due(datetime(2026, 11, 26, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == []
    assert "on hold" in (await coached.handle(ANN, Command("resume")))[0].text


async def test_checkin_all_clear_carries_on(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    await deliver_day_one(coached)
    out = await coached.handle(ANN, Press("worse", "day1"))
    while questions(out) and questions(out)[-1].screens:
        out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    assert any("you can carry on" in o.text for o in out if isinstance(o, Message))
    assert (await table(store, enrolments))[0]["status"] == "active"
    assert [r["checkin"] for r in await table(store, deliveries)] == ["worse"]


@pytest.mark.parametrize("typed", ["my left leg went numb", "Calf is SWOLLEN and hot"])
async def test_free_text_mentioning_a_less_urgent_sign_reruns_the_screen_from_the_most_urgent(coached, typed):
    await enrol(coached, at="08:00", zone="UTC")
    out = await coached.handle(ANN, Text(typed))
    assert "go through the warning signs again" in out[0].text
    assert questions(out)[-1].screens == CAUDA


async def test_free_text_mentioning_an_emergency_sign_routes_at_once(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    out = await coached.handle(ANN, Text("I have chest pain now"))
    assert Outcome("emergency", ("pe_signs",)) in out
    assert (await table(store, enrolments))[0]["status"] == "flagged"


async def test_stale_or_forged_checkins_are_refused(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    await deliver_day_one(coached)
    assert "earlier question" in (await coached.handle(ANN, Press("done", "day2")))[0].text
    assert "earlier question" in (await coached.handle(ANN, Press("dance", "day1")))[0].text
    assert "earlier question" in (await coached.handle(ANN, Press("done", "dayx")))[0].text
    out = await coached.handle(ANN, Press("done", "day1"))
    assert "Nice work" in out[1].text
    assert [r["checkin"] for r in await table(store, deliveries)] == ["done"]


async def test_time_and_timezone_commands_change_the_schedule(coached, store, clock):
    await enrol(coached, at="08:00", zone="UTC")
    out = await coached.handle(ANN, Command("time"))
    assert [b.label for b in out[-1].buttons][:2] == ["07:00", "08:00"]
    out = await coached.handle(ANN, Text("6:30pm"))
    assert "at 18:30 (UTC time)" in out[-1].text
    out = await coached.handle(ANN, Command("timezone"))
    out = await coached.handle(ANN, Text("Atlantis"))
    assert "couldn't find that place" in out[0].text
    out = await coached.handle(ANN, Text("Tokyo"))
    assert "now follows Tokyo time; the next one arrives on Tuesday 24 November at 18:30" in out[-1].text
    (row,) = await table(store, enrolments)
    assert (row["delivery_time"], row["time_zone"]) == ("18:30", "Asia/Tokyo")
    assert row["next_due"].replace(tzinfo=UTC) == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


async def test_time_mid_triage_resumes_the_question(coached):
    out = await coached.handle(ANN, Command("time"))
    assert "not on the daily plan" in out[0].text


async def test_plan_and_progress(coached, store, clock):
    await enrol(coached, at="08:00", zone="UTC", wall="cannot")
    assert "nothing to show" not in (await coached.handle(ANN, Command("progress")))[0].text
    delivery = Delivery(coached, "simulator")
    for day in range(7):
        clock.now = datetime(2026, 11, 24 + day, 8, 1, tzinfo=UTC)
        await delivery.run_due(clock.now, Outbox())
        out = await coached.handle(ANN, Press("done" if day != 2 else "skipped", f"day{day + 1}"))
    assert out[-1].key == "scores.pain_week", "day 7 is the weekly check: pain first"
    out = await coached.handle(ANN, Text("3"))
    assert "tying my shoes" in out[-1].text and out[-1].key == "scores.rerate", "then their activity"
    out = await coached.handle(ANN, Text("6"))
    assert "knee-to-wall test" in out[-1].text, "then the measurement"
    out = await coached.handle(ANN, Text("9 cm"))
    assert [o.key for o in out if isinstance(o, Message)][-1] == "scores.week_thanks"
    pain = await store.run(lambda c: c.execute(sa.select(scores.c.day, scores.c.measure, scores.c.value)
                                               .order_by(scores.c.id)).all())
    assert [tuple(r) for r in pain] == [(0, "pain", 4.0), (0, "activity", 5.0), (7, "pain", 3.0),
                                        (7, "activity", 6.0)], "the baseline as day 0, the check as day 7"
    plan = await coached.handle(ANN, Command("plan"))
    assert plan[0].text.startswith("Day 7")
    out = await coached.handle(ANN, Command("progress"))
    assert "streak: 4 day(s) in a row done" in out[0].text and "6 of 7 sent (86%)" in out[0].text
    assert "latest knee-to-wall distance: 9 cm" in out[0].text
    photo = next(o for o in out if isinstance(o, Photo))
    assert photo.data.startswith(b"\x89PNG")
    assert [m["cm"] for m in await table(store, measurements)] == [6.0, 9.0], "each distance stored once"
    measures = {s["measure"] for s in await table(store, scores)}
    assert sorted(measures) == ["activity", "pain"], "not as a score"


async def test_a_failed_wall_test_gets_ankle_work(coached, coach):
    # day 1: not a mobility day
    easy = coach.day_message(1, {"wall_test": "easy", "knee_to_wall_cm": 14}).text
    hard = coach.day_message(1, {"wall_test": "cannot", "knee_to_wall_cm": 3}).text
    assert easy != hard and len(hard) > len(easy)


SYMPTOMS = ["shortness of breath", "pain in my chest", "I coughed up blood", "I cannot pee", "pins & needles",
            "calf is red and hot", "lost feeling in my foot", "my leg gave way", "high temperature",
            "struggling to breathe", "peeing blood", "can't feel my toes"]


@pytest.mark.parametrize("typed", SYMPTOMS)
def test_everyday_ways_of_describing_red_flag_symptoms_rerun_the_screen(engine, typed):
    from bot.engine import Progress
    progress, out = engine.handle(Progress(), Text(typed))
    assert engine.mentions(typed), typed
    assert any(isinstance(o, Outcome) for o in out) \
        or (progress.flow, progress.state) == ("redflags", "cauda")


@pytest.mark.parametrize("typed", ["No, but I've just started getting chest pain", "yes, and now chest pain"])
async def test_a_sign_typed_late_in_the_screen_routes_to_its_own_more_urgent_outcome(coached, typed):
    out = await coached.handle(ANN, Command("start"))
    out = await coached.handle(ANN, Press("agree", questions(out)[-1].ref))
    while "severe_or_persistent" not in questions(out)[-1].screens:
        out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    out = await coached.handle(ANN, Text(typed))
    assert [o for o in out if isinstance(o, Outcome)] == [Outcome("emergency", ("pe_signs",))]


async def test_a_less_urgent_sign_typed_early_still_asks_the_more_urgent_questions(coached):
    out = await coached.handle(ANN, Command("start"))
    out = await coached.handle(ANN, Press("agree", questions(out)[-1].ref))
    out = await coached.handle(ANN, Text("no, but my left foot has pins and needles"))
    assert questions(out)[-1].screens == CAUDA, "the question is asked again, not answered by the mention"
    asked = []
    while questions(out) and questions(out)[-1].screens:
        asked += questions(out)[-1].screens
        out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    assert "dvt_signs" in asked and "neuro_one_leg" not in asked, \
        "emergency and urgent rows asked; one leg: told"
    assert [o for o in out if isinstance(o, Outcome)] == [Outcome("professional", ("neuro_one_leg",))]


async def test_another_symptom_mid_rescreen_restarts_it_without_nesting(coached):
    await enrol(coached)
    out = await coached.handle(ANN, Text("my calf is swollen"))
    out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    out = await coached.handle(ANN, Text("and now my foot is numb"))
    assert questions(out)[-1].screens == ("bilateral_or_progressive_neuro",), "answered questions stand"
    person = await coached.store.find("simulator", "ann")
    assert [f[0] for f in person.progress.stack] == ["recheck"], "one re-screen, not one inside another"


async def test_the_plan_is_held_while_a_rescreen_is_unanswered(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    await deliver_day_one(coached)
    await coached.handle(ANN, Press("symptom", "day1"))
    assert (await table(store, enrolments))[0]["status"] == "checking"
    outbox = Outbox()
    for day in (25, 26, 27):
        await Delivery(coached, "simulator").run_due(datetime(2026, 11, day, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == []
    out = await coached.handle(ANN, Command("resume"))
    assert "finished the safety questions" in out[0].text and questions(out)[-1].screens == CAUDA
    while questions(out) and questions(out)[-1].screens:
        out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    assert (await table(store, enrolments))[0]["status"] == "active"
    await Delivery(coached, "simulator").run_due(datetime(2026, 11, 28, 8, 1, tzinfo=UTC), outbox)
    assert outbox.sent == [("ann", 5)], "days missed while held were skipped; the plan moves on"


async def test_a_failed_send_is_not_retried_once_the_plan_is_on_hold(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    await Delivery(coached, "simulator").run_due(datetime(2026, 11, 24, 8, 1, tzinfo=UTC), Outbox(None))
    out = await coached.handle(ANN, Text("my leg is numb"))
    out = await coached.handle(ANN, Press("yes", questions(out)[-1].ref))
    assert Outcome("emergency", CAUDA) in out
    outbox = Outbox()
    await Delivery(coached, "simulator").run_due(datetime(2026, 11, 24, 8, 30, tzinfo=UTC), outbox)
    assert outbox.sent == []
    assert [r["status"] for r in await table(store, deliveries)] == ["skipped"]


async def test_taking_the_check_again_keeps_a_running_plan(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    out = await coached.handle(ANN, Command("restart"))
    out = await coached.handle(ANN, Press("agree", questions(out)[-1].ref))
    while questions(out)[-1].screens:
        out = await coached.handle(ANN, Press("no", questions(out)[-1].ref))
    while questions(out)[-1].buttons and questions(out)[-1].buttons[0].id != "accept":
        out = await coached.handle(ANN, Press(questions(out)[-1].buttons[0].id, questions(out)[-1].ref))
    if not questions(out)[-1].buttons:
        out = await coached.handle(ANN, Text("7"))
    await coached.handle(ANN, Press("decline", questions(out)[-1].ref))
    assert (await table(store, enrolments))[0]["status"] == "active"


async def test_a_new_time_zone_neither_doubles_nor_drops_a_day(coached, store, clock):
    clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    await enrol(coached, at="20:00", zone="America/Los_Angeles")  # 04:00 UTC on the 25th
    outbox = Outbox()
    clock.now = datetime(2026, 11, 25, 4, 1, tzinfo=UTC)  # 13:01 on the 25th in Tokyo
    await Delivery(coached, "simulator").run_due(clock.now, outbox)
    await coached.handle(ANN, Command("timezone"))
    out = await coached.handle(ANN, Text("Asia/Tokyo"))
    assert "arrives on Thursday 26 November at 20:00" in out[-1].text, "not a second one on the 25th in Tokyo"


async def test_automatic_erasure_spares_people_who_still_receive_their_plan(coached, store):
    await enrol(coached, at="08:00", zone="UTC")
    await enrol(coached, Who("simulator", "bob"), at="08:00", zone="UTC")
    await coached.store.step("simulator", "bob", datetime(2026, 11, 24, 6, tzinfo=UTC),
                             lambda turn: turn.do(SaveEnrolment({"status": "paused"})))
    await deliver_day_one(coached)
    erased = await store.purge_inactive(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    assert erased == 1
    assert await store.find("simulator", "ann") and not await store.find("simulator", "bob")
