"""The incident lifecycle: declare, confirm, cancel, retry, resume. Decisions, storage, then steps."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from actions.base import Integrations, StepContext
from actions.runner import Runner
from actions.slack import SlackGateway
from bot import blocks
from bot.clock import Clock
from bot.errors import IntegrationError, InvalidInput, PermissionDenied, TransientError, TransitionRefused
from bot.models import Incident, Phase, State, StepRecord, StepStatus
from bot.naming import clean_title, escape
from bot.plans import People, Plan, default_plan
from storage.base import Store

log = logging.getLogger(__name__)


async def _nothing(timeout: float) -> None:
    return None


class IncidentService:
    def __init__(
        self,
        *,
        store: Store,
        plans: Mapping[str, Plan],
        slack: SlackGateway,
        clock: Clock,
        runner: Runner,
        announce_ids: Mapping[str, str],
        integrations: Integrations | None = None,
    ) -> None:
        self.store = store
        self.plans = plans
        self.slack = slack
        self.clock = clock
        self.runner = runner
        self.announce_ids = announce_ids
        self.integrations = integrations or Integrations()
        """Plan name -> resolved announce channel ID."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refresh_locks: dict[int, asyncio.Lock] = {}
        self._shown: dict[tuple[str, str], str] = {}
        """What each message last showed, so that an unchanged render costs no Slack call."""
        self._permalinks: dict[int, str | None] = {}
        self._bookmarked: set[tuple[str, str]] = set()
        self._refresh_pending: set[int] = set()
        self.listeners_drain: Callable[[float], Awaitable[None]] = _nothing
        """Waits for the Slack listeners still working after their ack (set by the wiring)."""
        self.on_change: Callable[[], None] = lambda: None
        """Called after every change of an incident (the Home tab refreshes itself)."""

    # --- helpers --------------------------------------------------------------------------------

    def plan(self, name: str | None = None) -> Plan:
        if not name:
            return default_plan(dict(self.plans))
        try:
            return self.plans[name]
        except KeyError:
            raise InvalidInput(f"There is no response plan named {escape(name)!r}.") from None

    def plan_of(self, incident: Incident) -> Plan:
        """The incident's plan; the default one if its plan file has since been removed."""
        plan = self.plans.get(incident.plan)
        if plan is None:
            log.warning("event=plan_missing incident=%s plan=%s", incident.key, incident.plan)
            return default_plan(dict(self.plans))
        return plan

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run in the background, keeping a reference; errors are logged, never lost."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("event=background_failed what=%s error=%r", what, t.exception(), exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for background work (listeners and steps in flight) to finish; on shutdown and in tests."""
        await self.listeners_drain(timeout)
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def cancel_all(self) -> None:
        """Cancel background work (when stepping down): unfinished steps stay recorded as running."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def allowed(self, people: People, user: str) -> bool:
        """Whether `user` is among `people` (an empty list means anyone)."""
        if people.empty or user in people.users:
            return True
        for group in people.usergroups:
            members = await self.slack.usergroup_members(group)
            if members and user in members:
                return True
        for email in people.emails:
            if await self.slack.user_by_email(email) == user:
                return True
        return False

    # --- declare --------------------------------------------------------------------------------

    def validate(self, title: object, level: object, plan_name: str | None = None) -> tuple[str, str, Plan]:
        """Check what a person typed; raises InvalidInput with a message meant for them."""
        plan = self.plan(plan_name)
        clean = clean_title(title)
        if not isinstance(level, str) or level.strip().upper() not in {k.upper() for k in plan.levels}:
            known = ", ".join(plan.levels)
            raise InvalidInput(f"Unknown level {escape(str(level))[:40]!r}: choose one of {known}.")
        key = next(k for k in plan.levels if k.upper() == level.strip().upper())
        return clean, key, plan

    async def declare(
        self,
        *,
        title: object,
        level: object,
        user: str,
        source: str,
        plan_name: str | None = None,
        function_execution_id: str | None = None,
        services: object = None,
    ) -> Incident:
        """Store a declaration, then post it publicly with Confirm and Cancel."""
        clean, level_key, plan = self.validate(title, level, plan_name)
        affected = self.validate_services(services, plan)
        incident = await self.store.create_incident(
            title=clean,
            level=level_key,
            plan=plan.name,
            source=source,
            declared_by=user,
            at=self.clock.now(),
            announce_channel=self.announce_ids.get(plan.name),
            function_execution_id=function_execution_id,
        )
        if affected:
            await self.store.set_services(incident.id, affected)
            incident = await self.store.get_incident(incident.id)
        log.info("event=declared incident=%s level=%s source=%s user=%s", incident.key, level_key, source, user)
        try:
            return await self.post_declaration(incident)
        except TransientError as exc:  # stored already: keep trying in the background, say so meanwhile
            log.warning("event=declaration_delayed incident=%s error=%r", incident.key, str(exc))
            self.spawn(self._post_later(incident), f"post {incident.key}")
            return incident

    async def _post_later(self, incident: Incident, attempts: int = 12) -> None:
        for attempt in range(1, attempts + 1):
            await asyncio.sleep(min(60.0, 2.0 * attempt))
            try:
                await self.post_declaration(await self.store.get_incident(incident.id))
                return
            except TransientError as exc:
                log.warning("event=declaration_retry incident=%s attempt=%d error=%r", incident.key, attempt, str(exc))

    @staticmethod
    def validate_services(services: object, plan: Plan) -> list[str]:
        """Affected services: a list or a comma-separated string of the plan's service names."""
        if services is None or services == "":
            return []
        if isinstance(services, str):
            names = [s.strip().lower() for s in services.split(",") if s.strip()]
        elif isinstance(services, list | tuple):
            names = [str(s).strip().lower() for s in services]
        else:
            raise InvalidInput("Affected services must be a list of service names.")
        known = [s.name for s in plan.services]
        unknown = [n for n in names if n not in known]
        if unknown:
            listed = ", ".join(known) or "none (the plan lists no services)"
            raise InvalidInput(f"Unknown service {escape(unknown[0][:40])!r}: choose among {listed}.")
        return list(dict.fromkeys(names))

    async def post_declaration(self, incident: Incident) -> Incident:
        plan = self.plan_of(incident)
        channel = incident.announce_channel or self.announce_ids[plan.name]
        ts = await self.slack.post(
            channel, f"🚨 {blocks.headline(incident)} ({incident.level})", blocks.declaration(incident, plan)
        )
        await self.store.set_declaration_message(incident.id, channel, ts)
        self.on_change()
        return await self.store.get_incident(incident.id)

    # --- confirm / cancel -----------------------------------------------------------------------

    async def confirm(self, incident_id: int, user: str) -> Incident:
        """declared -> active, then the level's start steps run in the background."""
        incident = await self.store.get_incident(incident_id)
        plan = self.plan_of(incident)
        self._refuse_if_decided(incident, "confirm")
        if not await self.allowed(plan.permissions.confirm, user):
            raise PermissionDenied(
                f"The response plan does not allow you to confirm {incident.key}; ask someone on call."
            )
        steps = plan.start_steps(incident.level)
        confirmed = await self.store.confirm(
            incident_id, user=user, at=self.clock.now(), steps=steps, phase=Phase.START
        )
        if confirmed is None:
            self._refuse_if_decided(await self.store.get_incident(incident_id), "confirm")
            raise TransitionRefused(f"{incident.key} cannot be confirmed now.")
        log.info("event=confirmed incident=%s user=%s", confirmed.key, user)
        self.spawn(self.start(confirmed.id), f"start {confirmed.key}")
        return confirmed

    async def cancel(self, incident_id: int, user: str) -> Incident:
        incident = await self.store.get_incident(incident_id)
        plan = self.plan_of(incident)
        self._refuse_if_decided(incident, "cancel")
        if not await self.allowed(plan.permissions.cancel, user):
            raise PermissionDenied(f"The response plan does not allow you to cancel {incident.key}.")
        cancelled = await self.store.cancel(incident_id, user=user, at=self.clock.now())
        if cancelled is None:
            self._refuse_if_decided(await self.store.get_incident(incident_id), "cancel")
            raise TransitionRefused(f"{incident.key} cannot be cancelled now.")
        log.info("event=cancelled incident=%s user=%s", cancelled.key, user)
        await self.refresh(cancelled.id)
        if cancelled.function_execution_id and await self.store.claim_function(cancelled.id, "failed"):
            await self.slack.fail_function(
                cancelled.function_execution_id, f"{cancelled.key} was cancelled by a person in the announce channel."
            )
        return cancelled

    @staticmethod
    def _refuse_if_decided(incident: Incident, verb: str) -> None:
        if incident.state == State.CANCELLED:
            raise TransitionRefused(f"{incident.key} was already cancelled by <@{incident.cancelled_by}>.")
        if incident.state != State.DECLARED:
            raise TransitionRefused(f"{incident.key} was already confirmed by <@{incident.confirmed_by}>.")

    # --- steps ----------------------------------------------------------------------------------

    async def _context(self, incident_id: int, record: StepRecord, results: dict[str, dict[str, Any]]) -> StepContext:
        incident = await self.store.get_incident(incident_id)
        fresh = next(
            (s for s in await self.store.list_steps(incident_id, record.phase) if s.name == record.name), record
        )
        return StepContext(
            incident=incident,
            plan=self.plan_of(incident),
            record=fresh,
            results=results,
            slack=self.slack,
            store=self.store,
            clock=self.clock,
            refresh=lambda: self.refresh(incident_id),
            integrations=self.integrations,
        )

    async def start(self, incident_id: int) -> None:
        """Run the start steps that are pending, then report failures and finish the workflow step."""
        incident = await self.store.get_incident(incident_id)
        report = await self.runner.run(incident_id, Phase.START, self.plan_of(incident))
        await self.refresh(incident_id)
        await self._report(incident_id, report.steps)
        incident = await self.store.get_incident(incident_id)
        if incident.function_execution_id and await self.store.claim_function(incident_id, "completed"):
            try:
                await self.slack.complete_function(
                    incident.function_execution_id,
                    {"incident_key": incident.key, "channel_id": incident.channel_id or ""},
                )
            except IntegrationError as exc:
                log.warning("event=workflow_complete_failed incident=%s error=%r", incident.key, str(exc))

    async def retry(self, incident_id: int, user: str, phase: str = Phase.START) -> list[str]:
        """Re-run only the steps of the phase that failed (and those they skipped). Returns their names."""
        incident = await self.store.get_incident(incident_id)
        if incident.state not in (State.ACTIVE, State.RESOLVED, State.ARCHIVED):
            raise TransitionRefused(f"{incident.key} is {incident.state}; there is nothing to retry.")
        phase = Phase.RESOLVE if phase == Phase.RESOLVE else Phase.START
        names = await self.store.reset_steps(
            incident_id, phase, (StepStatus.FAILED, StepStatus.SKIPPED), user=user, at=self.clock.now()
        )
        if names:
            log.info("event=retry incident=%s phase=%s steps=%s user=%s", incident.key, phase, ",".join(names), user)
            self.spawn(self.run_phase(incident_id, phase), f"retry {incident.key}")
        return names

    async def run_phase(self, incident_id: int, phase: str) -> None:
        if phase == Phase.RESOLVE:
            await self.finish_resolve(incident_id)
        else:
            await self.start(incident_id)

    async def finish_resolve(self, incident_id: int) -> None:
        """Run the pending resolution steps, refresh the messages, report failures."""
        incident = await self.store.get_incident(incident_id)
        report = await self.runner.run(incident_id, Phase.RESOLVE, self.plan_of(incident))
        await self.refresh(incident_id)
        await self._report(incident_id, report.steps, Phase.RESOLVE)

    async def resume(self) -> None:
        """After a restart: post declarations that never got out, and finish steps a crash left undone."""
        for incident in await self.store.undeclared_messages():
            try:
                await self.post_declaration(incident)
            except IntegrationError as exc:
                log.warning("event=declaration_repost_failed incident=%s error=%r", incident.key, str(exc))
        for incident_id in await self.store.release_running_steps():
            log.info("event=resume incident=%s", incident_id)
            self.spawn(self._resume(incident_id), f"resume {incident_id}")

    async def _resume(self, incident_id: int) -> None:
        await self.start(incident_id)
        if (await self.store.get_incident(incident_id)).state == State.RESOLVED:
            await self.finish_resolve(incident_id)

    # --- messages -------------------------------------------------------------------------------

    async def refresh(self, incident_id: int) -> None:
        """Re-render the declaration and the intro from the stored state (one at a time per incident)."""
        lock = self._refresh_locks.setdefault(incident_id, asyncio.Lock())
        async with lock:
            try:
                await self._refresh(incident_id)
            except IntegrationError as exc:  # cosmetic: the next change renders again
                log.warning("event=refresh_failed incident=%s error=%r", incident_id, str(exc))
        self.on_change()

    async def _refresh(self, incident_id: int) -> None:
        incident = await self.store.get_incident(incident_id)
        plan = self.plan_of(incident)
        start = await self.store.list_steps(incident_id, Phase.START)
        done = {s.name: s.result for s in start}
        steps = start + await self.store.list_steps(incident_id, Phase.RESOLVE)
        if incident.announce_channel and incident.declaration_ts:
            await self._show(
                incident.announce_channel,
                incident.declaration_ts,
                f"🚨 {blocks.headline(incident)} ({incident.level})",
                blocks.declaration(incident, plan, steps),
            )
        intro = done.get("post_intro") or {}
        if intro.get("ts"):
            link = await self.declaration_link(incident)
            await self._show(
                intro["channel"], intro["ts"], blocks.headline(incident), blocks.intro(incident, plan, steps, link)
            )
        # The announcement in the declaration's thread keeps its first words; its parent (the
        # declaration, updated above) carries the links as they arrive: one update less per change.
        for message in (done.get("notify") or {}).get("messages", []):
            await self._show(message["channel"], message["ts"], *blocks.alert(incident, plan, steps))
        if incident.resolved_at:
            for channel, ts in (
                (incident.announce_channel, incident.resolution_announce_ts),
                (incident.resolution_channel, incident.resolution_ts),
            ):
                if channel and ts:
                    await self._show(channel, ts, *blocks.resolution(incident, steps))
        if incident.channel_id:
            await self._bookmark(incident.channel_id, blocks.resources(steps))

    async def _bookmark(self, channel: str, links: list[tuple[str, str]]) -> None:
        """Pin each resource (meeting, ticket) to the channel's bookmarks bar, once."""
        missing = [(title, url) for title, url in links if (channel, url) not in self._bookmarked]
        if not missing:
            return
        existing = {b.get("link") for b in await self.slack.bookmarks(channel)}
        for title, url in missing:
            if url not in existing:
                await self.slack.add_bookmark(channel, title, url)
            self._bookmarked.add((channel, url))

    def refresh_soon(self, incident_id: int, delay: float = 0.5) -> None:
        """Refresh the incident's messages shortly, once for all the changes made meanwhile."""
        if incident_id in self._refresh_pending:
            return
        self._refresh_pending.add(incident_id)

        async def later() -> None:
            await asyncio.sleep(delay)
            self._refresh_pending.discard(incident_id)
            await self.refresh(incident_id)

        self.spawn(later(), f"refresh {incident_id}")

    async def declaration_link(self, incident: Incident) -> str | None:
        if incident.id not in self._permalinks:
            if not (incident.announce_channel and incident.declaration_ts):
                return None
            self._permalinks[incident.id] = await self.slack.permalink(
                incident.announce_channel, incident.declaration_ts
            )
        return self._permalinks[incident.id]

    async def _show(self, channel: str, ts: str, text: str, body: list[dict[str, Any]]) -> None:
        rendered = json.dumps([text, body], sort_keys=True)
        if self._shown.get((channel, ts)) == rendered:
            return
        await self.slack.update(channel, ts, text, body)
        self._shown[(channel, ts)] = rendered

    async def _report(self, incident_id: int, steps: list[StepRecord], phase: str = Phase.START) -> None:
        """List failed steps with a Retry button, in the channel or else under the declaration."""
        incident = await self.store.get_incident(incident_id)
        text, body = blocks.failures(incident, steps, phase)
        bad = any(blocks.is_problem(s) for s in steps)
        posted = await self.store.report(incident_id, phase)
        try:
            if posted is not None:
                await self.slack.update(posted[0], posted[1], text, body)
            elif bad:
                channel = incident.channel_id or incident.announce_channel
                if channel is None:
                    return
                thread = None if incident.channel_id else incident.declaration_ts
                ts = await self.slack.post(channel, text, body, thread_ts=thread)
                await self.store.set_report(incident_id, channel, ts, phase)
        except IntegrationError as exc:
            log.warning("event=report_failed incident=%s error=%r", incident.key, str(exc))
