"""The store interface. Every lifecycle change is one conditional update, so races yield one winner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.models import Incident, StepRecord, StepStatus, TimelineEntry


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

    async def set_report(self, incident_id: int, channel: str, ts: str) -> None:
        """Where the list of failed steps (with its Retry button) was posted."""
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
