"""The report chart: uptime per week and incidents per level over a period, drawn with matplotlib."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.errors import InvalidInput
from bot.models import Incident
from bot.plans import Plan
from bot.uptime import figures


def weeks(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The period cut in weeks (the last one shorter)."""
    spans, start = [], since
    while start < until:
        end = min(start + timedelta(days=7), until)
        spans.append((start, end))
        start = end
    return spans


def render(
    incidents: Sequence[Incident],
    plans: Mapping[str, Plan],
    default: Plan,
    services: Mapping[int, list[str]],
    since: datetime,
    until: datetime,
) -> bytes:
    """A PNG. Raises InvalidInput when matplotlib is not installed (pip install 'incident-bot[chart]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: files only
        from matplotlib import pyplot as plt
    except ImportError:
        raise InvalidInput("Charts need matplotlib: pip install 'incident-bot[chart]'.") from None
    spans = weeks(since, until)
    weekly = [figures(incidents, plans, default, services, a, b, longest=0).uptime for a, b in spans]
    total = figures(incidents, plans, default, services, since, until, longest=0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    labels = [a.strftime("%d %b") for a, _ in spans]
    left.plot(labels, weekly, marker="o", color="#2b7a3d")
    left.set_ylim(min([99.0, *weekly]) - 0.5, 100.1)
    left.set_title("Uptime per week (%)")
    left.grid(alpha=0.3)
    left.tick_params(axis="x", rotation=45)
    levels = list(total.by_level)
    colors = ["#b3261e", "#e8710a", "#f2b705", "#5f6368", "#1a73e8"]
    right.bar(levels, [total.by_level[k] for k in levels], color=colors[: len(levels)] or None)
    right.set_title("Incidents per level")
    right.yaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Incidents {since:%Y-%m-%d} to {until:%Y-%m-%d} (UTC): uptime {total.uptime:.2f}%")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
