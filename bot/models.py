"""The incident domain as frozen dataclasses: what the store returns and the service reasons on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class State(StrEnum):
    DECLARED = "declared"
    ACTIVE = "active"
    RESOLVED = "resolved"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Phase(StrEnum):
    START = "on_start"
    RESOLVE = "on_resolve"


class Origin(StrEnum):
    INTERNAL = "internal"
    THIRD_PARTY = "third-party"

    @property
    def label(self) -> str:
        return "Internal" if self is Origin.INTERNAL else "Third-party provider"

    @classmethod
    def parse(cls, text: object) -> Origin | None:
        """`internal`, `third-party` (also `third party`, `3rd-party`, `external`); None otherwise."""
        if not isinstance(text, str):
            return None
        word = text.strip().lower().replace("_", "-").replace(" ", "-")
        if word in ("internal", "int"):
            return cls.INTERNAL
        if word in ("third-party", "thirdparty", "3rd-party", "external", "third-party-provider", "provider"):
            return cls.THIRD_PARTY
        return None


@dataclass(frozen=True)
class Incident:
    id: int
    key: str
    title: str
    level: str
    plan: str
    state: State
    source: str
    declared_by: str
    declared_at: datetime
    announce_channel: str | None = None
    declaration_ts: str | None = None
    function_execution_id: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    function_state: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    origin: Origin | None = None
    summary: str | None = None
    resolution_channel: str | None = None
    resolution_ts: str | None = None
    resolution_announce_ts: str | None = None
    postmortem_url: str | None = None
    last_activity_at: datetime | None = None
    last_reminder_at: datetime | None = None
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepRecord:
    incident_id: int
    phase: str
    name: str
    status: StepStatus
    attempts: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def result_json(self) -> str:
        return json.dumps(self.result, sort_keys=True)


@dataclass(frozen=True)
class TimelineEntry:
    incident_id: int
    at: datetime
    actor: str | None
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Followup:
    id: int
    incident_id: int
    text: str
    created_by: str
    created_at: datetime
    source_channel: str | None = None
    source_ts: str | None = None
    jira_key: str | None = None
    jira_url: str | None = None
