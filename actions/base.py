"""What a step gets (StepContext) and returns (a result dict of resource ids and URLs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.clock import Clock
from bot.errors import NotConfigured
from bot.models import Incident, StepRecord
from bot.plans import Plan

if TYPE_CHECKING:
    from actions.confluence import ConfluenceClient
    from actions.jira import JiraGateway
    from actions.slack import SlackGateway
    from actions.zoom import ZoomClient
    from storage.base import Store

__all__ = ["Integrations", "NotConfigured", "StepContext", "StepFn"]


@dataclass
class Integrations:
    """The optional integrations, None when not configured (the problem says why)."""

    zoom: ZoomClient | None = None
    zoom_problem: str = "Zoom is not configured"
    jira: JiraGateway | None = None
    jira_problem: str = "Jira is not configured"
    confluence: ConfluenceClient | None = None
    confluence_problem: str = "Confluence is not configured"


@dataclass
class StepContext:
    incident: Incident
    plan: Plan
    record: StepRecord
    """This step's stored record: a previous attempt's partial result lets the step stay idempotent."""
    results: dict[str, dict[str, Any]]
    """Results of this phase's steps that are done (by step name)."""
    slack: SlackGateway
    store: Store
    clock: Clock
    refresh: Callable[[], Awaitable[None]] = field(default=lambda: _noop())
    integrations: Integrations = field(default_factory=Integrations)
    """Re-render the incident's messages (declaration, intro) from the stored state."""

    async def save(self, **progress: Any) -> None:
        """Record partial progress before an outside call, so a crash can resume without repeating it."""
        merged = {**self.record.result, **progress}
        await self.store.save_step_result(self.incident.id, self.record.phase, self.record.name, merged)
        self.record = StepRecord(**{**self.record.__dict__, "result": merged})


async def _noop() -> None:
    return None


StepFn = Callable[[StepContext], Awaitable[dict[str, Any]]]
