"""End to end: the real python-telegram-bot Application over real HTTP against the local Bot API server."""
from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
import sqlalchemy as sa

from bot.adapters.telegram.limits import RetryingRateLimiter
from bot.storage import Store
from bot.storage.tables import deliveries, enrolments, people, triage_results
from tests.support.botapi import BotAPIServer
from tests.telegram_harness import SECRET, baseline, buttons, press, question, running_bot, say, settle

AGREE = "I understand, let's start"


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bot.db'}"


def text_of(engine, key):
    return engine.text("en", key)


def question_of(engine, flag):
    """The text of the screen question that asks about `flag`."""
    return text_of(engine, next(s.say for s in engine.flows["redflags"].states.values() if flag in s.screens))


async def triage(server, user, engine, flag=None, reply="Yes"):
    """Go through triage answering No to every red flag but `flag` (answered `reply`); return the last
    messages."""
    await say(server, user, "/start")
    new = await press(server, user, AGREE)
    flag_text = question_of(engine, flag) if flag else None
    for _ in range(40):
        last = new[-1]
        if flag_text and last["text"].endswith(flag_text):
            return await press(server, user, reply)
        if last["text"].endswith(text_of(engine, "calf.wall_distance")):
            new = await say(server, user, "10")
        elif last["text"].endswith(text_of(engine, "calf.wall_test")):
            new = await press(server, user, "Hard")
        elif last["text"].endswith(text_of(engine, "coaching.offer")):
            await press(server, user, "Yes, send me the plan", expect=text_of(engine, "coaching.ask_time"))
            await press(server, user, "08:00", expect=text_of(engine, "coaching.ask_zone"))
            await press(server, user, "Berlin", expect=text_of(engine, "scores.pain"))
            return await baseline(server, user, engine.flowset.texts["en"])
        elif buttons(last):
            labels = [label for label, _ in buttons(last)]
            red_flag = any(last["text"].endswith(question_of(engine, f))
                           for f in engine.flowset.clinical.flag_ids)
            new = await press(server, user, "No" if red_flag else labels[0])
        else:
            raise AssertionError(f"unexpected message: {last['text'][:80]}")
    raise AssertionError("triage did not end")


async def rows(database_url, table, user_id):
    store = await Store.open(database_url)
    try:
        def read(conn):
            person = conn.execute(sa.select(people).where(people.c.external_id == str(user_id))).one_or_none()
            if table is people:
                return [person] if person else []
            return (conn.execute(sa.select(table).where(table.c.person_id == person.id)).all() if person
                    else [])
        return await store.run(read)
    finally:
        await store.close()


@pytest.mark.parametrize("flag,reply,outcome", [
    ("bladder_bowel", "Yes", "emergency"),
    ("dvt_signs", "Not sure", "urgent"),
    ("neuro_one_leg", "Yes", "professional"),
    (None, None, "coaching"),
])
async def test_whole_conversation_to_each_outcome(server, database_url, engine, flag, reply, outcome):
    user = server.user(1001)
    async with running_bot(server, database_url):
        last = await triage(server, user, engine, flag, reply)
    if outcome == "coaching":
        assert "You're all set. Your first routine arrives on " in last[-1]["text"]
        assert "at 08:00 (Berlin time)" in last[-1]["text"]
    else:
        assert last[-1]["text"] == text_of(engine, f"outcome.{outcome}")
    results = await rows(database_url, triage_results, 1001)
    group = next((list(s.screens) for s in engine.flows["redflags"].states.values() if flag in s.screens), [])
    assert [(r.outcome, r.flags) for r in results] == [(outcome, group)]  # a list question reports its group
    if outcome == "coaching":
        enrolled = await rows(database_url, enrolments, 1001)
        assert [(r.status, r.delivery_time, r.time_zone) for r in enrolled] \
            == [("active", "08:00", "Europe/Berlin")]


async def test_pressed_question_is_edited_acknowledged_and_commands_registered(server, sqlite_url, engine):
    user = server.user(7)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        welcome = question(user)
        await press(server, user, AGREE)
    edited = next(m for m in user.messages() if m["message_id"] == welcome["message_id"])
    assert edited["text"].endswith(f"→ {AGREE}") and not buttons(edited) and "edit_date" in edited
    answers = [c for c in server.calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 1 and answers[0].status == 200
    commands = next(c for c in server.calls if c.method == "setMyCommands").params["commands"]
    commands = json.loads(commands) if isinstance(commands, str) else commands
    assert [c["command"] for c in commands] == ["start", "restart", "plan", "pause", "resume", "time",
                                                "timezone", "progress", "export", "language", "help",
                                                "privacy", "stop", "delete"]


async def test_typed_answers_and_unreadable_messages(server, sqlite_url, engine):
    user = server.user(8)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        await press(server, user, AGREE)
        new = await say(server, user, "Nope!")
        assert new[-1]["text"].endswith(text_of(engine, "screen.both_legs"))
        new = await say(server, user, "what do you mean?")
        assert new[0]["text"] == text_of(engine, "hint.yes_no") + "\n\n" + text_of(engine, "screen.both_legs")
        before = len(user.messages())
        await user.send_sticker()
        new = await settle(server, user, before)
        assert new[0]["text"].startswith(text_of(engine, "service.unsupported") + "\n\n")
        new = await say(server, user, "/dance")
        assert "I don't know the command /dance" in new[0]["text"]
        new = await say(server, user, "idk 🤷")
    assert text_of(engine, "outcome.emergency") == new[-1]["text"]


async def test_stale_and_forged_presses_change_nothing(server, sqlite_url, engine):
    user, other = server.user(11), server.user(12)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        await press(server, user, AGREE)
        first = question(user)
        await press(server, user, "No")
        await say(server, other, "/start")

        async def refused(who, message_id, data):
            before = len(who.messages())
            query = await who.press(message_id, data)
            await server.wait_for(lambda: who.answered(query) is not None)
            await asyncio.sleep(0.2)
            assert len(who.messages()) == before
            return who.answered(query)

        stale = await refused(user, first["message_id"], dict(buttons(first))["No"])  # a late "Yes" escalates
        assert stale["text"] == text_of(engine, "hint.stale")
        data = dict(buttons(first))["No"]
        ref, answer, sig = data.split(":")
        assert (await refused(user, first["message_id"], f"{ref}:yes:{sig}"))["text"] \
            == text_of(engine, "hint.stale")
        current = question(user)
        stolen = dict(buttons(current))["Yes"]  # user's live button, pressed by someone else
        assert (await refused(other, question(other)["message_id"], stolen))["text"] \
            == text_of(engine, "hint.stale")
    person = (await rows(sqlite_url, people, 11))[0]
    assert person.progress["state"] == "both_legs" and person.progress["flags"] == []


async def test_stop_and_delete(server, database_url, engine):
    user = server.user(21)
    async with running_bot(server, database_url):
        await triage(server, user, engine)
        new = await say(server, user, "/stop")
        assert new[0]["text"] == text_of(engine, "service.stopped")
        assert (await rows(database_url, people, 21))[0].stopped == "stop"
        await say(server, user, "/delete")
        new = await press(server, user, "Yes, erase everything")
        assert new[-1]["text"] == text_of(engine, "service.deleted")
    for table in (people, triage_results, enrolments):
        assert await rows(database_url, table, 21) == []
    store = await Store.open(database_url)
    try:
        assert await store.run(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(people)).scalar_one()) == 0
    finally:
        await store.close()


async def test_a_person_who_blocked_the_bot_is_marked_stopped(server, sqlite_url):
    user = server.user(31)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        server.block(31)
        await user.send_text("hello?")
        await server.wait_for(lambda: any(c.status == 403 for c in server.calls))
        for _ in range(100):
            found = await rows(sqlite_url, people, 31)
            if found and found[0].stopped == "blocked":
                break
            await asyncio.sleep(0.05)
    assert found[0].stopped == "blocked"


async def test_flood_control_retry_after_is_honoured_and_nothing_is_lost(server, sqlite_url, engine):
    user = server.user(41)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        server.flood("sendMessage", times=2, retry_after=1)
        started = asyncio.get_running_loop().time()
        new = await press(server, user, AGREE)
        waited = asyncio.get_running_loop().time() - started
    assert new[-1]["text"] \
        == text_of(engine, "triage.screen_intro") + "\n\n" + text_of(engine, "screen.cauda")
    assert waited >= 1.0
    assert sum(1 for c in server.calls if c.status == 429) == 2


async def test_server_errors_are_retried(server, sqlite_url, engine):
    user = server.user(42)
    async with running_bot(server, sqlite_url):
        server.fail("sendMessage", times=2, status=502)
        new = await say(server, user, "/start")
    assert new[-1]["text"] == text_of(engine, "triage.welcome")
    assert sum(1 for c in server.calls if c.method == "sendMessage" and c.status == 502) == 2


async def test_two_hundred_people_at_once(server, database_url, engine):
    url = database_url
    users = [server.user(5000 + i) for i in range(200)]
    fast = RetryingRateLimiter(backoff=0.05)  # this test is about concurrency, not pacing
    async with running_bot(server, url, limiter=fast):
        async def person(user, n):
            await say(server, user, "/start", expect=text_of(engine, "triage.welcome"))
            await press(server, user, AGREE, expect=text_of(engine, "screen.cauda"))
            await say(server, user, "no", expect=text_of(engine, "screen.both_legs"))
            await press(server, user, "No", expect=text_of(engine, "screen.chest_belly"))
            await say(server, user, "nope", expect=text_of(engine, "screen.limb_accident"))
        await asyncio.gather(*(person(u, i) for i, u in enumerate(users)))
    store = await Store.open(url)
    try:
        states = await store.run(lambda c: c.execute(sa.select(people.c.external_id,
                                                               people.c.progress)).all())
    finally:
        await store.close()
    assert len(states) == 200
    assert {p["state"] for _, p in states} == {"limb_accident"}


async def test_the_bot_restarted_mid_conversation_carries_on(server, database_url, engine):
    user = server.user(51)
    async with running_bot(server, database_url):
        await say(server, user, "/start")
        await press(server, user, AGREE)
        await press(server, user, "No")
    async with running_bot(server, database_url):
        new = await press(server, user, "No")  # a button sent before the restart
        assert new[-1]["text"].endswith(text_of(engine, "screen.chest_belly"))


async def test_an_update_delivered_twice_is_applied_once(server, sqlite_url, engine):
    from telegram import Update
    user = server.user(61)
    async with running_bot(server, sqlite_url) as runner:
        await say(server, user, "/start")
        await press(server, user, AGREE)
        await say(server, user, "no")
        delivered = next(c for c in reversed(server.calls) if c.method == "getUpdates" and c.result)
        update = Update.de_json(delivered.result[-1], runner.bot)
        before = len(user.messages())
        assert await runner.intake.store([(update.update_id, update)])  # as if Telegram sent it again
        await asyncio.sleep(0.3)
        assert len(user.messages()) == before
    assert (await rows(sqlite_url, people, 61))[0].progress["state"] == "both_legs"


async def test_webhook_mode_checks_the_secret_and_reports_health(server, sqlite_url, engine, unused_tcp_port):
    user = server.user(71)
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    async with running_bot(server, sqlite_url, webhook_url=url, port=unused_tcp_port):
        new = await say(server, user, "/start")
        assert new[-1]["text"] == text_of(engine, "triage.welcome")
        update = {"update_id": 2_000_000_000,  # above any id the server has used
                  "message": {"message_id": 1, "date": 0, "chat": {"id": 71, "type": "private"},
                              "from": {"id": 71, "is_bot": False, "first_name": "T"}, "text": "/restart",
                              "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}}
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            missing = await client.post(url, json=update)
            health = await client.get(f"http://127.0.0.1:{unused_tcp_port}/healthz")
            right = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "leader": True}
        await server.wait_for(lambda: len(user.messages()) >= 2)
    webhook = next(c for c in server.calls if c.method == "setWebhook")
    assert webhook.params["url"] == url and webhook.params["secret_token"] == SECRET


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_the_token_never_reaches_the_logs(server, sqlite_url, engine, capfd, level):
    from bot import logs
    logs.configure(level, secrets=(server.token,))
    try:
        user = server.user(81)
        async with running_bot(server, sqlite_url):
            server.fail("sendMessage", times=1, status=502)
            await say(server, user, "/start")
            server.flood("sendMessage", times=1, retry_after=1)
            await press(server, user, AGREE)
            await say(server, user, "yes")
    finally:
        logging.getLogger().handlers.clear()
    captured = capfd.readouterr()
    logged = captured.err + captured.out
    assert "retrying" in logged, "the run did log"
    assert server.token not in logged
    if level == "INFO":
        assert text_of(engine, "screen.cauda")[:40] not in logged, "no health question or answer at info"


async def next_due(database_url, user_id):
    (row,) = await rows(database_url, enrolments, user_id)
    due = row.next_due
    return due if due.tzinfo else due.replace(tzinfo=__import__("datetime").timezone.utc)


async def test_plan_days_arrive_with_checkins_and_progress_has_a_chart(server, database_url, engine):
    from datetime import timedelta
    user, blocker = server.user(91), server.user(92)
    async with running_bot(server, database_url) as runner:
        await triage(server, user, engine)
        await triage(server, blocker, engine)
        server.block(92)
        due = max(await next_due(database_url, 91), await next_due(database_url, 92))
        runner.backline.clock = lambda: due + timedelta(minutes=1)
        assert await runner.deliver_due() == 2, "one for each; the blocker's comes back Forbidden"
        day = user.messages()[-1]
        assert day["text"].startswith("Day 1 of 42") and [b for b, _ in buttons(day)] == \
            ["Done ✅", "Skipped", "Pain is worse", "New symptom"]
        assert await runner.deliver_due() == 0, "nothing twice"
        new = await press(server, user, "Done ✅")
        assert "Nice work" in new[-1]["text"]
        assert next(m for m in user.messages()
                    if m["message_id"] == day["message_id"])["text"].endswith("→ Done ✅")
        await say(server, user, "/progress")
        photo = user.messages()[-1]
        assert photo.get("photo") and photo["_photo_bytes"].startswith(b"\x89PNG")
        assert "knee-to-wall" in photo["caption"]
        new = await say(server, user, "my calf is swollen")
        assert new[0]["text"].startswith(text_of(engine, "recheck.intro") + "\n\n")
    assert (await rows(database_url, people, 92))[0].stopped == "blocked"
    sent = {r.day: r.status for r in await rows(database_url, deliveries, 91)}
    assert sent == {1: "sent"}


async def test_a_typing_indicator_shows_while_the_bot_works(server, sqlite_url, monkeypatch):
    import time
    from bot.service import Backline
    step = Backline.step

    def slow(self, *args, **kwargs):  # a step that takes longer than the indicator's delay
        time.sleep(1.3)
        return step(self, *args, **kwargs)
    monkeypatch.setattr(Backline, "step", slow)
    user = server.user(101)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
    action = next(c for c in server.calls if c.method == "sendChatAction")
    assert action.params["action"] == "typing" and str(action.params["chat_id"]) == "101"
    first_reply = next(i for i, c in enumerate(server.calls) if c.method == "sendMessage")
    assert server.calls.index(action) < first_reply


async def test_quick_replies_show_no_typing_indicator(server, sqlite_url):
    user = server.user(102)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
    assert not any(c.method == "sendChatAction" for c in server.calls)


async def test_a_burst_of_plan_days_keeps_under_telegrams_rate_with_no_429(server, sqlite_url, engine):
    from datetime import timedelta
    from bot.turn import SaveEnrolment
    server.rate_limit(global_per_second=30)
    users = [server.user(7000 + n) for n in range(45)]
    async with running_bot(server, sqlite_url) as runner:  # the default limiter: 30 a second
        store = runner.backline.store
        for user in users:  # enrol directly: this test is about sending
            await store.step("telegram", str(user.id), runner.backline.clock(), lambda turn: turn.do(
                SaveEnrolment(dict(status="active", delivery_time="08:00", time_zone="UTC", profile={},
                                   next_day=1, next_due=turn.now - timedelta(minutes=1)))))
        started = asyncio.get_running_loop().time()
        await runner.deliver_due()
        await server.wait_for(lambda: all(u.messages() for u in users))
        elapsed = asyncio.get_running_loop().time() - started
    assert server.too_many_requests == 0
    assert all(len(u.messages()) == 1 for u in users)
    assert elapsed >= 1.0, "45 messages cannot all go in the first second"


async def test_a_plan_day_that_timed_out_counts_as_sent(engine, coach):
    from datetime import datetime, timezone
    from telegram.error import TimedOut
    from bot.adapters.telegram.callbacks import CallbackSigner
    from bot.adapters.telegram.sender import TelegramChannel
    from bot.runtime.rows import draft_of
    from bot.storage.outbox import SENT, Row

    class SlowBot:
        async def send_message(self, *args, **kwargs):
            raise TimedOut()
    channel = TelegramChannel(SlowBot(), CallbackSigner("1234:" + "a" * 35),
                              lambda: datetime.now(timezone.utc))
    draft = draft_of(coach.day_message(1, {}))
    [mark] = await channel.send([Row(1, "telegram", "42", draft.kind, draft.body, delivery_id=5)])
    assert mark.status == SENT and mark.delivery_id == 5


async def test_a_failing_update_is_logged_and_the_bot_carries_on(server, sqlite_url, engine, monkeypatch,
                                                                 caplog):
    from bot.service import Backline, Command
    step, failures = Backline.step, []

    def broken(self, turn, item, *args, **kwargs):  # a bug that one input meets, every time it is run
        if item == Command("broken"):
            failures.append(1)
            raise RuntimeError("a bug")
        return step(self, turn, item, *args, **kwargs)
    monkeypatch.setattr(Backline, "step", broken)
    user = server.user(111)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/broken", expect=text_of(engine, "error.failed"))
        new = await say(server, user, "/start")
    assert new[-1]["text"] == text_of(engine, "triage.welcome")
    assert any(m["text"] == text_of(engine, "error.failed") for m in user.messages()), \
        "told, not left waiting"
    assert any("failed: RuntimeError" in r.getMessage() for r in caplog.records)


async def test_a_press_on_a_message_no_longer_shown_is_applied_and_its_buttons_removed(server, sqlite_url,
                                                                                      engine):
    user = server.user(121)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        welcome = question(user)
        before = len(user.messages())
        old = {"chat": {"id": 121, "type": "private"}, "message_id": welcome["message_id"], "date": 0}
        presser = {"id": 121, "is_bot": False, "first_name": "T"}
        server.inject(121, {"callback_query": {"id": "77", "from": presser, "chat_instance": "1",
                                               "message": old, "data": dict(buttons(welcome))[AGREE]}})
        new = await settle(server, user, before, expect=text_of(engine, "screen.cauda"))
    assert new[-1]["text"].endswith(text_of(engine, "screen.cauda"))
    assert any(c.method == "editMessageReplyMarkup" and c.status == 200 for c in server.calls)
    assert not buttons(next(m for m in user.messages() if m["message_id"] == welcome["message_id"]))


async def test_export_sends_a_pdf_and_a_json_of_ones_own_data(server, database_url, engine):
    import io
    import json

    import jsonschema
    from pypdf import PdfReader
    from bot.export.portable import schema
    user, other = server.user(131), server.user(132)
    async with running_bot(server, database_url):
        await triage(server, user, engine)
        await triage(server, other, engine)
        before = len(user.messages())
        await user.send_text("/export")
        await server.wait_for(lambda: sum(1 for m in user.messages()[before:] if m.get("document")) == 2, 60)
    pdf, data = [m for m in user.messages()[before:] if m.get("document")]
    assert pdf["document"]["mime_type"] == "application/pdf" and pdf["document"]["file_name"].endswith(".pdf")
    pages = PdfReader(io.BytesIO(pdf["_document_bytes"])).pages
    assert 1 <= len(pages) <= 2 and "no warning sign" in pages[0].extract_text().lower()
    body = json.loads(data["_document_bytes"])
    jsonschema.validate(body, schema())
    assert body["record"]["person"]["external_id"] == "131", "only their own data"
    assert body["record"]["triage_results"][0]["outcome"] == "coaching"


async def localised_triage(server, user, engine, locale):
    """Consent, the screen (No to every red flag), the calf check and enrolment, pressing `locale`'s
    labels."""
    t = lambda key: engine.text(locale, key)  # noqa: E731
    await say(server, user, "/start", expect=t("triage.welcome"))
    new = await press(server, user, t("triage.agree"))
    for _ in range(40):
        last = new[-1]["text"]
        if last.endswith(t("calf.wall_distance")):
            new = await say(server, user, "10")
        elif last.endswith(t("calf.wall_test")):
            new = await press(server, user, t("calf.wall_hard"))
        elif last.endswith(t("coaching.offer")):
            await press(server, user, t("coaching.accept"), expect=t("coaching.ask_time"))
            await say(server, user, {"es": "a las 8 de la mañana", "de": "8 Uhr morgens"}[locale],
                      expect=t("coaching.ask_zone"))
            await say(server, user, {"es": "Múnich", "de": "München"}[locale], expect=t("scores.pain"))
            return await baseline(server, user, engine.flowset.texts[locale],
                                  activity={"es": "atarme los zapatos", "de": "Schuhe zubinden"}[locale])
        else:
            new = await press(server, user, t("answer.no"))
    raise AssertionError("triage did not end")


@pytest.mark.parametrize("locale", ["es", "de"])
async def test_a_person_whose_telegram_is_in_spanish_or_german_is_served_in_it(server, sqlite_url, engine,
                                                                               locale):
    from datetime import timedelta
    user = server.user(130 + len(locale) + ord(locale[0]), language_code=f"{locale}-{locale.upper()}")
    t = lambda key: engine.text(locale, key)  # noqa: E731
    async with running_bot(server, sqlite_url) as runner:
        confirmed = await localised_triage(server, user, engine, locale)
        assert t("coaching.confirmed").split("{")[0] in confirmed[-1]["text"]
        assert {"es": "08:00 (hora de Berlín)", "de": "08:00 (Zeit in Berlin)"}[locale] \
            in confirmed[-1]["text"]
        due = await next_due(sqlite_url, user.id)
        runner.backline.clock = lambda: due + timedelta(minutes=1)
        assert await runner.deliver_due() == 1
        day = user.messages()[-1]
        assert day["text"].startswith({"es": "Día 1 de 42", "de": "Tag 1 von 42"}[locale])
        assert [b for b, _ in buttons(day)] \
            == [t(f"checkin.{c}") for c in ("done", "skipped", "worse", "symptom")]
        new = await press(server, user, t("checkin.done"))
        assert new[-1]["text"] == t("checkin.thanks_done")
        await say(server, user, "/progress")
        photo = user.messages()[-1]
        assert photo["caption"] == t("progress.chart_caption")
        assert user.messages()[-2]["text"].startswith(t("progress.summary").split("\n")[0])
    commands = {c.params.get("language_code") or "": c.params["commands"] for c in server.calls
                if c.method == "setMyCommands"}
    menu = commands[locale]
    menu = json.loads(menu) if isinstance(menu, str) else menu
    assert {c["command"]: c["description"] for c in menu}["language"] == t("command.language")
    assert {c["command"]: c["description"] for c in menu}["start"] == t("command.start")
    default = commands[""]
    default = json.loads(default) if isinstance(default, str) else default
    assert {c["command"]: c["description"] for c in default}["start"] == engine.text("en", "command.start")


async def test_language_changes_the_language_and_asks_the_open_question_again(server, sqlite_url, engine):
    user = server.user(140)
    async with running_bot(server, sqlite_url):
        await say(server, user, "/start")
        await press(server, user, AGREE, expect=engine.text("en", "screen.cauda"))
        await say(server, user, "/language", expect=engine.text("en", "language.ask"))
        new = await press(server, user, "Deutsch", expect=engine.text("de", "screen.cauda"))
        assert engine.text("de", "language.changed") in new[-1]["text"]
        assert [b for b, _ in buttons(new[-1])] == ["Ja", "Nein", "Nicht sicher"]
        new = await say(server, user, "nein", expect=engine.text("de", "screen.both_legs"))
    assert (await rows(sqlite_url, people, 140))[0].progress["locale"] == "de"
