"""Runs a phase's steps: each starts as soon as its needs are done; failures skip only dependants."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actions.base import StepContext, StepFn
from actions.catalog import CATALOG
from actions.retry import RetryPolicy
from bot.clock import Clock
from bot.errors import IntegrationError, NotConfigured, TransientError
from bot.models import StepRecord, StepStatus
from bot.plans import Plan

log = logging.getLogger(__name__)
DONE = (StepStatus.OK, StepStatus.FAILED, StepStatus.SKIPPED)


@dataclass(frozen=True)
class RunReport:
    steps: list[StepRecord]

    @property
    def failed(self) -> list[StepRecord]:
        return [s for s in self.steps if s.status in (StepStatus.FAILED, StepStatus.SKIPPED)]


class Runner:
    def __init__(
        self,
        *,
        steps: Mapping[str, StepFn],
        context: Callable[[int, StepRecord, dict[str, dict[str, Any]]], Awaitable[StepContext]],
        store: Any,
        clock: Clock,
        policy: RetryPolicy | None = None,
        on_step_done: Callable[[int], Awaitable[None]] | None = None,
        observe: Callable[[str, str, float], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self._steps = steps
        self._context = context
        self._store = store
        self._clock = clock
        self.policy = policy or RetryPolicy()
        self._on_step_done = on_step_done
        self._observe = observe or (lambda step, status, seconds: None)
        self._on_retry = on_retry or (lambda step: None)
        self._locks: dict[int, asyncio.Lock] = {}

    async def run(self, incident_id: int, phase: str, plan: Plan) -> RunReport:
        """Run every pending step of the phase; returns the final records. One run per incident at a time."""
        lock = self._locks.setdefault(incident_id, asyncio.Lock())
        async with lock:
            return await self._run(incident_id, phase)

    async def _run(self, incident_id: int, phase: str) -> RunReport:
        records = {r.name: r for r in await self._store.list_steps(incident_id, phase)}
        status = {name: r.status for name, r in records.items()}
        results = {name: r.result for name, r in records.items() if r.status == StepStatus.OK}
        running: dict[asyncio.Task[tuple[StepStatus, dict[str, Any]]], str] = {}
        while True:
            for name, record in records.items():
                if status[name] != StepStatus.PENDING or name in running.values():
                    continue
                spec = CATALOG.get(name)
                needs = [n for n in (spec.needs if spec else ()) if n in records]
                after = [n for n in (spec.after if spec else ()) if n in records]
                broken = [n for n in needs if status[n] in (StepStatus.FAILED, StepStatus.SKIPPED)]
                if broken:
                    status[name] = StepStatus.SKIPPED
                    await self._store.finish_step(
                        incident_id,
                        phase,
                        name,
                        status=StepStatus.SKIPPED,
                        at=self._clock.now(),
                        error=f"{broken[0]} did not complete",
                    )
                    continue
                if all(status[n] == StepStatus.OK for n in needs) and all(status[n] in DONE for n in after):
                    task = asyncio.create_task(self._one(incident_id, record, dict(results)))
                    running[task] = name
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                name = running.pop(task)
                status[name], result = task.result()
                if status[name] == StepStatus.OK:
                    results[name] = result
                if self._on_step_done is not None:
                    try:
                        await self._on_step_done(incident_id)
                    except Exception:
                        log.exception("event=refresh_failed incident=%s", incident_id)
        return RunReport(await self._store.list_steps(incident_id, phase))

    async def _one(
        self, incident_id: int, record: StepRecord, results: dict[str, dict[str, Any]]
    ) -> tuple[StepStatus, dict[str, Any]]:
        claimed = await self._store.claim_step(incident_id, record.phase, record.name, self._clock.now())
        if claimed is None:  # another run holds it: leave it, and what needs it, to that run
            return StepStatus.RUNNING, {}
        fn = self._steps.get(record.name)
        started = time.monotonic()
        error = "not implemented"
        for attempt in range(1, self.policy.attempts + 1):
            if fn is None:
                break
            try:
                ctx = await self._context(incident_id, claimed, results)
                result = await asyncio.wait_for(fn(ctx), self.policy.timeout)
            except (TransientError, TimeoutError) as exc:
                error = str(exc) or f"timed out after {self.policy.timeout:.0f}s"
                retry_after = exc.retry_after if isinstance(exc, TransientError) else None
                log.warning(
                    "event=step_retry incident=%s step=%s attempt=%d error=%r", incident_id, record.name, attempt, error
                )
                if attempt < self.policy.attempts:
                    self._on_retry(record.name)
                    await asyncio.sleep(self.policy.delay(attempt, retry_after))
                continue
            except NotConfigured as exc:
                self._observe(record.name, "skipped", time.monotonic() - started)
                await self._store.finish_step(
                    incident_id,
                    record.phase,
                    record.name,
                    status=StepStatus.SKIPPED,
                    at=self._clock.now(),
                    error=exc.reason,
                    result={"not_configured": True},
                )
                return StepStatus.SKIPPED, {}
            except IntegrationError as exc:
                error = str(exc)
                break
            except Exception as exc:  # a bug in one step must not stop the others
                log.exception("event=step_crashed incident=%s step=%s", incident_id, record.name)
                error = f"internal error: {type(exc).__name__}"
                break
            await self._store.finish_step(
                incident_id, record.phase, record.name, status=StepStatus.OK, at=self._clock.now(), result=result
            )
            self._observe(record.name, "ok", time.monotonic() - started)
            log.info(
                "event=step_ok incident=%s step=%s seconds=%.3f", incident_id, record.name, time.monotonic() - started
            )
            return StepStatus.OK, result
        self._observe(record.name, "failed", time.monotonic() - started)
        await self._store.finish_step(
            incident_id, record.phase, record.name, status=StepStatus.FAILED, at=self._clock.now(), error=error
        )
        log.warning("event=step_failed incident=%s step=%s error=%r", incident_id, record.name, error)
        return StepStatus.FAILED, {}
