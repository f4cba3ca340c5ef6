"""The send cap per chat: one message a second in a private chat after a burst, 20 a minute in a group,
kept by every process together on PostgreSQL (two Pace objects on one database stand for two processes)."""
from __future__ import annotations

import time

from bot.runtime.pace import GROUP, PRIVATE, Pace
from bot.storage import Store


async def _entered(paces: list[Pace], chat_id: int, sends: int) -> list[float]:
    """When each of `sends` new messages to `chat_id` was let go, taking turns between `paces`."""
    times = []
    for n in range(sends):
        async with paces[n % len(paces)].slot(chat_id):
            times.append(time.monotonic())
    return times


async def _paces(database_url: str) -> tuple[list[Store], list[Pace]]:
    stores = [await Store.open(database_url)]
    if not stores[0].single_process:
        stores.append(await Store.open(database_url))
    return stores, [Pace(store, 30) for store in stores]


async def test_a_private_chat_gets_a_burst_then_one_message_a_second(database_url):
    stores, paces = await _paces(database_url)
    try:
        burst = int(PRIVATE.burst / PRIVATE.interval) + 1
        times = await _entered(paces, 4242, burst + 3)
        other = await _entered(paces, 4343, 1)  # another chat does not wait for this one
    finally:
        for store in stores:
            await store.close()
    start = times[0]
    for k in range(3):  # beyond the burst, each waits its second (never sooner; later only under load)
        assert times[burst + k] - start >= (k + 1) * PRIVATE.interval - 0.05
    assert other[0] - times[-1] < 0.5


async def test_a_group_gets_twenty_a_minute(database_url):
    stores, paces = await _paces(database_url)
    try:
        burst = int(GROUP.burst / GROUP.interval) + 1
        assert burst == 20
        times = await _entered(paces, -1001234, burst + 1)
    finally:
        for store in stores:
            await store.close()
    assert times[burst] - times[0] >= GROUP.interval - 0.05


async def test_edits_and_answers_are_not_held_by_the_chat_pace(database_url):
    stores, paces = await _paces(database_url)
    try:
        burst = int(PRIVATE.burst / PRIVATE.interval) + 1
        await _entered(paces, 4444, burst)
        began = time.monotonic()
        async with paces[0].slot(4444, per_chat=False):  # an edit or a press acknowledgement
            waited = time.monotonic() - began
    finally:
        for store in stores:
            await store.close()
    assert waited < PRIVATE.interval / 2
