"""Uptime: the weighted union of impact windows, cut at the period's edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Incident, State
from bot.plans import parse_plan
from bot.uptime import Window, downtime, figures, uptime

PLAN = parse_plan(
    """
announce_channel: "#x"
services: [{name: checkout}, {name: search}]
levels:
  P1: {name: Critical, description: a, downtime_weight: 1.0}
  P2: {name: Major, description: b, downtime_weight: 0.5}
  P3: {name: Minor, description: c}
  P4: {name: Low, description: d, downtime_weight: 0}
""",
    "p.yaml",
)
T = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def incident(
    n: int,
    level: str,
    start: timedelta,
    end: timedelta | None,
    state: State = State.RESOLVED,
    confirm: timedelta = timedelta(minutes=5),
) -> Incident:
    return Incident(
        id=n,
        key=f"INC-{n}",
        title=f"t{n}",
        level=level,
        plan="default",
        state=state,
        source="t",
        declared_by="U1",
        declared_at=T + start,
        confirmed_at=T + start + confirm,
        resolved_at=T + end if end is not None else None,
    )


def fig(
    incidents: list[Incident],
    since: datetime = T,
    until: datetime = T + 30 * DAY,
    services: dict[int, list[str]] | None = None,
):  # type: ignore[no-untyped-def]
    return figures(incidents, {"default": PLAN}, PLAN, services or {}, since, until)


def test_empty_period_is_100_percent() -> None:
    assert fig([]).uptime == 100.0
    assert uptime([], T, T) == 100.0


def test_overlapping_incidents_are_never_counted_twice() -> None:
    a = incident(1, "P1", 0 * HOUR, 2 * HOUR)
    b = incident(2, "P1", 1 * HOUR, 3 * HOUR)  # overlaps a by one hour
    c = incident(3, "P2", 2 * HOUR + 30 * timedelta(minutes=1), 4 * HOUR)  # P2 under b, then alone
    windows = [Window(i.declared_at, i.resolved_at, w) for i, w in ((a, 1.0), (b, 1.0), (c, 0.5))]  # type: ignore[arg-type]
    assert downtime(windows, T, T + DAY) == 3 * HOUR + timedelta(minutes=30)  # 0-3h full, 3h-4h half
    f = fig([a, b, c], T, T + DAY)
    assert f.uptime == pytest.approx(100 * (1 - 3.5 / 24))


def test_weight_zero_levels_do_not_count() -> None:
    assert fig([incident(1, "P3", 0 * HOUR, 10 * HOUR), incident(2, "P4", 0 * HOUR, 10 * DAY)]).uptime == 100.0


def test_an_incident_crossing_a_month_boundary_is_cut_at_the_edges() -> None:
    crossing = incident(1, "P1", 29 * DAY + 12 * HOUR, 30 * DAY + 12 * HOUR)  # Nov 30 12:00 -> Dec 1 12:00
    november = fig([crossing], T, T + 30 * DAY)
    december = fig([crossing], T + 30 * DAY, T + 61 * DAY)
    assert november.uptime == pytest.approx(100 * (1 - 12 / (30 * 24)))
    assert december.uptime == pytest.approx(100 * (1 - 12 / (31 * 24)))
    assert november.by_level["P1"] == 1 and december.by_level["P1"] == 0  # counted where it was declared


def test_an_incident_still_active_counts_until_the_end_of_the_period() -> None:
    active = incident(1, "P2", 29 * DAY, None, state=State.ACTIVE)
    f = fig([active])
    assert f.uptime == pytest.approx(100 * (1 - 0.5 * 24 / (30 * 24)))
    assert f.mean_time_to_resolve is None and f.longest[0][3] == DAY


def test_cancelled_and_unconfirmed_do_not_count() -> None:
    cancelled = incident(1, "P1", 0 * HOUR, 5 * HOUR, state=State.CANCELLED)
    declared = incident(2, "P1", 0 * HOUR, None, state=State.DECLARED)
    assert fig([cancelled, declared]).uptime == 100.0


def test_per_service_figures_and_times() -> None:
    a = incident(1, "P1", 0 * HOUR, 6 * HOUR, confirm=timedelta(minutes=10))
    b = incident(2, "P2", 1 * DAY, 1 * DAY + 2 * HOUR, confirm=timedelta(minutes=2))
    f = fig([a, b], T, T + 10 * DAY, services={1: ["checkout"], 2: ["checkout", "search"]})
    total = 10 * 24
    assert f.by_service["checkout"] == pytest.approx(100 * (1 - 7 / total))
    assert f.by_service["search"] == pytest.approx(100 * (1 - 1 / total))
    assert f.uptime == pytest.approx(100 * (1 - 7 / total))
    assert f.mean_time_to_confirm == timedelta(minutes=6) and f.median_time_to_confirm == timedelta(minutes=6)
    assert f.mean_time_to_resolve == (timedelta(minutes=350) + timedelta(minutes=118)) / 2
    assert [x[0] for x in f.longest] == ["INC-1", "INC-2"] and f.by_level == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}


def test_impact_from_confirmation_when_the_plan_says_so() -> None:
    plan = PLAN.model_copy(update={"uptime": PLAN.uptime.model_copy(update={"impact_from": "confirmed"})})
    a = incident(1, "P1", 0 * HOUR, 2 * HOUR, confirm=HOUR)
    f = figures([a], {"default": plan}, plan, {}, T, T + DAY)
    assert f.uptime == pytest.approx(100 * (1 - 1 / 24))
