"""The Home tab at scale within Slack's limits; the report command agrees with it; the chart is a PNG."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Bot
from bot.clock import FakeClock
from bot.models import State
from sandbox.slack import SlackEmulator
from sandbox.slack.blockkit import BlockError, validate_view
from tests.conftest import People, declare_via_workflow, wait_for

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def bulk(bot: Bot, active: int, resolved: int) -> None:
    """Insert incidents straight into the store (fast), spread over the last year."""
    rng = random.Random(7)
    rows = []
    for n in range(resolved + active):
        declared = NOW - timedelta(days=365) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60 - 600))
        confirmed = declared + timedelta(seconds=rng.randrange(30, 900))
        level = rng.choice(["P1", "P2", "P3", "P4"])
        is_active = n >= resolved
        resolved_at = None if is_active else confirmed + timedelta(minutes=rng.randrange(5, 600))
        rows.append(
            (
                f"Incident number {n} <b>& co</b> " + "x" * rng.randrange(0, 120),
                level,
                "default",
                "active" if is_active else "resolved",
                "bulk",
                "U00000002",
                declared.isoformat(),
                "U00000003",
                confirmed.isoformat(),
                resolved_at.isoformat() if resolved_at else None,
                "U00000004" if resolved_at else None,
                f"C{n:08d}",
            )
        )
    await bot.store._conn.executemany(
        "INSERT INTO incidents (title, level, plan, state, source, declared_by, declared_at, confirmed_by,"
        " confirmed_at, resolved_at, resolved_by, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    await bot.store._conn.commit()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def test_home_tab_with_500_active_and_10000_resolved_fits_slack(
    slack: SlackEmulator, people: People, bot: Bot
) -> None:
    await bulk(bot, active=500, resolved=10_000)
    _, decl = await declare_via_workflow(slack, people, "Waiting <!here> for a click")
    await slack.send(
        "events_api",
        slack._event_body({"type": "app_home_opened", "user": people.alice, "tab": "home", "channel": "D0HOME"}),
    )
    published = await wait_for(lambda: slack.ws.views.get(f"VHOME{people.alice}"), what="home published")
    view = published.view
    validate_view(view)  # the emulator already did: Slack's limits
    assert len(view["blocks"]) <= 100 and len(json.dumps(view).encode()) <= 250_000
    text = json.dumps(view)
    assert "Active (500)" in text and "more active" in text
    assert (
        "Waiting for confirmation (1)" in text
        and "incident_confirm" in text
        and "@here" not in text.replace("@\u2060here", "")
    )
    assert "Last resolved" in text and "Last 30 days" in text and "Uptime" in text
    assert "<b>" not in text  # user text escaped
    calls = [c for c in slack.calls_to("views.publish") if c.ok]
    assert calls, "the emulator accepted the view"
    # the emulator rejects what Slack rejects
    too_many = {**view, "blocks": view["blocks"] + [{"type": "divider"}] * 100}
    with pytest.raises(BlockError):
        validate_view(too_many)
    # the tab follows changes for whoever opened it recently
    before = len(calls)
    await slack.click(people.incidents, decl.ts, "incident_confirm", people.bob)
    await wait_for(
        lambda: len([c for c in slack.calls_to("views.publish") if c.ok]) > before, timeout=10, what="home refreshed"
    )
    assert "Waiting for confirmation" not in json.dumps(slack.ws.views[f"VHOME{people.alice}"].view)


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_report_prints_the_home_figures_and_draws_a_png(
    slack: SlackEmulator, people: People, bot: Bot, env: dict[str, str], tmp_path: Path
) -> None:
    await bulk(bot, active=5, resolved=400)
    view = await bot.home.view()
    figures = next(b for b in view["blocks"] if b.get("text", {}).get("text") == "*Last 30 days*")
    shown = {f["text"].split("\n")[0].strip("*"): f["text"].split("\n")[1] for f in figures["fields"]}
    since, until = (NOW - timedelta(days=30)).isoformat(), NOW.isoformat()
    chart = tmp_path / "report.png"
    code, out, _ = await cli(
        env, "report", "--since", since, "--until", until, "--format", "json", "--chart", str(chart)
    )
    assert code == 0
    data = json.loads(out)
    assert shown["Uptime"] == f"{data['uptime_percent']:.2f}%"
    assert shown["Incidents"].startswith(f"{data['incidents']} (")
    assert all(f"{k} {v}" in shown["Incidents"] for k, v in data["incidents_by_level"].items())
    from bot.metrics import human

    assert shown["Mean time to resolve"] == human(timedelta(seconds=data["time_to_resolve_seconds"]["mean"]))
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    code, table, _ = await cli(env, "report", "--since", since, "--until", until)
    assert code == 0 and f"Uptime                 {shown['Uptime']}" in table and "Longest incidents" in table
    code, out, _ = await cli(env, "report", "--month", "2026-11", "--format", "csv")
    assert code == 0 and out.startswith("metric,key,value\r\nuptime_percent,all,")
    code, _, err = await cli(env, "report", "--month", "11/2026")
    assert code == 2 and "--month '11/2026' is not a month" in err
    assert (await bot.store.counts())[(State.ACTIVE, "P1")] >= 0
