"""The lease loop: one leader, a leader that cannot renew steps down before its lease expires."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.leader import Leadership
from storage.lease import SqliteLease
from storage.sqlite import SqliteStore


class FlakyLease:
    def __init__(self) -> None:
        self.epoch = 0
        self.renew_result: bool | None = True  # None: raise (the database cannot be reached)

    async def acquire(self, holder: str, ttl: float) -> int | None:
        self.epoch += 1
        return self.epoch

    async def renew(self, holder: str, epoch: int, ttl: float) -> bool:
        if self.renew_result is None:
            raise OSError("database is locked")
        return self.renew_result

    async def release(self, holder: str, epoch: int) -> None:
        pass


def leadership(lease: object, clock: list[float], log: list[str], ttl: float = 15.0) -> Leadership:
    async def lead(epoch: int) -> None:
        log.append(f"lead {epoch}")

    async def down() -> None:
        log.append("down")

    return Leadership(lease, "me", ttl, lead, down, monotonic=lambda: clock[0])  # type: ignore[arg-type]


async def test_a_leader_that_cannot_renew_steps_down_before_the_lease_expires() -> None:
    clock, log, lease = [0.0], [], FlakyLease()
    leader = leadership(lease, clock, log)
    await leader.tick()
    assert log == ["lead 1"] and leader.leading
    lease.renew_result = None
    for t in (3.0, 6.0, 9.0):  # renewals fail; 9 s < 10 s (2/3 of the ttl): keep leading
        clock[0] = t
        await leader.tick()
    assert leader.leading
    clock[0] = 10.5  # past 2/3 of the 15 s ttl since the last renewal: step down, well before 15 s
    await leader.tick()
    assert log == ["lead 1", "down"] and not leader.leading


async def test_a_refused_renewal_means_someone_else_leads_now() -> None:
    clock, log, lease = [0.0], [], FlakyLease()
    leader = leadership(lease, clock, log)
    await leader.tick()
    lease.renew_result = False
    clock[0] = 1.0
    await leader.tick()
    assert log == ["lead 1", "down"]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(str(tmp_path / "lease.db"))
    yield opened
    await opened.close()


async def test_sqlite_lease_one_holder_epochs_grow(store: SqliteStore, tmp_path: Path) -> None:
    other = await SqliteStore.open(str(tmp_path / "lease.db"))  # a second process's connection
    try:
        a, b = SqliteLease(store), SqliteLease(other)
        assert await a.acquire("a", 1.0) == 1
        assert await b.acquire("b", 1.0) is None
        assert await a.acquire("a", 1.0) == 1  # renewing keeps the epoch
        assert await a.renew("a", 1, 1.0) and not await b.renew("b", 1, 1.0)
        await asyncio.sleep(1.1)  # expired (the database's clock)
        assert await b.acquire("b", 5.0) == 2
        assert not await a.renew("a", 1, 1.0)  # the old leader is fenced off
        await b.release("b", 2)
        assert await a.acquire("a", 5.0) == 3
        holder, epoch, left = await b.current()
        assert (holder, epoch) == ("a", 3) and 4.0 < left <= 5.0
    finally:
        await other.close()
