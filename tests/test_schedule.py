"""Local delivery times in IANA zones on both sides of UTC and across DST changes."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.coaching.schedule import PLAN_DAYS, due_at, following

UTC = timezone.utc


@pytest.mark.parametrize("zone,utc_hour", [
    ("America/Los_Angeles", 15), ("America/New_York", 12), ("Pacific/Honolulu", 17), ("UTC", 7),
    ("Europe/Berlin", 6), ("Asia/Kolkata", 1), ("Australia/Sydney", 20), ("Pacific/Auckland", 18),
])
def test_seven_local_is_the_right_instant_on_both_sides_of_utc(zone, utc_hour):
    due = due_at(date(2026, 12, 1), "07:00", zone)
    assert due.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == "2026-12-01 07:00"
    assert due.hour == (utc_hour if zone != "Asia/Kolkata" else 1) and due.tzinfo == UTC


def test_kolkata_half_hour_offset():
    assert due_at(date(2026, 12, 1), "07:00", "Asia/Kolkata") == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def test_a_time_skipped_by_spring_forward_still_arrives_once():
    # Europe/Berlin skips 02:00-03:00 on 29 March 2026.
    days = [due_at(date(2026, 3, d), "02:30", "Europe/Berlin") for d in (28, 29, 30)]
    assert days[1] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 local, just after the gap
    assert days[0] < days[1] < days[2] and len(set(days)) == 3
    assert [d.astimezone(ZoneInfo("Europe/Berlin")).date().day for d in days] == [28, 29, 30]


def test_a_time_repeated_by_fall_back_arrives_once():
    # America/New_York repeats 01:00-02:00 on 1 November 2026: the first 01:30 is used.
    due = due_at(date(2026, 11, 1), "01:30", "America/New_York")
    assert due == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_local_time_stays_put_across_the_change():
    local = date(2026, 10, 20)
    seen = []
    for _ in range(14):
        local, due = following(1, local, "07:15", "Europe/London")
        seen.append(due.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M"))
    assert set(seen) == {"07:15"}


def test_after_six_weeks_weekly():
    assert following(PLAN_DAYS - 1, date(2027, 1, 1), "07:00", "UTC")[0] == date(2027, 1, 2)
    assert following(PLAN_DAYS, date(2027, 1, 1), "07:00", "UTC")[0] == date(2027, 1, 1) + timedelta(days=7)
