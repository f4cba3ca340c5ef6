"""Daily delivery at scale: 100,000 enrolled people on SQLite (and PostgreSQL), and the send rate under a cap.

Run (from the repo root): python bench/delivery_scale.py [--people 100000] [--send 600] [--no-postgres]

1. Set-up (printed, not a result): a SQLite file in a temp dir, schema by Store.open, `--people` rows in
   `people` and `enrolments`, bulk-inserted in one transaction. Delivery times are spread over the day in a
   mix of IANA zones, with next_due set by bot.coaching.schedule.due_at: about `--dense` people (1,000) fall
   due in one minute T (the earliest), the rest uniformly over the following 24 hours.
2. Cold start: a fresh `python -c` doing what `backline run` does before it serves: imports, Settings from
   the environment, logging, flows and plan loaded and checked, Store.open (migrations) on the 100k database,
   build_bot + Runner, one claim_due when nothing is due (harmless). Wall seconds from spawning the
   process to its "ready" line, median of 3. Target <= 2 s.
3. Resident memory of that process at ready (VmRSS from /proc/self/status). Target <= 150 MB.
4. Due selection: claim_due(conn, T + 30 s, limit=5000, channel="telegram") with ~1,000 due, timed inside
   the transaction (median of --runs; the claimed rows are reset between runs). Target <= 50 ms. The same on
   PostgreSQL (--postgres URL) in a throw-away database created and dropped here.
5. Send rate: a second, small SQLite database with `--send` people due now, the local Bot API server
   (tests/support/botapi.py) enforcing Telegram's 30 messages/s global limit, the real bot
   (tests.telegram_harness.running_bot, default limiter) and one runner.deliver_due() (its own scheduled run
   on start overlaps; claim_due keeps that safe). Rate = messages / seconds from bot start until every
   message is at the server. Target >= 95 % of 30/s with no 429, every person exactly one message.

--profile prints a cProfile of one SQLite claim_due.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `tests` and `bot` from the repo

import sqlalchemy as sa  # noqa: E402

from bot.coaching.schedule import advance, due_at  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.storage import coaching as records  # noqa: E402
from bot.storage.tables import deliveries, enrolments, people  # noqa: E402

UTC = timezone.utc
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York", "America/Chicago",
         "America/Los_Angeles", "America/Sao_Paulo", "America/St_Johns", "Africa/Lagos", "Asia/Kolkata",
         "Asia/Kathmandu", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland")
BATCH = 20_000
RATE_CAP = 30.0
SEND_FIRST_ID = 7_000_001

CHILD = r'''
import time
_t0 = time.perf_counter()
import asyncio, json, sys
from datetime import datetime
from bot.cli import main as _cli  # noqa: F401  (what the `backline` command imports)
from bot import logs
from bot.adapters.telegram.runner import Runner, build_bot
from bot.settings import Settings
from bot.app import load_flows, open_backline
from bot.storage import coaching
from bot.coaching.schedule import advance
_marks = {"imports": time.perf_counter() - _t0}


def _status():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


async def _main(url, now, api):
    def mark(name, since):
        _marks[name] = time.perf_counter() - since
        return time.perf_counter()
    t = time.perf_counter()
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": sys.argv[3], "TELEGRAM_API_BASE_URL": api,
                                  "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    logs.configure(settings.log_level, secrets=(settings.token,))
    t = mark("settings+logs", t)
    flows = load_flows(settings)
    t = mark("flows", t)
    backline = await open_backline(settings, flows=flows)
    t = mark("plan+store.open", t)
    runner = Runner(build_bot(settings, backline.store), backline, settings)
    t = mark("build_bot+runtime", t)
    claimed = await backline.store.run(
        lambda conn: coaching.claim_due(conn, now, runner.runtime.plan_batch, "telegram", advance))
    t = mark("claim_due", t)
    print("READY " + json.dumps({"marks": _marks, "claimed": len(claimed), **_status()}), flush=True)
    await backline.store.close()

asyncio.run(_main(sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[4]))
'''


# -- the data ------------------------------------------------------------------------------------------------

def schedule(zone: str, instant: datetime) -> tuple[str, datetime]:
    """The delivery time (HH:MM in `zone`) that falls at `instant`, and next_due as due_at computes it."""
    local = instant.astimezone(ZoneInfo(zone))
    at = local.strftime("%H:%M")
    return at, due_at(local.date(), at, zone)


def rows(count: int, dense: int, first_due: datetime, created: datetime, first_id: int = 1,
         seed: int = 7) -> tuple[list[dict], list[dict], dict[int, datetime]]:
    """People and enrolment rows; `dense` of them due at `first_due`, the rest over the next 24 hours.

    Returns also {person id: next_due} of the dense ones (to reset them between runs)."""
    rng = random.Random(seed)
    step = max(1, count // dense) if dense else count + 1
    person_rows, enrolment_rows, dense_due = [], [], {}
    for i in range(count):
        pid = first_id + i
        zone = ZONES[i % len(ZONES)]
        is_dense = i % step == 0 and i // step < dense
        instant = first_due if is_dense else first_due + timedelta(minutes=1 + rng.randrange(24 * 60 - 1))
        at, due = schedule(zone, instant)
        if is_dense:
            dense_due[pid] = due
        person_rows.append({"id": pid, "channel": "telegram", "external_id": str(pid), "progress": {},
                            "created_at": created, "updated_at": created})
        enrolment_rows.append({"person_id": pid, "status": "active", "updated_at": created, "delivery_time": at,
                               "time_zone": zone, "profile": {}, "next_day": 1, "next_due": due})
    return person_rows, enrolment_rows, dense_due


def load(person_rows: list[dict], enrolment_rows: list[dict]):
    def work(conn: sa.Connection) -> None:
        for table, data in ((people, person_rows), (enrolments, enrolment_rows)):
            for start in range(0, len(data), BATCH):
                conn.execute(table.insert(), data[start:start + BATCH])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE people")
            conn.exec_driver_sql("ANALYZE enrolments")
        else:
            conn.exec_driver_sql("ANALYZE")
    return work


def reset(dense_due: dict[int, datetime]):
    """Undo claims: the dense people due again on day 1, no deliveries."""
    params = [{"b_id": pid, "b_due": due} for pid, due in dense_due.items()]
    stmt = enrolments.update().where(enrolments.c.person_id == sa.bindparam("b_id")).values(
        next_day=1, next_due=sa.bindparam("b_due"))

    def work(conn: sa.Connection) -> None:
        conn.execute(deliveries.delete())
        conn.execute(stmt, params)
    return work


# -- 4. due selection ------------------------------------------------------------------------------------------

async def time_claims(store: Store, now: datetime, dense_due: dict[int, datetime], runs: int
                      ) -> tuple[list[float], list[float], list[int]]:
    """claim_due times inside the transaction and of the whole store.run (commit included), in ms."""
    inside, whole, counts = [], [], []
    for _ in range(runs):
        def work(conn: sa.Connection) -> tuple[float, int]:
            start = time.perf_counter()
            claimed = records.claim_due(conn, now, 5000, "telegram", advance)
            return (time.perf_counter() - start) * 1000, len(claimed)
        start = time.perf_counter()
        ms, count = await store.run(work)
        whole.append((time.perf_counter() - start) * 1000)
        inside.append(ms)
        counts.append(count)
        await store.run(reset(dense_due))
    return inside, whole, counts


async def profile_claim(store: Store, now: datetime, dense_due: dict[int, datetime]) -> str:
    profiler = cProfile.Profile()

    def work(conn: sa.Connection) -> None:
        profiler.enable()
        records.claim_due(conn, now, 5000, "telegram", advance)
        profiler.disable()
    await store.run(work)
    await store.run(reset(dense_due))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    out2 = io.StringIO()
    pstats.Stats(profiler, stream=out2).sort_stats("tottime").print_stats(15)
    return out.getvalue() + out2.getvalue()


async def postgres_claims(url: str, person_rows, enrolment_rows, now, dense_due, runs: int) -> dict | str:
    try:
        import asyncpg
        admin = await asyncpg.connect(url, timeout=5)
    except Exception as exc:  # no server: the PostgreSQL numbers are optional
        return f"skipped ({exc.__class__.__name__})"
    name = f"backline_bench_{os.getpid()}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        await admin.close()
        return f"skipped (CREATE DATABASE: {exc.__class__.__name__})"
    store = None
    try:
        db_url = str(sa.make_url(url).set(database=name).render_as_string(hide_password=False))
        store = await Store.open(db_url)
        start = time.perf_counter()
        await store.run(load(person_rows, enrolment_rows))
        loaded = time.perf_counter() - start
        inside, whole, counts = await time_claims(store, now, dense_due, runs)
        return {"load_s": loaded, "inside": inside, "whole": whole, "counts": counts}
    finally:
        if store is not None:
            await store.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# -- 2 and 3. cold start and memory --------------------------------------------------------------------------

def cold_start(url: str, now: datetime, runs: int) -> list[tuple[float, dict]]:
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", CHILD, url, now.isoformat(), TOKEN,
                                  "http://127.0.0.1:9/bot"], cwd=REPO, stdout=subprocess.PIPE, text=True)
        ready = None
        for line in child.stdout:
            if line.startswith("READY "):
                ready = time.perf_counter() - start, json.loads(line[6:])
                break
        child.stdout.read()
        if child.wait() != 0 or ready is None:
            raise RuntimeError(f"the cold-start process failed (exit {child.returncode})")
        results.append(ready)
    return results


# -- 5. send rate ----------------------------------------------------------------------------------------------

async def send_rate(folder: Path, count: int, idle: int = 60) -> dict:
    """`count` people due this minute and `idle` due in an hour, who must get nothing."""
    from tests.support.botapi import BotAPIServer
    from tests.telegram_harness import running_bot

    url = f"sqlite:///{folder / 'send.db'}"
    now = datetime.now(UTC)
    ids = list(range(SEND_FIRST_ID, SEND_FIRST_ID + count))
    later = list(range(SEND_FIRST_ID + count, SEND_FIRST_ID + count + idle))
    person_rows, enrolment_rows = [], []
    for i, pid in enumerate(ids + later):
        zone = ZONES[i % len(ZONES)]
        minute = now.replace(second=0, microsecond=0)  # this minute: due now, on today's local date
        at, due = schedule(zone, minute if pid in ids else minute + timedelta(hours=1))
        person_rows.append({"id": pid, "channel": "telegram", "external_id": str(pid), "progress": {},
                            "created_at": now, "updated_at": now})
        enrolment_rows.append({"person_id": pid, "status": "active", "updated_at": now, "delivery_time": at,
                               "time_zone": zone, "profile": {}, "next_day": 1, "next_due": due})
    store = await Store.open(url)
    await store.run(load(person_rows, enrolment_rows))
    await store.close()

    server = BotAPIServer()
    await server.start()
    try:
        server.rate_limit(global_per_second=RATE_CAP)
        for pid in ids + later:
            server.user(pid)

        def delivered() -> int:
            return sum(1 for c in server.calls if c.method == "sendMessage" and c.status == 200)

        start = time.monotonic()
        async with running_bot(server, url) as runner:
            started = time.monotonic()
            mine = await runner.deliver_due()
            await server.wait_for(lambda: delivered() >= count, timeout=count / RATE_CAP * 3 + 30)
            done = time.monotonic()
            await asyncio.sleep(1.0)  # room for a stray duplicate to show
        sends = [c for c in server.calls if c.method == "sendMessage"]
        ok = [c.at for c in sends if c.status == 200]
        per_person = [len(server.sent(pid)) for pid in ids]
        not_due = sum(len(server.sent(pid)) for pid in later)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            statuses = dict(conn.execute(sa.select(deliveries.c.status, sa.func.count())
                                         .group_by(deliveries.c.status)).all())
        engine.dispose()
        peak = max(sum(1 for t in ok if a <= t < a + 1.0) for a in ok) if ok else 0
        return {"count": count, "seconds": done - start, "started_after": started - start,
                "first_send": min(ok) - start if ok else None, "span": max(ok) - min(ok) if ok else None,
                "delivered": len(ok), "attempts": len(sends), "too_many": server.too_many_requests,
                "exactly_one": sum(1 for n in per_person if n == 1), "none": per_person.count(0),
                "more": sum(1 for n in per_person if n > 1), "not_due": not_due, "idle": idle, "statuses": statuses, "my_call": mine,
                "peak_1s": peak}
    finally:
        await server.stop()


# -- main ------------------------------------------------------------------------------------------------------

def ms(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} ms (min {min(values):.1f}, max {max(values):.1f})"


async def main_async(args: argparse.Namespace) -> None:
    results: dict[str, tuple[str, str, bool | None]] = {}
    with tempfile.TemporaryDirectory(prefix="backline-bench-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'scale.db'}"
        created = datetime.now(UTC).replace(microsecond=0)
        first_due = created.replace(second=0) + timedelta(hours=1)  # T: the dense minute
        now = first_due + timedelta(seconds=30)

        # 1. set-up
        start = time.perf_counter()
        person_rows, enrolment_rows, dense_due = rows(args.people, args.dense, first_due, created)
        built = time.perf_counter() - start
        store = await Store.open(url)
        await store.run(load(person_rows, enrolment_rows))
        size = (folder / "scale.db").stat().st_size / 2**20
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"set-up: {args.people:,} people + enrolments ({len(dense_due):,} due at {first_due:%H:%M} UTC, "
              f"{len(ZONES)} zones) in {time.perf_counter() - start:.1f} s "
              f"(rows {built:.1f} s), database {size:.0f} MiB")

        # 4. due selection, SQLite
        inside, whole, counts = await time_claims(store, now, dense_due, args.runs)
        print(f"due selection, SQLite: claim_due of {counts[0]:,} {ms(inside)}; "
              f"store.run with commit {ms(whole)}")
        if len(set(counts)) != 1 or counts[0] != len(dense_due):
            print(f"  WARNING: claimed {counts}, expected {len(dense_due)} each run")
        median = statistics.median(inside)
        results["due selection, SQLite (1,000 due)"] = (f"{median:.0f} ms", "<= 50 ms", median <= 50)
        if args.profile:
            print(await profile_claim(store, now, dense_due))
        await store.close()

        # 2 and 3. cold start
        idle = first_due - timedelta(minutes=1)  # nothing due yet
        starts = cold_start(url, idle, 3)
        walls = sorted(s for s, _ in starts)
        median_run = sorted(starts, key=lambda s: s[0])[1]
        marks = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in median_run[1]["marks"].items())
        rss = statistics.median(info["VmRSS"] for _, info in starts)
        print(f"cold start to ready: {', '.join(f'{w:.2f}' for w in walls)} s; median run: {marks}")
        print(f"resident memory at ready: VmRSS {rss:.0f} MiB (peak VmHWM "
              f"{max(info['VmHWM'] for _, info in starts):.0f} MiB)")
        results["cold start to ready (100k db)"] = (f"{walls[1]:.2f} s", "<= 2 s", walls[1] <= 2)
        results["resident memory at ready"] = (f"{rss:.0f} MiB", "<= 150 MB", rss * 2**20 <= 150e6)

        # 4. due selection, PostgreSQL
        if args.no_postgres:
            pg: dict | str = "skipped (--no-postgres)"
        else:
            pg = await postgres_claims(args.postgres, person_rows, enrolment_rows, now, dense_due, args.runs)
        if isinstance(pg, str):
            print(f"due selection, PostgreSQL: {pg}")
            results["due selection, PostgreSQL"] = (pg, "<= 50 ms", None)
        else:
            print(f"due selection, PostgreSQL: bulk load {pg['load_s']:.1f} s; claim_due of {pg['counts'][0]:,} "
                  f"{ms(pg['inside'])}; run_sync with commit {ms(pg['whole'])}")
            median = statistics.median(pg["inside"])
            results["due selection, PostgreSQL (1,000 due)"] = (f"{median:.0f} ms", "<= 50 ms", median <= 50)
        del person_rows, enrolment_rows

        # 5. send rate
        send = await send_rate(folder, args.send)
        rate = send["delivered"] / send["seconds"]
        steady = (send["delivered"] - 1) / send["span"] if send["span"] else 0.0
        print(f"send rate: {send['delivered']}/{send['count']} delivered in {send['seconds']:.1f} s from bot start "
              f"= {rate:.1f} msg/s ({rate / RATE_CAP:.0%} of {RATE_CAP:.0f}/s); first send after "
              f"{send['first_send']:.2f} s, first to last {send['span']:.1f} s = {steady:.1f} msg/s; "
              f"busiest 1 s window {send['peak_1s']}; sendMessage attempts {send['attempts']}, "
              f"429s {send['too_many']}")
        print(f"  exactly one message: {send['exactly_one']}/{send['count']} (none {send['none']}, more "
              f"{send['more']}); people not yet due who got one: {send['not_due']}/{send['idle']}; deliveries rows {send['statuses']}; the explicit deliver_due() sent "
              f"{send['my_call']}")
        good = send["exactly_one"] == send["count"] and send["not_due"] == 0
        results["send rate vs 30/s cap"] = (f"{rate:.1f}/s = {rate / RATE_CAP:.0%}", ">= 95 %",
                                            rate >= 0.95 * RATE_CAP)
        results["429 answers"] = (str(send["too_many"]), "0", send["too_many"] == 0)
        results["each due person exactly one"] = (f"{send['exactly_one']}/{send['count']}", "all", good)

    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    width = max(map(len, results))
    print(f"{'measure':<{width}}  {'result':>16}  {'target':>9}  ok")
    for name, (value, target, ok) in results.items():
        print(f"{name:<{width}}  {value:>16}  {target:>9}  {'-' if ok is None else 'yes' if ok else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dense", type=int, default=1_000, help="people due in the one busy minute")
    parser.add_argument("--runs", type=int, default=5, help="claim_due runs (median)")
    parser.add_argument("--send", type=int, default=600, help="people due in the send-rate test")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one SQLite claim_due")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: maximum number of running instances"
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
