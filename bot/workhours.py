"""Work hours and durations: pure functions of an aware `now` (tested as tables, never by sleeping)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`45m`, `1h`, `30d` (also `90s`, `2w`). Raises ValueError."""
    match = _DURATION.match(str(text).lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 45m, 1h or 30d")
    value = int(match.group(1)) * _UNITS[match.group(2)]
    if value <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(seconds=value)


@dataclass(frozen=True)
class WorkHours:
    timezone: str = "UTC"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()

    def first_working_day(self, year: int, month: int) -> date:
        """The first day of the month that is a work day and not a holiday."""
        day = date(year, month, 1)
        while DAYS[day.weekday()] not in self.days or day in self.holidays:
            day += timedelta(days=1)
        return day

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` (aware) falls in work hours, in the plan's time zone: [start, end)."""
        if moment.tzinfo is None:
            raise ValueError("work hours need an aware datetime")
        local = moment.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays or DAYS[local.weekday()] not in self.days:
            return False
        now = local.time().replace(tzinfo=None)
        return self.start <= now < self.end
