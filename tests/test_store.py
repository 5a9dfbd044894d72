"""The store contract, on a real SQLite file: keys, conditional transitions, steps, timeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import IncidentNotFound
from bot.models import State, StepStatus
from storage.sqlite import SqliteStore, parse_key, path_from_url

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(str(tmp_path / "state" / "incidents.db"))
    yield opened
    await opened.close()


async def declare(store: SqliteStore, title: str = "Down") -> int:
    incident = await store.create_incident(
        title=title, level="P1", plan="default", source="test", declared_by="U1", at=T0
    )
    return incident.id


async def test_keys_come_from_the_store_and_lookups_are_case_insensitive(store: SqliteStore) -> None:
    ids = [await declare(store, f"t{i}") for i in range(3)]
    assert ids == [1, 2, 3]
    incident = await store.get_incident_by_key("inc-2")
    assert (incident.key, incident.title, incident.state) == ("INC-2", "t1", State.DECLARED)
    assert incident.declared_at == T0 and incident.declared_at.tzinfo is not None
    for bad in ("INC-99", "INC-", "42abc", "INC-99999999999999", ""):
        with pytest.raises(IncidentNotFound):
            await store.get_incident_by_key(bad)


async def test_concurrent_confirms_have_one_winner(store: SqliteStore) -> None:
    incident_id = await declare(store)
    results = await asyncio.gather(
        *(
            store.confirm(incident_id, user=f"U{i}", at=T0 + timedelta(seconds=i), steps=["a", "b"], phase="on_start")
            for i in range(10)
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and winners[0].state == State.ACTIVE
    assert [s.name for s in await store.list_steps(incident_id, "on_start")] == ["a", "b"]
    assert [e.kind for e in await store.timeline(incident_id)] == ["declared", "confirmed"]
    assert await store.cancel(incident_id, user="U9", at=T0) is None


async def test_steps_are_claimed_once_reset_and_released(store: SqliteStore) -> None:
    incident_id = await declare(store)
    await store.confirm(incident_id, user="U1", at=T0, steps=["a", "b"], phase="on_start")
    claims = await asyncio.gather(*(store.claim_step(incident_id, "on_start", "a", T0) for _ in range(5)))
    assert len([c for c in claims if c is not None]) == 1
    await store.save_step_result(incident_id, "on_start", "a", {"name": "inc-1"})
    await store.finish_step(incident_id, "on_start", "a", status=StepStatus.FAILED, at=T0, error="boom")
    await store.claim_step(incident_id, "on_start", "b", T0)
    assert await store.release_running_steps() == [incident_id]  # b was running: a crash left it
    names = await store.reset_steps(incident_id, "on_start", (StepStatus.FAILED,), user="U2", at=T0)
    assert names == ["a"]
    steps = {s.name: s for s in await store.list_steps(incident_id, "on_start")}
    assert steps["a"].status == StepStatus.PENDING and steps["a"].attempts == 1
    assert steps["a"].result == {"name": "inc-1"}  # progress survives a retry
    assert steps["b"].status == StepStatus.PENDING
    assert await store.reset_steps(incident_id, "on_start", (StepStatus.FAILED,), user="U2", at=T0) == []


async def test_state_survives_reopening_and_migrations_run_once(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    first = await SqliteStore.open(path)
    await declare(first)
    await first.close()
    again = await SqliteStore.open(path)
    assert (await again.get_incident(1)).title == "Down"
    assert (await declare(again)) == 2
    await again.close()


def test_database_url_and_keys() -> None:
    assert path_from_url("sqlite:///./incidents.db") == "./incidents.db"
    assert path_from_url("sqlite:////var/lib/bot.db") == "/var/lib/bot.db"
    with pytest.raises(ValueError, match="DATABASE_URL"):
        path_from_url("postgres://x")
    assert parse_key(" inc-7 ") == 7 and parse_key("INC-7x") is None
