"""Reminders and archiving: periodic sweeps over the store, exactly once across restarts and takeovers.

Each action is first decided in the store (a row keyed by the incident and its silent period, written
only while this process's lease epoch leads), then done in Slack with a metadata marker, then marked
done. A new leader finishes the decided-but-unfinished ones, looking for the marker first, so a
takeover in the middle of a sweep neither loses nor repeats a message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import blocks
from bot.errors import IntegrationError
from bot.metrics import human
from bot.models import Incident, State
from bot.service import IncidentService

log = logging.getLogger(__name__)
REMINDER_MARK = "incident_reminder"
ARCHIVE_MARK = "incident_archive"


@dataclass
class SweepReport:
    reminded: list[str]
    archived: list[str]


def silent_since(incident: Incident) -> datetime:
    """The start of the current silence: the last human message, reminder or confirmation."""
    moments = [
        m
        for m in (incident.last_activity_at, incident.last_reminder_at, incident.confirmed_at, incident.declared_at)
        if m is not None
    ]
    return max(moments)


def archive_silence(incident: Incident) -> datetime:
    moments = [m for m in (incident.last_activity_at, incident.resolved_at, incident.declared_at) if m is not None]
    return max(moments)


class Sweeper:
    def __init__(self, service: IncidentService) -> None:
        self.service = service
        self.store = service.store
        self.slack = service.slack
        self.reminders_sent = 0
        self.archives_done = 0

    async def sweep(self, epoch: int) -> SweepReport:
        """One pass: remind silent active incidents (in work hours), archive quiet resolved ones."""
        now = self.service.clock.now()
        report = SweepReport([], [])
        for incident in await self.store.incidents_in([State.ACTIVE]):
            plan = self.service.plan_of(incident)
            since = silent_since(incident)
            if now - since < plan.reminders.delta or not plan.work_hours.resolved().contains(now):
                continue
            if await self.store.decide_reminder(incident.id, since, now, epoch):
                await self._remind(incident.id, since)
                report.reminded.append(incident.key)
        await self._monthly_report(now, epoch)
        for incident in await self.store.incidents_in([State.RESOLVED]):
            plan = self.service.plan_of(incident)
            if now - archive_silence(incident) < plan.archive.delta:
                continue
            if await self.store.decide_archive(incident.id, now, epoch):
                await self._archive(incident.id)
                report.archived.append(incident.key)
        return report

    async def _monthly_report(self, now: datetime, epoch: int) -> None:
        """On the first working day of a month (in work hours), last month's report, once."""
        plan = self.service.plan()
        hours = plan.work_hours.resolved()
        local = hours.local(now)
        if not plan.report.monthly or not hours.contains(now):
            return
        if local.date() != hours.first_working_day(local.year, local.month):
            return
        first = datetime(local.year, local.month, 1, tzinfo=UTC)
        previous = (first - timedelta(days=1)).replace(day=1)
        month = f"{previous:%Y-%m}"
        if await self.store.decide_monthly(month, now, epoch):
            await self._post_monthly(month, previous, first)

    async def _post_monthly(self, month: str, since: datetime, until: datetime) -> None:
        from bot import chart, report
        from bot.errors import InvalidInput
        from bot.plans import default_plan

        channel = self.service.announce_ids.get(self.service.plan().name)
        if channel is None:
            return
        figures = await report.period_figures(self.store, self.service.plans, since, until)
        text = f"📊 Incident report for {month}: uptime {report.percent(figures.uptime)}, {figures.count} incidents."
        try:
            ts = await self.slack.post(
                channel,
                text,
                [
                    {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
                    {
                        "type": "section",
                        "text": {
                            "type": "mrkdwn",
                            "text": "```" + report.as_text(figures)[:2800].replace("`", "'") + "```",
                        },
                    },
                ],
                metadata={"event_type": "incident_monthly_report", "event_payload": {"key": month}},
            )
            incidents = await self.store.overlapping(since, until)
            try:
                # Drawing takes a fraction of a second of CPU: off the event loop, so acks are not held up.
                png = await asyncio.to_thread(
                    chart.render,
                    incidents,
                    self.service.plans,
                    default_plan(dict(self.service.plans)),
                    await self.store.services([i.id for i in incidents]),
                    since,
                    until,
                )
                await self.slack.upload(channel, f"incidents-{month}.png", png, f"Incidents {month}", "", thread_ts=ts)
            except InvalidInput as exc:  # matplotlib not installed: the text report still went out
                log.info("event=monthly_chart_skipped reason=%r", str(exc))
        except IntegrationError as exc:
            log.warning("event=monthly_report_failed month=%s error=%r", month, str(exc))
            return
        await self.store.monthly_done(month, ts)

    async def finish_pending(self) -> None:
        """After a takeover or a restart: complete what a previous leader decided but did not finish."""
        for incident_id, since in await self.store.pending_reminders():
            await self._remind(incident_id, since, resumed=True)
        for incident_id in await self.store.pending_archives():
            await self._archive(incident_id, resumed=True)

    async def _remind(self, incident_id: int, since: datetime, resumed: bool = False) -> None:
        incident = await self.store.get_incident(incident_id)
        now = self.service.clock.now()
        if incident.state != State.ACTIVE or not incident.channel_id:
            await self.store.reminder_sent(incident_id, since, None, "dropped", now)
            return
        key = f"{incident.key}@{since.isoformat()}"
        try:
            ts = await self.slack.find_marked(incident.channel_id, REMINDER_MARK, key) if resumed else None
            if ts is None:
                text, body = blocks.reminder(
                    incident, now - (incident.confirmed_at or incident.declared_at), now - since
                )
                ts = await self.slack.post(
                    incident.channel_id,
                    text,
                    body,
                    metadata={"event_type": REMINDER_MARK, "event_payload": {"key": key}},
                )
                self.reminders_sent += 1
        except IntegrationError as exc:
            if exc.code in ("channel_not_found", "is_archived", "not_in_channel"):
                await self.store.reminder_sent(incident_id, since, None, f"dropped: {exc.code}", now)
                return
            log.warning("event=reminder_failed incident=%s error=%r", incident.key, str(exc))
            return  # still pending: the next sweep (or leader) tries again
        await self.store.reminder_sent(incident_id, since, ts, "sent", now)
        log.info("event=reminded incident=%s silent=%s", incident.key, human(now - since))

    async def _archive(self, incident_id: int, resumed: bool = False) -> None:
        incident = await self.store.get_incident(incident_id)
        now = self.service.clock.now()
        if incident.state != State.RESOLVED:
            await self.store.archived(incident_id, "not resolved", now)
            return
        outcome = "archived"
        if incident.channel_id:
            try:
                marked = (
                    await self.slack.find_marked(incident.channel_id, ARCHIVE_MARK, incident.key) if resumed else None
                )
                if marked is None:
                    text, body = blocks.archive_notice(incident)
                    await self.slack.post(
                        incident.channel_id,
                        text,
                        body,
                        metadata={"event_type": ARCHIVE_MARK, "event_payload": {"key": incident.key}},
                    )
                await self.slack.archive(incident.channel_id)
            except IntegrationError as exc:
                if exc.code in ("is_archived", "already_archived"):
                    outcome = "already archived"
                elif exc.code == "channel_not_found":
                    outcome = "channel gone"
                else:
                    log.warning("event=archive_failed incident=%s error=%r", incident.key, str(exc))
                    return  # pending: tried again at the next sweep
        else:
            outcome = "no channel"
        if await self.store.archived(incident_id, outcome, now) is not None:
            self.archives_done += 1
            log.info("event=archived incident=%s channel=%r", incident.key, outcome)
            await self.service.refresh(incident_id)
