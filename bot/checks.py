"""What `incident-bot check` (and the start-up log) says of each integration: configured, reachable, accepted."""

from __future__ import annotations

from dataclasses import dataclass

from actions.base import Integrations
from bot.errors import IntegrationError, TransientError


@dataclass(frozen=True)
class Status:
    name: str
    configured: bool
    ok: bool
    detail: str

    def line(self) -> str:
        if not self.configured:
            return f"{self.name}: not configured ({self.detail})"
        return f"{self.name}: {'ok' if self.ok else 'FAILED'} ({self.detail})"


async def _probe(name: str, check: object) -> Status:
    try:
        who = await check()  # type: ignore[operator]
    except TransientError as exc:
        return Status(name, True, False, f"configured, not reachable: {exc}")
    except IntegrationError as exc:
        return Status(name, True, False, f"configured and reachable, refused: {exc}")
    return Status(name, True, True, f"reachable, credentials accepted, as {who}")


async def integration_statuses(integrations: Integrations) -> list[Status]:
    statuses = []
    if integrations.zoom is None:
        statuses.append(Status("zoom", False, True, integrations.zoom_problem))
    else:
        statuses.append(await _probe("zoom", integrations.zoom.check))
    if integrations.jira is None:
        statuses.append(Status("jira", False, True, integrations.jira_problem))
    else:
        statuses.append(await _probe("jira", integrations.jira.check))
    if integrations.confluence is None:
        statuses.append(Status("confluence", False, True, integrations.confluence_problem))
    else:
        statuses.append(await _probe("confluence", integrations.confluence.check))
    return statuses
