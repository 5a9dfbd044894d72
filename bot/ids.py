"""Slack identifiers of the bot: action and callback ids, and button values with pack()/unpack()."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.errors import InvalidInput


class ActionId(StrEnum):
    CONFIRM = "incident_confirm"
    CANCEL = "incident_cancel"
    RETRY = "incident_retry"
    RESOLVE = "incident_resolve"
    ORIGIN_INTERNAL = "incident_origin_internal"
    ORIGIN_THIRD_PARTY = "incident_origin_third_party"


class CallbackId(StrEnum):
    START_SHORTCUT = "start_incident"
    START_MODAL = "start_incident_modal"
    START_FUNCTION = "start_incident"
    RESOLVE_SHORTCUT = "resolve_incident"
    RESOLVE_MODAL = "resolve_incident_modal"
    RESOLVE_FUNCTION = "resolve_incident"
    FOLLOWUP_SHORTCUT = "create_followup"


class BlockId(StrEnum):
    TITLE = "title"
    LEVEL = "level"
    DECISION = "decision"
    RETRY = "retry"
    INCIDENT = "incident"
    ORIGIN = "origin"
    SUMMARY = "summary"
    RESOLVE = "resolve"
    SERVICES = "services"


@dataclass(frozen=True)
class IncidentRef:
    """A button's value: which incident (and phase) it acts on. At most 2000 characters in Slack."""

    incident_id: int
    phase: str = ""

    def pack(self) -> str:
        value = f"{self.incident_id}:{self.phase}"
        assert len(value) <= 2000
        return value

    @classmethod
    def unpack(cls, value: object) -> IncidentRef:
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidInput("This button is not one of the incident bot's.")
        number, _, phase = value.partition(":")
        if not number.isdigit() or len(number) > 12:
            raise InvalidInput("This button is not one of the incident bot's.")
        return cls(int(number), phase)


@dataclass(frozen=True)
class ModalMeta:
    """private_metadata of the modals: where it was opened from, the plan, the incident (resolve)."""

    channel: str = ""
    plan: str = ""
    incident_id: int = 0

    def pack(self) -> str:
        value = f"{self.channel}|{self.plan}|{self.incident_id}"
        assert len(value) <= 3000
        return value

    @classmethod
    def unpack(cls, value: object) -> ModalMeta:
        if not isinstance(value, str) or len(value) > 3000:
            return cls()
        channel, _, rest = value.partition("|")
        plan, _, number = rest.partition("|")
        return cls(channel, plan, int(number) if number.isdigit() and len(number) <= 12 else 0)
