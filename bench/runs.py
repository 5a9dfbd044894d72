"""The five measurements. Each returns {name: (value, unit, target or None, ok)} rows."""

from __future__ import annotations

import asyncio
import math
import signal
import statistics
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from actions.catalog import CATALOG
from bench.harness import Stage, percentile, rss_mb, wait
from bot.models import Phase, State, StepStatus
from sandbox.slack.limits import METHOD_TIER, POST_MESSAGE_BURST, TIER_PER_MINUTE, RateLimiter

Row = tuple[float, str, str, bool]


async def _steps_done(stage: Stage, count: int) -> bool:
    """Whether `count` incidents are active with every start step finished (reads only: no write lock)."""
    store = getattr(stage, "_reader", None)
    if store is None:
        store = await stage.store()
        stage._reader = store  # type: ignore[attr-defined]
    active = await store.incidents_in([State.ACTIVE], limit=10_000)
    if len(active) < count:
        return False
    async with store._conn.execute(
        "SELECT COUNT(*) FROM steps WHERE phase = 'on_start' AND status IN ('pending', 'running')"
    ) as cur:
        row = await cur.fetchone()
    return row is not None and row[0] == 0


async def ack_latency() -> dict[str, Row]:
    """200 concurrent clicks and modal submissions while 20 incidents are being created."""
    with tempfile.TemporaryDirectory() as folder:
        async with Stage(Path(folder)) as stage:
            await stage.bot()
            await stage.slack.wait_connected(1, timeout=30)
            p = stage.people
            declarations = [(await stage.declare(f"Outage {i}"))[1] for i in range(20)]
            opened = []
            for i in range(90):
                user = stage.slack.ws.add_user(f"user{i}").id
                await stage.slack.shortcut("start_incident", user)
                opened.append(user)
            views = [await wait(lambda u=u: stage.slack.open_view(u), 10) for u in opened]
            latencies: list[float] = []

            async def timed(coro: Any) -> None:
                started = time.perf_counter()
                await coro
                latencies.append((time.perf_counter() - started) * 1000)

            jobs = [timed(stage.slack.click(p.incidents, ts, "incident_confirm", p.bob)) for ts in declarations]
            jobs += [
                timed(stage.slack.submit_view(v["id"], u, {"title": f"Burst {n}", "level": "P4"}))
                for n, (v, u) in enumerate(zip(views, opened, strict=True))
            ]
            jobs += [timed(stage.slack.shortcut("start_incident", p.carol)) for _ in range(90)]
            await asyncio.gather(*jobs)
    return {
        "ack p50": (percentile(latencies, 50), "ms", "", True),
        "ack p99": (percentile(latencies, 99), "ms", "< 50 ms", percentile(latencies, 99) < 50),
        "ack max": (max(latencies), "ms", "< 3000 ms (Slack)", max(latencies) < 3000),
        "interactions": (len(latencies), "", "200", len(latencies) == 200),
    }


def _critical_path(steps: dict[str, Any]) -> float:
    """The longest chain of step durations through needs and after (seconds)."""
    memo: dict[str, float] = {}

    def finish(name: str) -> float:
        if name not in memo:
            spec = CATALOG[name]
            before = [finish(n) for n in (*spec.needs, *spec.after) if n in steps]
            memo[name] = max(before, default=0.0) + steps[name]
        return memo[name]

    return max(finish(n) for n in steps)


async def critical_path(latency: float = 0.2) -> dict[str, Row]:
    """Confirm to every start step done, each emulator adding `latency` per call."""
    with tempfile.TemporaryDirectory() as folder:
        async with Stage(Path(folder)) as stage:
            await stage.bot()
            await stage.slack.wait_connected(1, timeout=30)
            await asyncio.sleep(1.0)  # start-up checks of the integrations are not part of it
            _, ts = await stage.declare("Checkout is down", "P1")
            stage.slack.latency = stage.zoom.latency = stage.jira.latency = latency
            started = time.monotonic()
            await stage.slack.click(stage.people.incidents, ts, "incident_confirm", stage.people.bob)
            await wait(lambda: _steps_done(stage, 1), 60, 0.02)
            wall = time.monotonic() - started
            store = await stage.store()
            records = await store.list_steps(1, Phase.START)
            steps = {
                s.name: (s.finished_at - s.started_at).total_seconds()
                for s in records
                if s.started_at and s.finished_at
            }
            not_ok = [f"{s.name}:{s.status}" for s in records if s.status != StepStatus.OK]
            await store.close()
    chain = _critical_path(steps)
    serial = sum(steps.values())
    return {
        "start wall time": (wall, "s", "", True),
        "slowest step chain": (chain, "s", "", True),
        "sum of steps (serial)": (serial, "s", "", True),
        "critical path ratio": (wall / chain, "x", "<= 1.2", wall / chain <= 1.2),
        "steps not ok": (len(not_ok), " ".join(not_ok), "0", not not_ok),
    }


def _bound(calls: list[Any], scale: float) -> tuple[float, str]:
    """The least time the rate limits allow for these calls (seconds) and which limit sets it."""
    counts: Counter[tuple[str, str]] = Counter()
    for call in calls:
        if call.ok:
            key = str(call.args.get("channel") or "") if call.method == "chat.postMessage" else ""
            counts[(call.method, key)] += 1
    worst, which = 0.0, "-"
    for (method, channel), n in counts.items():
        if method == "chat.postMessage":
            allowed, window = POST_MESSAGE_BURST, float(POST_MESSAGE_BURST)
        elif method in METHOD_TIER:
            allowed, window = TIER_PER_MINUTE[METHOD_TIER[method]], 60.0
        else:
            continue
        bound = (math.ceil(n / allowed) - 1) * window * scale
        if bound > worst:
            worst, which = bound, f"{method}{' ' + channel if channel else ''} x{n}"
    return worst, which


async def burst(count: int = 50, scale: float = 0.5) -> dict[str, Row]:
    """`count` incidents declared within 10 s and confirmed as their declarations appear, with Slack's
    rate-limit tiers enforced by the emulator (windows x `scale`)."""
    with tempfile.TemporaryDirectory() as folder:
        async with Stage(Path(folder)) as stage:
            await stage.bot()
            await stage.slack.wait_connected(1, timeout=30)
            await asyncio.sleep(1.0)
            stage.slack.limiter = RateLimiter(scale=scale)
            stage.slack.calls.clear()
            p = stage.people
            started = time.monotonic()
            acks: list[float] = []
            clicked: set[str] = set()
            pending: set[asyncio.Task[None]] = set()

            async def timed(coro: Any) -> None:
                t = time.perf_counter()
                await coro
                acks.append((time.perf_counter() - t) * 1000)

            async def confirmer() -> None:
                while len(clicked) < count:
                    for message in list(stage.slack.messages(p.incidents)):
                        buttons = [e for b in message.blocks if b.get("type") == "actions" for e in b["elements"]]
                        if message.ts not in clicked and any(e["action_id"] == "incident_confirm" for e in buttons):
                            clicked.add(message.ts)
                            pending.add(
                                asyncio.create_task(
                                    timed(stage.slack.click(p.incidents, message.ts, "incident_confirm", p.bob))
                                )
                            )
                    await asyncio.sleep(0.05)

            watcher = asyncio.create_task(confirmer())
            for i in range(count):
                await timed(
                    stage.slack.run_function(
                        "start_incident", {"title": f"Burst {i}", "level": "P3", "reporter": p.alice}
                    )
                )
                await asyncio.sleep(8.0 / count)
            declared_in = time.monotonic() - started
            await asyncio.wait_for(watcher, 280)
            await wait(lambda: _steps_done(stage, count), 280, 0.2)
            total = time.monotonic() - started
            store = await stage.store()
            failed = 0
            for incident in await store.incidents_in([State.ACTIVE], limit=1000):
                failed += sum(
                    s.status != StepStatus.OK
                    for s in await store.list_steps(incident.id, Phase.START)
                    if not s.result.get("not_configured")
                )
            started_ok = len(await store.incidents_in([State.ACTIVE], limit=1000))
            await store.close()
            bound, which = _bound(stage.slack.calls, scale)
            limited = sum(1 for c in stage.slack.calls if c.error == "ratelimited")
    return {
        "incidents started": (started_ok, "", f"{count}", started_ok == count),
        "declared in": (declared_in, "s", "<= 10 s", declared_in <= 10.5),
        "failed steps": (failed, "", "0", failed == 0),
        "429 answers": (limited, "", "", True),
        "total time": (total, "s", "", True),
        f"limits' bound ({which}; windows x{scale:g})": (bound, "s", "", True),
        "total / bound": (total / bound if bound else 0, "x", "<= 1.1", bound > 0 and total / bound <= 1.1),
        "burst ack max": (max(acks), "ms", "< 3000 ms", max(acks) < 3000),
    }


def _size(folder: Path) -> float:
    """The store's files (database, WAL, shared memory), in MB."""
    return sum(f.stat().st_size for f in folder.glob("incidents.db*")) / 1024 / 1024


async def takeover(runs: int = 3, ttl: float = 5.0) -> dict[str, Row]:
    """kill -9 and SIGTERM of the leader: time until the standby's Socket Mode connection."""
    results: dict[str, list[float]] = {"kill -9": [], "SIGTERM": []}
    with tempfile.TemporaryDirectory() as folder:
        async with Stage(Path(folder)) as stage:
            leader = await stage.bot("n0", LEASE_TTL=str(ttl))
            await stage.slack.wait_connected(1, timeout=30)
            number = 1
            for kind in ["kill -9"] * runs + ["SIGTERM"] * runs:
                standby = await stage.bot(f"n{number}", LEASE_TTL=str(ttl))
                number += 1
                await asyncio.sleep(2.0)  # warm
                opened = stage.slack.connections_opened
                started = time.monotonic()
                leader.send_signal(signal.SIGKILL if kind == "kill -9" else signal.SIGTERM)
                await wait(
                    lambda o=opened: stage.slack.connections_opened > o and stage.slack.connected == 1, ttl + 10, 0.005
                )
                results[kind].append(time.monotonic() - started)
                await leader.wait()
                leader = standby
    rows: dict[str, Row] = {}
    for kind, times in results.items():
        limit = ttl + 2 if kind == "kill -9" else 2.0
        rows[f"{kind} min"] = (min(times), "s", "", True)
        rows[f"{kind} median"] = (statistics.median(times), "s", "", True)
        rows[f"{kind} max"] = (max(times), "s", f"<= {limit:g} s (lease {ttl:g} s)", max(times) <= limit)
    return rows


async def footprint(incidents: int = 10_000) -> dict[str, Row]:
    """Idle RSS; RSS and store size after `incidents`; Home build and report time over them."""
    from bench.data import fill
    from bot.home import Home
    from bot.plans import load_plans
    from bot.report import as_text, period_figures

    with tempfile.TemporaryDirectory() as folder:
        async with Stage(Path(folder)) as stage:
            proc = await stage.bot()
            await stage.slack.wait_connected(1, timeout=30)
            await asyncio.sleep(3.0)
            idle = rss_mb(proc.pid)
            store = await stage.store()
            now = await fill(store, incidents)
            size = _size(Path(folder))
            await stage.slack.send(
                "events_api",
                stage.slack._event_body({"type": "app_home_opened", "user": stage.people.alice, "tab": "home"}),
            )
            await wait(lambda: stage.slack.ws.views.get(f"VHOME{stage.people.alice}"), 30)
            loaded = rss_mb(proc.pid)
            plans = load_plans(stage.env["PLANS_DIR"])

            class Service:  # what Home needs of the service, in this process
                def __init__(self) -> None:
                    self.store, self.plans, self.clock = store, plans, type("C", (), {"now": lambda s: now})()

                def plan(self) -> Any:
                    return plans["default"]

            home = Home(Service())
            home_times, report_times = [], []
            for _ in range(15):
                t = time.perf_counter()
                await home.view()
                home_times.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                as_text(await period_figures(store, plans, now - timedelta(days=30), now))
                report_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            cli = await asyncio.create_subprocess_exec(
                "python3" if False else __import__("sys").executable,
                "-m",
                "bot",
                "report",
                "--since",
                (now - timedelta(days=365)).isoformat(),
                "--until",
                now.isoformat(),
                cwd=folder,
                env={**__import__("os").environ, **stage.env},
                stdout=asyncio.subprocess.DEVNULL,
            )
            await cli.wait()
            cli_time = time.perf_counter() - t
            await store.close()
    home_ms = statistics.median(home_times)
    report_s = statistics.median(report_times)
    return {
        "idle RSS": (idle, "MB", "< 100 MB", idle < 100),
        f"RSS with {incidents} incidents": (loaded, "MB", "", True),
        f"store size ({incidents} incidents)": (size, "MB", "", True),
        "Home tab build (median)": (home_ms, "ms", "< 50 ms", home_ms < 50),
        "report, 30 days (median)": (report_s * 1000, "ms", "< 1000 ms", report_s < 1),
        "incident-bot report, 1 year (CLI)": (cli_time, "s", "", True),
    }
