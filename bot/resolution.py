"""Resolving incidents and what follows: which incident, the resolution, its origin, follow-ups."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import blocks
from bot.commands import clean_summary
from bot.errors import IncidentNotFound, IntegrationError, InvalidInput, TransitionRefused
from bot.metrics import human, metrics
from bot.models import Followup, Incident, Origin, Phase, State, StepStatus
from bot.naming import escape
from bot.service import IncidentService

log = logging.getLogger(__name__)
POSTMORTEM = "create_postmortem"
ORIGIN_STEPS = ("update_jira_ticket", "create_postmortem")


class Resolution:
    """The resolve half of the lifecycle, on top of the core service (store, Slack, runner)."""

    def __init__(self, core: IncidentService) -> None:
        self.core = core
        self.store = core.store
        self.slack = core.slack

    # --- which incident -------------------------------------------------------------------------

    async def active(self) -> list[Incident]:
        return await self.store.incidents_in([State.ACTIVE])

    async def get(self, incident_id: int) -> Incident:
        """Raises IncidentNotFound."""
        return await self.store.get_incident(incident_id)

    async def of_channel(self, channel: str | None) -> Incident | None:
        """The incident whose channel this is, if any."""
        return await self.store.incident_by_channel(channel) if channel else None

    async def spoke(self, channel: str, at: datetime) -> None:
        """A person wrote in an incident channel: its silence (for reminders and archiving) starts again."""
        await self.store.touch(channel, at)

    async def pick(self, key: str | None, channel: str | None = None) -> Incident | list[Incident]:
        """The incident meant: the key's, the channel's, or the only active one; else every active one.

        Raises IncidentNotFound (unknown key) and InvalidInput (nothing is active).
        """
        if key:
            try:
                return await self.store.get_incident_by_key(key)
            except IncidentNotFound:
                raise IncidentNotFound(f"There is no incident {escape(key[:30])}.") from None
        if channel:
            mine = await self.store.incident_by_channel(channel)
            if mine is not None:
                return mine
        active = await self.active()
        if not active:
            raise InvalidInput("No incident is active: there is nothing to resolve.")
        return active[0] if len(active) == 1 else active

    @staticmethod
    def refuse(incident: Incident) -> None:
        """Raise TransitionRefused when the incident cannot be resolved, saying why."""
        if incident.state == State.DECLARED:
            raise TransitionRefused(f"{incident.key} is not confirmed yet: confirm or cancel it first.")
        if incident.state == State.CANCELLED:
            raise TransitionRefused(f"{incident.key} was cancelled; there is nothing to resolve.")
        if incident.state in (State.RESOLVED, State.ARCHIVED):
            when = blocks.when(incident.resolved_at) if incident.resolved_at else ""
            raise TransitionRefused(f"{incident.key} was already resolved by <@{incident.resolved_by}> {when}.")

    # --- resolve --------------------------------------------------------------------------------

    async def resolve(
        self,
        incident_id: int,
        user: str,
        *,
        at: datetime | None = None,
        origin: Origin | None = None,
        summary: str | None = None,
        source: str = "command",
    ) -> Incident:
        """active -> resolved (one resolution only), then messages and the level's on_resolve steps."""
        incident = await self.store.get_incident(incident_id)
        self.refuse(incident)
        plan = self.core.plan_of(incident)
        when = at or self.core.clock.now()
        resolved = await self.store.resolve(
            incident_id,
            user=user,
            at=max(when, incident.confirmed_at or when),
            origin=origin,
            summary=clean_summary(summary),
            steps=plan.resolve_steps(incident.level),
            phase=Phase.RESOLVE,
        )
        if resolved is None:
            self.refuse(await self.store.get_incident(incident_id))
            raise TransitionRefused(f"{incident.key} cannot be resolved now.")
        log.info(
            "event=resolved incident=%s user=%s source=%s duration=%s",
            resolved.key,
            user,
            source,
            human(metrics(resolved).duration),
        )
        self.core.spawn(self.after_resolve(resolved.id), f"resolve {resolved.key}")
        return resolved

    async def after_resolve(self, incident_id: int) -> None:
        await self._announce(incident_id)
        await self.core.finish_resolve(incident_id)

    async def _announce(self, incident_id: int) -> None:
        """The company-wide message (announce channel and incident channel) and the origin question."""
        incident = await self.store.get_incident(incident_id)
        text, body = blocks.resolution(incident, [])
        announce_ts = channel_ts = None
        try:
            if incident.announce_channel and not incident.resolution_announce_ts:
                announce_ts = await self.slack.post(incident.announce_channel, text, body)
            if incident.channel_id and not incident.resolution_ts:
                channel_ts = await self.slack.post(incident.channel_id, text, body)
        except IntegrationError as exc:
            log.warning("event=resolution_post_failed incident=%s error=%r", incident.key, str(exc))
        await self.store.set_resolution_messages(
            incident_id, channel=incident.channel_id if channel_ts else None, ts=channel_ts, announce_ts=announce_ts
        )
        if incident.origin is None:
            where = incident.channel_id or incident.announce_channel
            thread = channel_ts or announce_ts
            if where and thread:
                question, buttons = blocks.origin_question(incident)
                try:
                    await self.slack.post(where, question, buttons, thread_ts=thread)
                except IntegrationError as exc:
                    log.warning("event=origin_question_failed incident=%s error=%r", incident.key, str(exc))

    # --- later: origin, follow-ups --------------------------------------------------------------

    async def set_origin(self, incident_id: int, origin: Origin, user: str) -> Incident:
        """Fill in the origin after the resolution; the Jira ticket and the post-mortem follow."""
        incident = await self.store.get_incident(incident_id)
        if incident.state not in (State.RESOLVED, State.ARCHIVED):
            raise TransitionRefused(f"{incident.key} is not resolved; the origin is asked at resolution.")
        updated = await self.store.set_origin(
            incident_id, origin=origin, summary=None, user=user, at=self.core.clock.now()
        )
        names = await self.store.reset_named_steps(
            incident_id, Phase.RESOLVE, ORIGIN_STEPS, user=user, at=self.core.clock.now()
        )
        if names:
            self.core.spawn(self.core.finish_resolve(incident_id), f"origin {incident.key}")
        else:
            await self.core.refresh(incident_id)
        return updated

    async def add_followup(
        self, incident: Incident, text: str, user: str, *, channel: str | None = None, ts: str | None = None
    ) -> tuple[Followup, str | None]:
        """Record a follow-up (and its Jira issue); returns it and a problem to mention, if any."""
        if incident.state in (State.DECLARED, State.CANCELLED):
            raise TransitionRefused(f"{incident.key} is {incident.state}; follow-ups belong to real incidents.")
        followup, created = await self.store.add_followup(
            incident.id, text=text, user=user, at=self.core.clock.now(), source_channel=channel, source_ts=ts
        )
        problem = None
        jira = self.core.integrations.jira
        if jira is not None and followup.jira_key is None:
            try:
                key = await jira.create_followup(
                    blocks_followup_fields(
                        incident,
                        followup,
                        jira.settings.project,
                        self.core.plan_of(incident).jira.followup_type,
                        await self.slack.user_name(user),
                    ),
                    await self._ticket(incident),
                )
                await self.store.set_followup_ticket(followup.id, key, jira.url_of(key))
                followup = next(f for f in await self.store.followups(incident.id) if f.id == followup.id)
            except IntegrationError as exc:
                problem = f"Jira did not take it ({exc.code}); it is recorded here and in the post-mortem."
                log.warning("event=followup_jira_failed incident=%s error=%r", incident.key, str(exc))
        if created:
            steps = {s.name: s.status for s in await self.store.list_steps(incident.id, Phase.RESOLVE)}
            if steps.get(POSTMORTEM) == StepStatus.OK:  # the page exists: bring it up to date
                await self.store.reset_named_steps(
                    incident.id, Phase.RESOLVE, [POSTMORTEM], user=user, at=self.core.clock.now()
                )
                self.core.spawn(self.core.finish_resolve(incident.id), f"postmortem {incident.key}")
        return followup, problem

    async def _ticket(self, incident: Incident) -> str | None:
        for step in await self.store.list_steps(incident.id, Phase.START):
            if step.name == "create_jira_ticket" and step.status == StepStatus.OK:
                return str(step.result.get("key") or "") or None
        return None


def blocks_followup_fields(
    incident: Incident, followup: Followup, project: str, issue_type: str, author: str
) -> dict[str, object]:
    from actions.jira import wiki_escape

    summary = " ".join(followup.text.split())
    return {
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": (summary if len(summary) <= 240 else summary[:239] + "…"),
        "description": f"Follow-up of {incident.key} ({wiki_escape(incident.title)}), by {wiki_escape(author)}.\n\n"
        f"{wiki_escape(followup.text)}",
        "labels": [incident.key, "follow-up"],
    }
