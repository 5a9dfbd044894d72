"""Incident metrics from stored UTC timestamps: pure arithmetic on aware datetimes (DST-proof)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import Incident


@dataclass(frozen=True)
class Metrics:
    declared_at: datetime
    confirmed_at: datetime | None
    resolved_at: datetime | None

    @property
    def time_to_confirm(self) -> timedelta | None:
        return self.confirmed_at - self.declared_at if self.confirmed_at else None

    @property
    def duration(self) -> timedelta | None:
        """From declaration (when the impact was reported) to resolution."""
        return self.resolved_at - self.declared_at if self.resolved_at else None

    @property
    def time_to_resolve(self) -> timedelta | None:
        """From confirmation to resolution: how long the response took."""
        if self.resolved_at and self.confirmed_at:
            return self.resolved_at - self.confirmed_at
        return None


def metrics(incident: Incident) -> Metrics:
    return Metrics(incident.declared_at, incident.confirmed_at, incident.resolved_at)


def human(delta: timedelta | None) -> str:
    """`2d 3h 4m`, `45m 10s`, `12s`; `-` for unknown. Exact: no rounding beyond the second."""
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    if not days and not hours:
        parts.append(f"{secs}s")
    return sign + " ".join(parts)


def label(delta: timedelta | None) -> str:
    """A Jira label for a duration: `duration-2d3h4m` (labels cannot hold spaces)."""
    return "duration-" + human(delta).replace(" ", "") if delta is not None else "duration-unknown"


def utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"
