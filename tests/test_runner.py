"""The step runner on a real store: parallel starts, timeouts, retries, skips of dependants only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from actions.base import StepContext
from actions.retry import RetryPolicy
from actions.runner import Runner
from bot.clock import FakeClock
from bot.errors import IntegrationError, TransientError
from bot.models import StepRecord, StepStatus
from bot.plans import parse_plan
from storage.sqlite import SqliteStore

PLAN = parse_plan('announce_channel: "#x"\nlevels: {P1: {name: a, description: b}}\n', "p.yaml")
STEPS = ["create_channel", "invite_responders", "post_intro", "announce"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(str(tmp_path / "r.db"))
    incident = await opened.create_incident(
        title="t", level="P1", plan="default", source="t", declared_by="U1", at=FakeClock().now()
    )
    await opened.confirm(incident.id, user="U1", at=FakeClock().now(), steps=STEPS, phase="on_start")
    yield opened
    await opened.close()


def runner(store: SqliteStore, steps: dict[str, Any], **policy: Any) -> Runner:
    async def context(incident_id: int, record: StepRecord, results: dict[str, Any]) -> StepContext:
        return StepContext(
            incident=await store.get_incident(incident_id),
            plan=PLAN,
            record=record,
            results=results,
            slack=None,
            store=store,
            clock=FakeClock(),
        )  # type: ignore[arg-type]

    return Runner(
        steps=steps,
        context=context,
        store=store,
        clock=FakeClock(),
        policy=RetryPolicy(**{"attempts": 3, "base": 0.01, "cap": 0.05, "timeout": 1.0, **policy}),
    )


def sleeper(seconds: float, log: list[str], name: str) -> Any:
    async def step(ctx: StepContext) -> dict[str, Any]:
        log.append(f"start {name}")
        await asyncio.sleep(seconds)
        log.append(f"end {name}")
        return {"name": name}

    return step


async def test_steps_start_as_soon_as_their_needs_are_met(store: SqliteStore) -> None:
    log: list[str] = []
    steps = {name: sleeper(0.2, log, name) for name in STEPS}
    started = time.monotonic()
    report = await runner(store, steps).run(1, "on_start", PLAN)
    elapsed = time.monotonic() - started
    assert {s.status for s in report.steps} == {StepStatus.OK}
    # channel first; then invite, intro and announce together: two step durations, not four
    assert log[:2] == ["start create_channel", "end create_channel"]
    assert sorted(log[2:5]) == ["start announce", "start invite_responders", "start post_intro"]
    assert elapsed < 0.6


async def test_failure_skips_only_dependants_and_transients_are_retried(store: SqliteStore) -> None:
    calls: dict[str, int] = {}

    async def flaky(ctx: StepContext) -> dict[str, Any]:
        calls["create_channel"] = calls.get("create_channel", 0) + 1
        if calls["create_channel"] < 3:
            raise TransientError("slack", "ratelimited", retry_after=0.01)
        raise IntegrationError("slack", "restricted_action")

    async def ok(ctx: StepContext) -> dict[str, Any]:
        return {}

    report = await runner(
        store, {"create_channel": flaky, "invite_responders": ok, "post_intro": ok, "announce": ok}
    ).run(1, "on_start", PLAN)
    status = {s.name: (s.status, s.error) for s in report.steps}
    assert calls["create_channel"] == 3
    assert status["create_channel"] == (StepStatus.FAILED, "slack: restricted_action")
    assert status["invite_responders"] == (StepStatus.SKIPPED, "create_channel did not complete")
    assert status["post_intro"][0] == StepStatus.SKIPPED
    assert status["announce"][0] == StepStatus.OK


async def test_a_hung_or_crashing_step_fails_alone(store: SqliteStore) -> None:
    async def hang(ctx: StepContext) -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    async def crash(ctx: StepContext) -> dict[str, Any]:
        raise KeyError("bug")

    async def ok(ctx: StepContext) -> dict[str, Any]:
        return {"ok": 1}

    report = await runner(
        store,
        {"create_channel": ok, "invite_responders": hang, "post_intro": crash, "announce": ok},
        attempts=1,
        timeout=0.1,
    ).run(1, "on_start", PLAN)
    status = {s.name: (s.status, s.error) for s in report.steps}
    assert status["invite_responders"][0] == StepStatus.FAILED and "timed out" in str(status["invite_responders"][1])
    assert status["post_intro"] == (StepStatus.FAILED, "internal error: KeyError")
    assert status["announce"][0] == StepStatus.OK and status["create_channel"][0] == StepStatus.OK
