"""Work hours and durations as tables: edges, weekends, holidays, DST nights, far time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.plans import PlanError, parse_plan
from bot.workhours import WorkHours, parse_duration

PARIS = ZoneInfo("Europe/Paris")
AUCKLAND = ZoneInfo("Pacific/Auckland")
PARIS_HOURS = WorkHours(
    "Europe/Paris", ("mon", "tue", "wed", "thu", "fri"), time(9), time(18), frozenset({date(2026, 12, 25)})
)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 12, 4, 17, 59, tzinfo=PARIS), True),  # Friday 17:59
        (datetime(2026, 12, 4, 18, 0, tzinfo=PARIS), False),  # Friday 18:00: closed
        (datetime(2026, 12, 4, 9, 0, tzinfo=PARIS), True),
        (datetime(2026, 12, 4, 8, 59, 59, tzinfo=PARIS), False),
        (datetime(2026, 12, 5, 11, 0, tzinfo=PARIS), False),  # Saturday
        (datetime(2026, 12, 6, 11, 0, tzinfo=PARIS), False),  # Sunday
        (datetime(2026, 12, 25, 11, 0, tzinfo=PARIS), False),  # a holiday (Friday)
        (datetime(2026, 12, 4, 16, 59, tzinfo=UTC), True),  # 17:59 in Paris
        (datetime(2026, 12, 4, 17, 0, tzinfo=UTC), False),  # 18:00 in Paris
        # DST night (Paris springs forward on Sunday 29 March 2026): Monday 09:00 CEST is 07:00 UTC
        (datetime(2026, 3, 30, 6, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 27, 7, 59, tzinfo=UTC), False),  # the Friday before: 09:00 CET is 08:00 UTC
        (datetime(2026, 3, 27, 8, 0, tzinfo=UTC), True),
    ],
)
def test_paris_work_hours(moment: datetime, inside: bool) -> None:
    assert PARIS_HOURS.contains(moment) is inside


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 12, 6, 20, 0, tzinfo=UTC), True),  # Monday 09:00 in Auckland (NZDT, UTC+13)
        (datetime(2026, 12, 6, 19, 59, tzinfo=UTC), False),  # still Sunday evening... Monday 08:59 there
        (datetime(2026, 12, 4, 20, 0, tzinfo=UTC), False),  # Saturday 09:00 in Auckland
        (datetime(2026, 12, 7, 4, 59, tzinfo=UTC), True),  # Monday 17:59 there
        (datetime(2026, 12, 7, 5, 0, tzinfo=UTC), False),  # Monday 18:00 there
    ],
)
def test_auckland_work_hours(moment: datetime, inside: bool) -> None:
    hours = WorkHours("Pacific/Auckland")
    assert hours.contains(moment) is inside
    assert moment.astimezone(AUCKLAND).tzinfo is not None


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("45m", timedelta(minutes=45)),
        ("1h", timedelta(hours=1)),
        ("30d", timedelta(days=30)),
        (" 2w ", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "1", "h", "1.5h", "-1h", "0m", "1y"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


BASE = 'announce_channel: "#x"\nlevels: {P1: {name: a, description: b}}\n'


def test_plan_keys() -> None:
    plan = parse_plan(
        BASE + "work_hours: {timezone: Europe/Paris, days: [Mon, tue], start: '08:30', end: '17:00',"
        " holidays: [2026-12-25]}\nreminders: {after: 45m}\narchive: {after: 30d}\n",
        "p.yaml",
    )
    hours = plan.work_hours.resolved()
    assert hours.days == ("mon", "tue") and hours.start == time(8, 30) and date(2026, 12, 25) in hours.holidays
    assert plan.reminders.delta == timedelta(minutes=45) and plan.archive.delta == timedelta(days=30)
    default = parse_plan(BASE, "p.yaml")
    assert default.reminders.delta == timedelta(hours=1) and default.archive.delta == timedelta(days=30)
    for bad, message in [
        ("work_hours: {timezone: Mars/Base}", "not a time zone"),
        ("work_hours: {days: [funday]}", "not a day"),
        ("work_hours: {start: '9am'}", "not a time like 09:00"),
        ("work_hours: {start: '18:00', end: '09:00'}", "must be after start"),
        ("reminders: {after: soon}", "not a duration"),
        ("work_hours: {holidays: [christmas]}", "valid date"),
    ]:
        with pytest.raises(PlanError, match=message):
            parse_plan(BASE + bad + "\n", "p.yaml")
