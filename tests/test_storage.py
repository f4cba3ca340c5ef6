"""The Store on SQLite and PostgreSQL: migrations, per-step commits, erasure, failures."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.engine import Progress
from bot.storage import Store, StorageUnavailable
from bot.turn import RecordOutcome, SaveEnrolment, SaveProgress
from bot.storage.tables import enrolments, people, triage_results

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


async def count_rows(store: Store) -> dict[str, int]:
    def count(conn):
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (people, triage_results, enrolments)}
    return await store.run(count)


async def test_migrations_create_the_schema_and_are_idempotent(database_url):
    first = await Store.open(database_url)
    await first.close()
    again = await Store.open(database_url)
    try:
        heads = await again.run(
            lambda c: c.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all())
        assert len(heads) == 1
        assert await count_rows(again) == {"people": 0, "triage_results": 0, "enrolments": 0}
    finally:
        await again.close()


async def test_each_step_is_committed_and_survives_a_reopen(database_url):
    store = await Store.open(database_url)

    def answer(turn):
        progress = turn.person.progress
        progress.flow, progress.state, progress.step = "triage", "squat", 4
        progress.answers["squat_heels_lift"] = "yes"
        turn.do(SaveProgress(progress))
    await store.step("telegram", "42", NOW, answer)
    await store.close()  # as if the process were killed right after the step

    reopened = await Store.open(database_url)
    try:
        person = await reopened.find("telegram", "42")
        assert person.progress == Progress("triage", "squat", [], {"squat_heels_lift": "yes"}, [], None, 4)
    finally:
        await reopened.close()


async def test_a_failed_step_rolls_back_everything(store):
    def half_then_fail(turn):
        turn.do(RecordOutcome("emergency", ("bladder_bowel",)))
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        await store.step("telegram", "1", NOW, half_then_fail)
    assert await count_rows(store) == {"people": 0, "triage_results": 0, "enrolments": 0}


async def test_forget_erases_every_row_of_that_person_only(store):
    def full(turn):
        turn.do(RecordOutcome("coaching", ()), SaveEnrolment({"status": "active"}),
                SaveProgress(Progress(answers={"knee_to_wall_cm": 8})))
    await store.step("telegram", "1", NOW, full)
    await store.step("telegram", "2", NOW, full)
    assert await store.forget("telegram", "1") is True
    assert await store.find("telegram", "1") is None
    assert await count_rows(store) == {"people": 1, "triage_results": 1, "enrolments": 1}
    assert await store.forget("telegram", "1") is False


async def test_enrolment_is_updated_in_place(store):
    await store.step("terminal", "ann", NOW, lambda t: t.do(SaveEnrolment({"status": "declined"})))
    await store.step("terminal", "ann", NOW, lambda t: t.do(SaveEnrolment({"status": "pending"})))
    statuses = await store.run(lambda c: c.execute(sa.select(enrolments.c.status)).scalars().all())
    assert statuses == ["pending"]


async def test_unreachable_database_is_reported_not_raised_raw():
    with pytest.raises(StorageUnavailable):
        await Store.open("postgresql://postgres@127.0.0.1:1/none")


async def test_a_database_that_went_away(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    store = await Store.open(f"sqlite:///{folder / 'b.db'}")
    await store.step("terminal", "x", NOW, lambda t: None)

    def drop(conn):
        conn.execute(sa.text("DROP TABLE triage_results"))
        conn.execute(sa.text("DROP TABLE enrolments"))
        conn.execute(sa.text("DROP TABLE people"))
    await store.run(drop)
    with pytest.raises(StorageUnavailable):
        await store.find("terminal", "x")
    assert await store.ping() is True  # the server answers; the schema is what went away
    await store.close()


async def test_concurrent_steps_commit_and_a_failing_one_fails_alone(store):
    import asyncio

    def ok(n):
        def work(turn):
            turn.do(RecordOutcome("coaching", ()))
        return work

    def bad(turn):
        turn.do(RecordOutcome("urgent", ("dvt_signs",)))
        raise ValueError("bad step")
    results = await asyncio.gather(*(store.step("bench", str(n), NOW, ok(n)) for n in range(30)),
                                   store.step("bench", "bad", NOW, bad), return_exceptions=True)
    assert [type(r) for r in results] == [type(None)] * 30 + [ValueError]
    counts = await count_rows(store)
    assert counts["people"] == 30 and counts["triage_results"] == 30
