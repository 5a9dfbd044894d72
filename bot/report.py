"""Period figures (shared by the Home tab and `incident-bot report`) and their text, CSV and JSON forms."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.metrics import human
from bot.plans import Plan, default_plan
from bot.uptime import Figures, figures
from storage.base import Store


async def period_figures(store: Store, plans: Mapping[str, Plan], since: datetime, until: datetime) -> Figures:
    incidents = await store.overlapping(since, until)
    services = await store.services([i.id for i in incidents]) if default_plan(dict(plans)).services else {}
    return figures(incidents, plans, default_plan(dict(plans)), services, since, until)


def percent(value: float) -> str:
    return f"{value:.2f}%"


def _seconds(delta: timedelta | None) -> float | None:
    return round(delta.total_seconds(), 1) if delta is not None else None


def as_dict(f: Figures) -> dict[str, Any]:
    return {
        "since": f.since.isoformat(),
        "until": f.until.isoformat(),
        "incidents": f.count,
        "uptime_percent": round(f.uptime, 4),
        "uptime_by_service_percent": {k: round(v, 4) for k, v in f.by_service.items()},
        "incidents_by_level": f.by_level,
        "time_to_confirm_seconds": {
            "mean": _seconds(f.mean_time_to_confirm),
            "median": _seconds(f.median_time_to_confirm),
        },
        "time_to_resolve_seconds": {
            "mean": _seconds(f.mean_time_to_resolve),
            "median": _seconds(f.median_time_to_resolve),
        },
        "longest": [{"key": k, "level": lv, "title": t, "duration_seconds": _seconds(d)} for k, lv, t, d in f.longest],
    }


def as_text(f: Figures) -> str:
    lines = [
        f"Incidents from {f.since:%Y-%m-%d %H:%M} to {f.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"Uptime                 {percent(f.uptime)}",
    ]
    lines += [f"  {name:<20} {percent(value)}" for name, value in f.by_service.items()]
    levels = ", ".join(f"{k} {v}" for k, v in f.by_level.items())
    lines += [
        f"Incidents              {f.count} ({levels})",
        f"Time to confirm        mean {human(f.mean_time_to_confirm)}, median {human(f.median_time_to_confirm)}",
        f"Time to resolve        mean {human(f.mean_time_to_resolve)}, median {human(f.median_time_to_resolve)}",
    ]
    if f.longest:
        lines += ["", "Longest incidents"]
        lines += [f"  {k:<10} {lv:<4} {human(d):>12}  {t}" for k, lv, t, d in f.longest]
    return "\n".join(lines) + "\n"


def as_csv(f: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    data = as_dict(f)
    writer.writerow(["uptime_percent", "all", data["uptime_percent"]])
    for name, value in data["uptime_by_service_percent"].items():
        writer.writerow(["uptime_percent", name, value])
    for level, count in f.by_level.items():
        writer.writerow(["incidents", level, count])
    for kind in ("time_to_confirm_seconds", "time_to_resolve_seconds"):
        for stat, value in data[kind].items():
            writer.writerow([kind, stat, "" if value is None else value])
    for item in data["longest"]:
        writer.writerow(["longest_seconds", item["key"], item["duration_seconds"]])
    return out.getvalue()


def as_json(f: Figures) -> str:
    return json.dumps(as_dict(f), indent=2, ensure_ascii=False) + "\n"
