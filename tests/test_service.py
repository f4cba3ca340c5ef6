"""The service every adapter shares: commands, ordering, deduplication, erasure, failures."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.engine import Answered, Message, Outcome, Press, Refused, Text
from bot.service import Backline, Command, Unsupported, Who
from bot.storage import StorageUnavailable
from bot.storage.tables import enrolments, triage_results

ANN = Who("terminal", "ann")


def texts(out):
    return [o.text for o in out if isinstance(o, Message | Refused)]


def last_question(out):
    return [o for o in out if isinstance(o, Message) and o.ref][-1]


async def to_first_question(backline, who=ANN):
    out = await backline.handle(who, Command("start"))
    return await backline.handle(who, Press("agree", last_question(out).ref))


async def test_start_help_privacy_and_unknown_commands(backline):
    out = await backline.handle(ANN, Command("start"))
    assert "I'm a self-care coach, not a doctor" in out[0].text
    assert [b.id for b in out[0].buttons] == ["agree", "decline"]
    help_out = await backline.handle(ANN, Command("help"))
    assert "/delete" in help_out[0].text and help_out[1] == out[0]
    assert "12 months" in (await backline.handle(ANN, Command("privacy")))[0].text
    unknown = await backline.handle(ANN, Command("frobnicate"))
    assert "I don't know the command /frobnicate" in unknown[0].text and unknown[1] == out[0]
    sticker = await backline.handle(ANN, Unsupported("sticker"))
    assert "only read text" in sticker[0].text and sticker[1] == out[0]


async def test_start_mid_conversation_resumes_and_restart_begins_again(backline):
    out = await to_first_question(backline)
    question = last_question(out)
    resumed = await backline.handle(ANN, Command("start"))
    assert "Welcome back" in resumed[0].text and resumed[1] == question
    restarted = await backline.handle(ANN, Command("restart"))
    assert [b.id for b in restarted[0].buttons] == ["agree", "decline"]


async def test_outcome_and_coaching_offer_are_stored(backline, store):
    out = await to_first_question(backline)
    out = await backline.handle(ANN, Press("not_sure", last_question(out).ref))
    cauda = ["bladder_bowel", "saddle_numbness", "sexual_dysfunction"]
    assert Outcome("emergency", tuple(cauda)) in out
    rows = await store.run(lambda c: c.execute(sa.select(triage_results.c.outcome,
                                                         triage_results.c.flags)).all())
    assert [tuple(r) for r in rows] == [("emergency", cauda)]

    out = await to_first_question(backline, Who("terminal", "bob"))
    while (q := last_question(out)).screens:
        out = await backline.handle(Who("terminal", "bob"), Press("no", q.ref))
    while (q := last_question(out)).buttons and q.buttons[0].id != "accept":
        out = await backline.handle(Who("terminal", "bob"), Press(q.buttons[0].id, q.ref))
    if not q.buttons:
        out = await backline.handle(Who("terminal", "bob"), Text("10"))
    out = await backline.handle(Who("terminal", "bob"), Press("accept", last_question(out).ref))
    assert await store.run(lambda c: c.execute(sa.select(enrolments.c.status)).scalars().all()) == ["pending"]


async def test_a_repeated_update_is_applied_once(backline, store):
    out = await to_first_question(backline)
    ref = last_question(out).ref
    first = await backline.handle(ANN, Press("no", ref), update_id=100)
    again = await backline.handle(ANN, Press("no", ref), update_id=100)
    assert first and again == []
    person = await store.find("terminal", "ann")
    assert person.progress.state == "both_legs"


async def test_one_persons_inputs_run_in_order_even_when_sent_at_once(backline, store):
    out = await to_first_question(backline)
    ref = int(last_question(out).ref)
    results = await asyncio.gather(*(backline.handle(ANN, Press("no", str(ref + i))) for i in range(5)))
    assert all(not any(isinstance(o, Refused) for o in r) for r in results)
    assert (await store.find("terminal", "ann")).progress.state == "infection"  # five questions answered


async def test_stop_then_start(backline, store):
    await backline.handle(ANN, Command("start"))
    out = await backline.handle(ANN, Command("stop"))
    assert "won't send you any more messages" in out[0].text
    assert (await store.find("terminal", "ann")).stopped == "stop"
    await backline.handle(ANN, Command("start"))
    assert (await store.find("terminal", "ann")).stopped is None


async def test_delete_needs_confirmation_then_erases_everything(backline, store):
    await to_first_question(backline)
    ask = await backline.handle(ANN, Command("delete"))
    assert [b.id for b in ask[0].buttons] == ["confirm", "cancel"]
    kept = await backline.handle(ANN, Press("cancel", ask[0].ref))
    assert "Nothing was erased" in kept[-1].text and await store.find("terminal", "ann")
    done = await backline.handle(ANN, Press("confirm", ask[0].ref))
    assert "has been erased" in done[-1].text
    assert await store.find("terminal", "ann") is None


async def test_a_new_process_carries_on_where_the_last_one_stopped(engine, coach, database_url):
    from bot.storage import Store
    first = Backline(engine, await Store.open(database_url), coach)
    out = await to_first_question(first)
    out = await first.handle(ANN, Press("no", last_question(out).ref))
    await first.store.close()

    second = Backline(engine, await Store.open(database_url), coach)
    try:
        out2 = await second.handle(ANN, Command("start"))
        assert out2[1] == last_question(out)
    finally:
        await second.store.close()


async def test_storage_failure_gets_a_clear_answer_and_loses_nothing(engine, coach):
    class Broken:
        async def run(self, *args):
            raise StorageUnavailable("OperationalError")
    backline = Backline(engine, Broken(), coach)
    out = await backline.handle(ANN, Text("yes"))
    assert "can't reach my records" in out[0].text


@pytest.mark.postgres
async def test_postgres_connections_killed_mid_conversation(engine, coach, postgres_url):
    from bot.storage import Store
    backline = Backline(engine, await Store.open(postgres_url), coach)
    try:
        await to_first_question(backline)
        name = postgres_url.rsplit("/", 1)[1]
        await backline.store.run(lambda c: c.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}))
        out = await backline.handle(ANN, Text("no"))  # pre-ping reconnects: nothing lost
        assert out[0].label == "No"
    finally:
        await backline.store.close()


async def test_buttons_from_before_a_restart_stay_stale(backline):
    out = await to_first_question(backline)
    old = last_question(out)
    out = await backline.handle(ANN, Press("no", old.ref))
    await backline.handle(ANN, Command("restart"))
    out = await to_first_question(backline)
    refused = await backline.handle(ANN, Press("no", old.ref))
    assert [type(o) for o in refused] == [Refused]
    assert int(last_question(out).ref) > int(old.ref)


async def test_a_new_persons_refs_start_from_the_clock(backline, store):
    out = await backline.handle(Who("terminal", "new"), Command("start"))
    assert int(out[0].ref) > 1_700_000_000_000, "refs can't collide with buttons sent before an erasure"


async def test_an_old_delete_confirmation_expires(engine, coach, store):
    from datetime import timedelta
    now = [datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)]
    backline = Backline(engine, store, coach, lambda: now[0])
    await to_first_question(backline)
    ask = await backline.handle(ANN, Command("delete"))
    now[0] += timedelta(minutes=11)
    out = await backline.handle(ANN, Press("confirm", ask[0].ref))
    assert [type(o) for o in out] == [Refused] and "expired" in out[0].text
    assert await store.find("terminal", "ann")
    ask = await backline.handle(ANN, Command("delete"))
    out = await backline.handle(ANN, Press("confirm", ask[0].ref))
    assert out[0] == Answered(ask[0].ref, "Yes, erase everything"), "the keyboard goes once answered"
    assert await store.find("terminal", "ann") is None


async def test_marking_an_erased_person_blocked_does_not_bring_them_back(backline, store):
    await to_first_question(backline)
    ask = await backline.handle(ANN, Command("delete"))
    await backline.handle(ANN, Press("confirm", ask[0].ref))
    await backline.mark_blocked(ANN)
    assert await store.find("terminal", "ann") is None
