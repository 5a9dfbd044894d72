"""Uptime and period figures from incidents: pure functions (the formula is documented in docs/uptime.md).

downtime(period) = integral over the period of max(weight of the incidents whose impact window
covers that instant), where an incident's window runs from its declaration (or confirmation, as the
plan says) to its resolution (or the end of the period while it is still active), cut at the
period's edges. Overlapping incidents are therefore never counted twice: at any instant the worst
one counts. uptime = 1 - downtime / length of the period (100% for an empty period).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import Incident, State
from bot.plans import Plan

COUNTED = (State.ACTIVE, State.RESOLVED, State.ARCHIVED)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    weight: float


def window(incident: Incident, plan: Plan, until: datetime) -> Window | None:
    """The incident's impact window (not cut), or None when it does not count (cancelled, unconfirmed)."""
    if incident.state not in COUNTED:
        return None
    start = incident.confirmed_at if plan.uptime.impact_from == "confirmed" else incident.declared_at
    if start is None:
        return None
    level = plan.levels.get(incident.level)
    weight = level.downtime_weight if level is not None else 0.0
    end = incident.resolved_at or until
    return Window(start, max(start, end), weight)


def downtime(windows: Iterable[Window], since: datetime, until: datetime) -> timedelta:
    """Weighted union of the windows within [since, until): the worst weight at each instant."""
    events: list[tuple[datetime, int, float]] = []  # (time, +1 opens / -1 closes, weight)
    for w in windows:
        start, end = max(w.start, since), min(w.end, until)
        if w.weight > 0 and end > start:
            events += [(start, 1, w.weight), (end, -1, w.weight)]
    events.sort(key=lambda e: (e[0], e[1]))
    open_weights: Counter[float] = Counter()
    total, previous = 0.0, since
    for moment, change, weight in events:  # a sweep line: O(n log n) for n windows
        live = [x for x, n in open_weights.items() if n > 0]
        if live:
            total += (moment - previous).total_seconds() * max(live)
        open_weights[weight] += change
        previous = moment
    return timedelta(seconds=total)


def uptime(windows: Iterable[Window], since: datetime, until: datetime) -> float:
    """Percentage in [0, 100]; 100 for an empty (or zero-length) period."""
    length = (until - since).total_seconds()
    if length <= 0:
        return 100.0
    return max(0.0, 100.0 * (1 - downtime(windows, since, until).total_seconds() / length))


@dataclass
class Figures:
    since: datetime
    until: datetime
    uptime: float
    by_service: dict[str, float]
    by_level: dict[str, int]
    mean_time_to_confirm: timedelta | None
    median_time_to_confirm: timedelta | None
    mean_time_to_resolve: timedelta | None
    median_time_to_resolve: timedelta | None
    longest: list[tuple[str, str, str, timedelta]] = field(default_factory=list)
    """(key, level, title, duration) of the longest incidents of the period."""
    count: int = 0


def _mean(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.fmean(v.total_seconds() for v in values)) if values else None


def _median(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values)) if values else None


def figures(
    incidents: Iterable[Incident],
    plans: Mapping[str, Plan],
    default: Plan,
    services: Mapping[int, list[str]],
    since: datetime,
    until: datetime,
    longest: int = 5,
) -> Figures:
    """Every figure of a period from the incidents that overlap it.

    Counts and times to confirm/resolve are over the incidents declared in the period; uptime is
    over the impact windows cut at the edges, overall and per service (the plan's services).
    """
    overlapping = [i for i in incidents if i.state in COUNTED]
    windows: list[tuple[Incident, Window]] = []
    for incident in overlapping:
        w = window(incident, plans.get(incident.plan, default), until)
        if w is not None and w.start < until and w.end > since:
            windows.append((incident, w))
    declared = [i for i in overlapping if since <= i.declared_at < until]
    by_level: dict[str, int] = {}
    for key in default.levels:
        by_level[key] = 0
    for incident in declared:
        by_level[incident.level] = by_level.get(incident.level, 0) + 1
    ttc = [i.confirmed_at - i.declared_at for i in declared if i.confirmed_at]
    ttr = [i.resolved_at - (i.confirmed_at or i.declared_at) for i in declared if i.resolved_at]
    durations = sorted(declared, key=lambda i: ((i.resolved_at or until) - i.declared_at, -i.id), reverse=True)
    top = [(i.key, i.level, i.title, (i.resolved_at or until) - i.declared_at) for i in durations[:longest]]
    by_service = {
        service.name: uptime([w for i, w in windows if service.name in services.get(i.id, [])], since, until)
        for service in default.services
    }
    return Figures(
        since=since,
        until=until,
        uptime=uptime([w for _, w in windows], since, until),
        by_service=by_service,
        by_level=by_level,
        mean_time_to_confirm=_mean(ttc),
        median_time_to_confirm=_median(ttc),
        mean_time_to_resolve=_mean(ttr),
        median_time_to_resolve=_median(ttr),
        longest=top,
        count=len(declared),
    )
