"""When a daily message is due: local wall-clock times in IANA zones, across DST changes. Pure."""
from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.turn import Advance

UTC = timezone.utc
PLAN_DAYS = 42  # six weeks; afterwards one maintenance message a week
# ZoneInfo keeps only 8 zones alive for sure: with more, a batch of due days reads zone files again and again
_zone = functools.lru_cache(maxsize=1024)(ZoneInfo)


@functools.lru_cache(maxsize=4096)  # a batch of due days asks for the same few (date, time, zone)
def due_at(local_date: date, at: str, zone: str) -> datetime:
    """The UTC instant of `at` (HH:MM) on `local_date` in `zone`.

    A time that a spring-forward change skips (02:30 on that night) is read with the offset before
    the change, so it lands just after the gap (03:30); a time that occurs twice in the autumn is
    the first of the two. Either way there is exactly one instant per local date.
    """
    hour, minute = map(int, at.split(":"))
    return datetime.combine(local_date, time(hour, minute), _zone(zone)).astimezone(UTC)


@functools.lru_cache(maxsize=4096)  # a batch shares its `now` and, mostly, the minute its days fell due
def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(_zone(zone)).date()


def following(day_number: int, local: date, at: str, zone: str) -> tuple[date, datetime]:
    """After plan day `day_number` was due on `local`: the next due date and instant (daily, then weekly)."""
    step = 1 if day_number < PLAN_DAYS else 7
    nxt = local + timedelta(days=step)
    return nxt, due_at(nxt, at, zone)


def advance(day: int, due: datetime, at: str, zone: str, now: datetime) -> Advance:
    """A due enrolment: a day whose local date passed unsent (nobody was running) is skipped and the plan
    moves on; the day due today is sent; then the next one is scheduled (daily, then weekly)."""
    local, today, skipped, send = local_date(due, zone), local_date(now, zone), [], None
    while local < today:
        skipped.append((day, local, due))
        day, (local, due) = day + 1, following(day, local, at, zone)
    if due <= now:
        send = (day, local, due)
        day, (local, due) = day + 1, following(day, local, at, zone)
    return Advance(skipped, send, day, due)


def first_due(now: datetime, at: str, zone: str, last_sent: datetime | None) -> tuple[date, datetime]:
    """The next due date and instant for a (new) time or zone, never a second message on a day already
    served (the last one's instant is read in the new zone, so a change of zone can neither double nor
    drop a day)."""
    local = local_date(now, zone)
    due = due_at(local, at, zone)
    last = local_date(last_sent, zone) if last_sent is not None else None
    while due <= now or (last is not None and local <= last):
        local += timedelta(days=1)
        due = due_at(local, at, zone)
    return local, due
