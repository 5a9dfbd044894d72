"""The leader lease in SQLite: one row, an epoch that grows with every change of leader, SQLite's clock."""

from __future__ import annotations

from storage.sqlite import NOW as _NOW
from storage.sqlite import SqliteStore


class SqliteLease:
    """The leader lease: one row, an epoch that grows with every change of leader, SQLite's clock."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def acquire(self, holder: str, ttl: float) -> int | None:
        """Take or renew the lease; the epoch when held (new holder: epoch + 1), None when someone else has it."""
        async with self.store._tx() as db:
            cur = await db.execute(
                f"UPDATE lease SET epoch = CASE WHEN holder = ? THEN epoch ELSE epoch + 1 END, holder = ?,"
                f" expires_at = {_NOW} + ? WHERE id = 1 AND (holder = ? OR holder IS NULL OR expires_at < {_NOW})",
                (holder, holder, ttl, holder),
            )
            if cur.rowcount != 1:
                return None
            async with db.execute("SELECT epoch FROM lease WHERE id = 1") as c:
                row = await c.fetchone()
            return int(row["epoch"]) if row else None

    async def renew(self, holder: str, epoch: int, ttl: float) -> bool:
        async with self.store._tx() as db:
            cur = await db.execute(
                f"UPDATE lease SET expires_at = {_NOW} + ? WHERE id = 1 AND holder = ? AND epoch = ?"
                f" AND expires_at >= {_NOW}",
                (ttl, holder, epoch),
            )
            return cur.rowcount == 1

    async def release(self, holder: str, epoch: int) -> None:
        async with self.store._tx() as db:
            await db.execute(
                "UPDATE lease SET holder = NULL, expires_at = 0 WHERE id = 1 AND holder = ? AND epoch = ?",
                (holder, epoch),
            )

    async def current(self) -> tuple[str | None, int, float]:
        """(holder, epoch, seconds left) as the database sees it."""
        async with self.store._conn.execute(f"SELECT holder, epoch, expires_at - {_NOW} AS left FROM lease") as cur:
            row = await cur.fetchone()
        assert row is not None
        return row["holder"], int(row["epoch"]), float(row["left"])
