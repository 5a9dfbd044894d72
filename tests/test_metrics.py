"""Metrics are exact across days, daylight-saving changes and any server time zone."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.metrics import Metrics, human, label

PARIS = ZoneInfo("Europe/Paris")


def test_duration_across_three_days_and_a_daylight_saving_change() -> None:
    # Paris springs forward on 2026-03-29 at 02:00 (CET -> CEST): wall clocks lose an hour.
    declared = datetime(2026, 3, 27, 23, 30, tzinfo=PARIS)
    confirmed = datetime(2026, 3, 27, 23, 42, 5, tzinfo=PARIS)
    resolved = datetime(2026, 3, 30, 10, 0, tzinfo=PARIS)
    m = Metrics(declared.astimezone(UTC), confirmed.astimezone(UTC), resolved.astimezone(UTC))
    assert m.duration == timedelta(days=2, hours=9, minutes=30)  # not 2d 10h 30m as wall clocks suggest
    assert human(m.duration) == "2d 9h 30m"
    assert m.time_to_confirm == timedelta(minutes=12, seconds=5)
    assert human(m.time_to_confirm) == "12m 5s"
    assert label(m.duration) == "duration-2d9h30m"


@pytest.mark.parametrize("tz", ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"])
def test_any_server_time_zone(tz: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
        m = Metrics(start, start + timedelta(minutes=3), start + timedelta(days=1, hours=3))  # crosses EU DST end
        assert m.duration == timedelta(days=1, hours=3) and human(m.duration) == "1d 3h 0m"
        assert human(m.time_to_resolve) == "1d 2h 57m"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=12), "0m 12s"),
        (timedelta(minutes=45, seconds=10), "45m 10s"),
        (timedelta(hours=1), "1h 0m"),
        (None, "-"),
        (timedelta(days=30, seconds=59), "30d 0h 0m"),
    ],
)
def test_human(delta: timedelta | None, text: str) -> None:
    assert human(delta) == text
