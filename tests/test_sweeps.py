"""Reminders and archiving with an injected clock: work-hour edges, silence, exactly once across takeovers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import Bot
from bot.clock import FakeClock
from bot.models import State
from sandbox.slack import SlackEmulator
from tests.conftest import People, channel_named, declare_via_workflow, eventually, state_of

PARIS = ZoneInfo("Europe/Paris")
PLAN = """
announce_channel: "#incidents"
responders: {usergroups: ["@sre-oncall"]}
on_start: [create_channel, invite_responders, post_intro, announce]
on_resolve: []
work_hours: {timezone: Europe/Paris, days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00",
             holidays: [2026-12-25]}
reminders: {after: 1h}
archive: {after: 30d}
levels:
  P2: {name: Major, description: Key functionality impaired}
"""


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "default.yaml").write_text(PLAN)
    return folder


async def start_at(slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock, when: datetime) -> int:
    clock.set(when)
    _, decl = await declare_via_workflow(slack, people, level="P2")
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await bot.service.drain()
    incident = (await bot.store.incidents_in([State.ACTIVE]))[-1]
    return incident.id


def reminders_in(slack: SlackEmulator, channel: str) -> list[str]:
    return [m.text for m in slack.ws.channels[channel].messages if m.text.startswith("⏰")]


async def sweep_at(bot: Bot, clock: FakeClock, when: datetime) -> list[str]:
    clock.set(when)
    assert bot.epoch is not None
    return (await bot.sweeper.sweep(bot.epoch)).reminded


async def test_reminders_follow_silence_and_work_hours(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=PARIS)
    incident_id = await start_at(slack, people, bot, clock, friday)
    channel = channel_named(slack, "inc-1-").id
    assert await sweep_at(bot, clock, friday + timedelta(minutes=59, seconds=59)) == []
    assert await sweep_at(bot, clock, friday + timedelta(hours=1)) == ["INC-1"]
    reminder = slack.ws.channels[channel].messages[-1]
    assert "active for 1h 0m" in reminder.text and "quiet for 1h 0m" in reminder.text
    assert reminder.blocks[0]["accessory"]["action_id"] == "incident_resolve"
    assert await sweep_at(bot, clock, friday + timedelta(hours=1, minutes=30)) == []  # one per silent period
    # a person speaks at 16:59: silence restarts; 17:59 is still work time, 18:00 is not
    clock.set(datetime(2026, 12, 4, 16, 59, tzinfo=PARIS))
    await slack.type_message(channel, people.carol, "still digging")
    await eventually(lambda: _activity(bot, incident_id), what="activity recorded")
    assert await sweep_at(bot, clock, datetime(2026, 12, 4, 17, 58, 59, tzinfo=PARIS)) == []
    assert await sweep_at(bot, clock, datetime(2026, 12, 4, 17, 59, tzinfo=PARIS)) == ["INC-1"]
    assert await sweep_at(bot, clock, datetime(2026, 12, 4, 18, 59, tzinfo=PARIS)) == []  # after hours
    assert await sweep_at(bot, clock, datetime(2026, 12, 5, 11, 0, tzinfo=PARIS)) == []  # Saturday
    assert await sweep_at(bot, clock, datetime(2026, 12, 7, 8, 59, tzinfo=PARIS)) == []  # Monday, too early
    assert await sweep_at(bot, clock, datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)) == ["INC-1"]
    assert len(reminders_in(slack, channel)) == 3
    # bot messages (our own reminders included) are not activity
    assert (await bot.store.get_incident(incident_id)).last_activity_at == datetime(2026, 12, 4, 15, 59, tzinfo=UTC)


async def _activity(bot: Bot, incident_id: int) -> object:
    return (await bot.store.get_incident(incident_id)).last_activity_at


async def test_no_reminder_on_a_holiday_and_across_a_dst_night(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    await start_at(slack, people, bot, clock, datetime(2026, 12, 24, 16, 0, tzinfo=PARIS))
    assert await sweep_at(bot, clock, datetime(2026, 12, 25, 10, 0, tzinfo=PARIS)) == []  # Christmas
    assert await sweep_at(bot, clock, datetime(2026, 12, 28, 9, 0, tzinfo=PARIS)) == ["INC-1"]
    # Paris springs forward on Sunday 29 March 2026: Monday 09:00 is 07:00 UTC, not 08:00
    await start_at(slack, people, bot, clock, datetime(2026, 3, 27, 17, 30, tzinfo=PARIS))
    assert await sweep_at(bot, clock, datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == []
    assert await sweep_at(bot, clock, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == ["INC-2"]


async def test_archive_after_exactly_30_days_of_silence(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    incident_id = await start_at(slack, people, bot, clock, start)
    channel = channel_named(slack, "inc-1-")
    clock.set(start + timedelta(hours=2))
    await slack.type_message(channel.id, people.alice, "resolve")
    await state_of(bot, incident_id, State.RESOLVED)
    clock.set(start + timedelta(days=3))
    await slack.type_message(channel.id, people.carol, "post-mortem meeting tomorrow")
    await eventually(lambda: _activity(bot, incident_id), what="activity")
    assert (await bot.sweeper.sweep(bot.epoch or 0)).archived == []
    clock.set(start + timedelta(days=33) - timedelta(seconds=1))
    assert (await bot.sweeper.sweep(bot.epoch or 0)).archived == []
    assert not channel.is_archived
    clock.set(start + timedelta(days=33))
    assert (await bot.sweeper.sweep(bot.epoch or 0)).archived == ["INC-1"]
    assert channel.is_archived and "archived now" in channel.messages[-1].text
    assert (await bot.store.get_incident(incident_id)).state == State.ARCHIVED
    clock.set(start + timedelta(days=60))
    assert (await bot.sweeper.sweep(bot.epoch or 0)).archived == []


async def test_channels_archived_by_hand_or_deleted_are_recorded_not_retried(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    for _ in range(2):
        await start_at(slack, people, bot, clock, start)
    for number in (1, 2):
        await slack.type_message(channel_named(slack, f"inc-{number}-").id, people.alice, "resolve")
        await state_of(bot, number, State.RESOLVED)
    channel_named(slack, "inc-1-").is_archived = True  # by hand
    del slack.ws.channels[channel_named(slack, "inc-2-").id]  # deleted
    clock.set(start + timedelta(days=31))
    assert sorted((await bot.sweeper.sweep(bot.epoch or 0)).archived) == ["INC-1", "INC-2"]
    outcomes = [e.detail["channel"] for i in (1, 2) for e in await bot.store.timeline(i) if e.kind == "archived"]
    assert outcomes == ["already archived", "channel gone"]
    calls = len(slack.calls)
    assert (await bot.sweeper.sweep(bot.epoch or 0)).archived == []
    assert len(slack.calls) == calls  # nothing retried


async def test_takeover_in_the_middle_of_a_sweep_neither_loses_nor_repeats(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=PARIS)
    for _ in range(2):
        await start_at(slack, people, bot, clock, friday)
    clock.set(friday + timedelta(hours=1))
    old_epoch = bot.epoch
    assert old_epoch is not None
    # The old leader decided both reminders; it died before sending the first, and after sending the
    # second but before recording it as sent.
    first, second = await bot.store.incidents_in([State.ACTIVE])
    assert await bot.store.decide_reminder(first.id, first.confirmed_at, clock.now(), old_epoch)  # type: ignore[arg-type]
    assert await bot.store.decide_reminder(second.id, second.confirmed_at, clock.now(), old_epoch)  # type: ignore[arg-type]
    await bot.sweeper._remind(second.id, second.confirmed_at)  # type: ignore[arg-type]
    await bot.store._conn.execute("UPDATE reminders SET status = 'pending' WHERE incident_id = ?", (second.id,))
    # A new leader takes over (the old lease expired).
    await bot.store._conn.execute("UPDATE lease SET expires_at = 0")
    new_epoch = await bot.lease.acquire("standby", 15)
    assert new_epoch == old_epoch + 1
    assert not await bot.store.decide_reminder(first.id, clock.now(), clock.now(), old_epoch)  # fenced off
    await bot.sweeper.finish_pending()
    assert (await bot.sweeper.sweep(new_epoch)).reminded == []  # both periods are done
    for incident in (first, second):
        channel = slack.ws.channels[incident.channel_id]  # type: ignore[index]
        assert len([m for m in channel.messages if m.text.startswith("⏰")]) == 1, incident.key
    assert {r["status"] for i in (first.id, second.id) for r in await bot.store.reminders(i)} == {"sent"}


async def test_monthly_report_on_the_first_working_day_once(
    slack: SlackEmulator, people: People, bot: Bot, clock: FakeClock
) -> None:
    bot.service.plans["default"] = bot.service.plans["default"].model_copy(  # type: ignore[index]
        update={"report": bot.service.plans["default"].report.model_copy(update={"monthly": True})}
    )
    await start_at(slack, people, bot, clock, datetime(2026, 11, 10, 10, 0, tzinfo=PARIS))
    clock.set(datetime(2026, 11, 10, 16, 0, tzinfo=PARIS))
    await slack.type_message(channel_named(slack, "inc-1-").id, people.alice, "resolve")
    await state_of(bot, 1, State.RESOLVED)
    # 1 February 2026 is a Sunday: the first working day is Monday the 2nd
    assert bot.service.plan().work_hours.resolved().first_working_day(2026, 2).day == 2
    clock.set(datetime(2026, 12, 1, 8, 59, tzinfo=PARIS))  # Tuesday 1 December, before work hours
    await bot.sweeper.sweep(bot.epoch or 0)
    assert not [m for m in slack.messages(people.incidents) if "Incident report" in m.text]
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=PARIS))
    await bot.sweeper.sweep(bot.epoch or 0)
    await bot.sweeper.sweep(bot.epoch or 0)
    reports = [m for m in slack.messages(people.incidents) if "Incident report for 2026-11" in m.text]
    assert len(reports) == 1 and "1 incidents" in reports[0].text
    chart = [m for m in slack.messages(people.incidents, thread_ts=reports[0].ts) if m.files]
    assert chart and chart[0].files[0]["name"] == "incidents-2026-11.png"
    png = next(f for f in slack.ws.files.values() if f["name"] == "incidents-2026-11.png")["content"]
    assert png[:4] == b"\x89PNG"
