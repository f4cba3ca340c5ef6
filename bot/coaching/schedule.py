"""When a daily message is due: local wall-clock times in IANA zones, across DST changes. Pure."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
PLAN_DAYS = 42  # six weeks; afterwards one maintenance message a week


def due_at(local_date: date, at: str, zone: str) -> datetime:
    """The UTC instant of `at` (HH:MM) on `local_date` in `zone`.

    A time that a spring-forward change skips (02:30 on that night) is read with the offset before
    the change, so it lands just after the gap (03:30); a time that occurs twice in the autumn is
    the first of the two. Either way there is exactly one instant per local date.
    """
    hour, minute = map(int, at.split(":"))
    return datetime.combine(local_date, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def following(day_number: int, local: date, at: str, zone: str) -> tuple[date, datetime]:
    """After plan day `day_number` was due on `local`: the next due date and instant (daily, then weekly)."""
    step = 1 if day_number < PLAN_DAYS else 7
    nxt = local + timedelta(days=step)
    return nxt, due_at(nxt, at, zone)
