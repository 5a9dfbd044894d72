"""The store interface. Every lifecycle change is one conditional update, so races yield one winner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.models import Followup, Incident, Origin, State, StepRecord, StepStatus, TimelineEntry


class Store(Protocol):
    async def create_incident(
        self,
        *,
        title: str,
        level: str,
        plan: str,
        source: str,
        declared_by: str,
        at: datetime,
        announce_channel: str | None = None,
        function_execution_id: str | None = None,
    ) -> Incident:
        """Store a new `declared` incident and its timeline entry; the key (INC-n) comes from here."""
        ...

    async def get_incident(self, incident_id: int) -> Incident:
        """Raises IncidentNotFound."""
        ...

    async def get_incident_by_key(self, key: str) -> Incident:
        """Case-insensitive `INC-42`. Raises IncidentNotFound (also for a malformed key)."""
        ...

    async def set_declaration_message(self, incident_id: int, channel: str, ts: str) -> None: ...

    async def set_channel(self, incident_id: int, channel_id: str, channel_name: str) -> None: ...

    async def set_report(self, incident_id: int, channel: str, ts: str, phase: str = "on_start") -> None:
        """Where the list of a phase's failed steps (with its Retry button) was posted."""
        ...

    async def report(self, incident_id: int, phase: str) -> tuple[str, str] | None:
        """(channel, ts) of the phase's report, if one was posted."""
        ...

    async def reset_named_steps(
        self, incident_id: int, phase: str, names: Sequence[str], *, user: str | None, at: datetime
    ) -> list[str]:
        """Put these steps back to pending when they are done, so they run again (e.g. new origin)."""
        ...

    async def claim_function(self, incident_id: int, state: str) -> bool:
        """Mark the workflow step finished (completed/failed) once; False when it already was."""
        ...

    async def confirm(
        self, incident_id: int, *, user: str, at: datetime, steps: Sequence[str], phase: str
    ) -> Incident | None:
        """declared -> active, with the phase's steps stored as pending, in one transaction.

        Returns the updated incident, or None when it was not `declared` (someone else won).
        """
        ...

    async def cancel(self, incident_id: int, *, user: str, at: datetime) -> Incident | None:
        """declared -> cancelled; None when it was not `declared`."""
        ...

    async def resolve(
        self,
        incident_id: int,
        *,
        user: str,
        at: datetime,
        origin: Origin | None,
        summary: str | None,
        steps: Sequence[str],
        phase: str,
    ) -> Incident | None:
        """active -> resolved with the phase's steps pending, in one transaction; None when not active."""
        ...

    async def set_origin(
        self, incident_id: int, *, origin: Origin, summary: str | None, user: str, at: datetime
    ) -> Incident:
        """Record the origin (and summary) given after the resolution."""
        ...

    async def set_resolution_messages(
        self, incident_id: int, *, channel: str | None, ts: str | None, announce_ts: str | None
    ) -> None: ...

    async def set_postmortem(self, incident_id: int, url: str) -> None: ...

    async def incidents_in(self, states: Sequence[State], limit: int = 1000) -> list[Incident]:
        """Incidents in these states, oldest first."""
        ...

    async def incident_by_channel(self, channel_id: str) -> Incident | None:
        """The incident whose channel this is, if any."""
        ...

    async def add_followup(
        self,
        incident_id: int,
        *,
        text: str,
        user: str,
        at: datetime,
        source_channel: str | None = None,
        source_ts: str | None = None,
    ) -> tuple[Followup, bool]:
        """Store a follow-up once per source message; the bool says whether it is new."""
        ...

    async def set_followup_ticket(self, followup_id: int, key: str, url: str) -> None: ...

    async def followups(self, incident_id: int) -> list[Followup]: ...

    async def touch(self, channel_id: str, at: datetime) -> bool:
        """A person wrote in an incident channel (the silence restarts); False when it is no incident's."""
        ...

    async def decide_reminder(self, incident_id: int, silent_since: datetime, at: datetime, epoch: int) -> bool:
        """Record, once per silent period and only while `epoch` holds the lease, that a reminder is due."""
        ...

    async def reminder_sent(
        self,
        incident_id: int,
        silent_since: datetime,
        ts: str | None,
        status: str = "sent",
        at: datetime | None = None,
    ) -> None: ...

    async def pending_reminders(self) -> list[tuple[int, datetime]]:
        """Reminders decided but not yet marked sent (a crash or takeover came in between)."""
        ...

    async def reminders(self, incident_id: int) -> list[dict[str, Any]]: ...

    async def decide_archive(self, incident_id: int, at: datetime, epoch: int) -> bool:
        """Record, once and only while `epoch` holds the lease, that the incident's channel is archived."""
        ...

    async def archived(self, incident_id: int, outcome: str, at: datetime) -> Incident | None:
        """resolved -> archived; `outcome` says how the channel ended. None when it was not resolved."""
        ...

    async def pending_archives(self) -> list[int]: ...

    async def set_services(self, incident_id: int, services: Sequence[str]) -> None:
        """The services the incident affects (names from the plan)."""
        ...

    async def services(self, incident_ids: Sequence[int] | None = None) -> dict[int, list[str]]: ...

    async def overlapping(self, since: datetime, until: datetime) -> list[Incident]:
        """Confirmed incidents whose impact may overlap [since, until)."""
        ...

    async def recently_resolved(self, limit: int = 10) -> list[Incident]: ...

    async def failed_steps(self, incident_ids: Sequence[int]) -> dict[int, list[str]]: ...

    async def step_links(self, incident_ids: Sequence[int]) -> dict[int, dict[str, str]]: ...

    async def decide_monthly(self, month: str, at: datetime, epoch: int) -> bool:
        """Record, once and only while `epoch` holds the lease, that the month's report is due."""
        ...

    async def monthly_done(self, month: str, ts: str | None) -> None: ...

    async def counts(self) -> dict[tuple[str, str], int]: ...

    async def list_steps(self, incident_id: int, phase: str) -> list[StepRecord]: ...

    async def claim_step(self, incident_id: int, phase: str, name: str, at: datetime) -> StepRecord | None:
        """pending -> running (attempts + 1). None when the step is not pending (claimed elsewhere)."""
        ...

    async def finish_step(
        self,
        incident_id: int,
        phase: str,
        name: str,
        *,
        status: StepStatus,
        at: datetime,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record a step's outcome and a timeline entry for it."""
        ...

    async def save_step_result(self, incident_id: int, phase: str, name: str, result: dict[str, Any]) -> None:
        """Record partial progress of a running step (e.g. the channel name it is about to create)."""
        ...

    async def reset_steps(
        self, incident_id: int, phase: str, statuses: Sequence[StepStatus], *, user: str | None, at: datetime
    ) -> list[str]:
        """Put the steps in `statuses` back to pending; returns their names (empty: nothing to do)."""
        ...

    async def release_running_steps(self) -> list[int]:
        """After a crash: running -> pending. Returns the ids of incidents with unfinished steps."""
        ...

    async def undeclared_messages(self) -> list[Incident]:
        """Incidents still `declared` whose declaration was never posted."""
        ...

    async def add_timeline(
        self, incident_id: int, *, at: datetime, actor: str | None, kind: str, detail: dict[str, Any]
    ) -> None: ...

    async def timeline(self, incident_id: int) -> list[TimelineEntry]: ...

    async def close(self) -> None: ...
