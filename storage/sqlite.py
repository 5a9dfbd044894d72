"""SQLite implementation of the store (aiosqlite, WAL, versioned migrations)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import ConfigError, IncidentNotFound
from bot.models import Followup, Incident, Origin, State, StepRecord, StepStatus, TimelineEntry

KEY_PREFIX = "INC-"
NOW = "((julianday('now') - 2440587.5) * 86400.0)"  # the database's clock, in Unix seconds
_KEY_RE = re.compile(r"^\s*INC-(\d{1,12})\s*$", re.IGNORECASE)


def incident_key(incident_id: int) -> str:
    return f"{KEY_PREFIX}{incident_id}"


def parse_key(key: str) -> int | None:
    """`INC-42` (any case) -> 42; anything else -> None."""
    match = _KEY_RE.match(key)
    return int(match.group(1)) if match else None


def path_from_url(url: str) -> str:
    """`sqlite:///./incidents.db` -> `./incidents.db`; `sqlite:////var/x.db` -> `/var/x.db`."""
    if not url.startswith("sqlite:///"):
        raise ConfigError("DATABASE_URL", "must look like sqlite:///path/to/incidents.db")
    path = url.removeprefix("sqlite:///")
    if not path:
        raise ConfigError("DATABASE_URL", "names no file")
    return path


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _incident(row: aiosqlite.Row) -> Incident:
    declared_at = _dt(row["declared_at"])
    assert declared_at is not None
    return Incident(
        id=row["id"],
        key=incident_key(row["id"]),
        title=row["title"],
        level=row["level"],
        plan=row["plan"],
        state=State(row["state"]),
        source=row["source"],
        declared_by=row["declared_by"],
        declared_at=declared_at,
        announce_channel=row["announce_channel"],
        declaration_ts=row["declaration_ts"],
        function_execution_id=row["function_execution_id"],
        confirmed_by=row["confirmed_by"],
        confirmed_at=_dt(row["confirmed_at"]),
        cancelled_by=row["cancelled_by"],
        cancelled_at=_dt(row["cancelled_at"]),
        channel_id=row["channel_id"],
        channel_name=row["channel_name"],
        function_state=row["function_state"],
        resolved_by=row["resolved_by"],
        resolved_at=_dt(row["resolved_at"]),
        origin=Origin(row["origin"]) if row["origin"] else None,
        summary=row["summary"],
        resolution_channel=row["resolution_channel"],
        resolution_ts=row["resolution_ts"],
        resolution_announce_ts=row["resolution_announce_ts"],
        postmortem_url=row["postmortem_url"],
        last_activity_at=_dt(row["last_activity_at"]),
        last_reminder_at=_dt(row["last_reminder_at"]),
        services=tuple(s for s in (row["services"] or "").split(",") if s),
    )


def _followup(row: aiosqlite.Row) -> Followup:
    created_at = _dt(row["created_at"])
    assert created_at is not None
    return Followup(
        id=row["id"],
        incident_id=row["incident_id"],
        text=row["text"],
        created_by=row["created_by"],
        created_at=created_at,
        source_channel=row["source_channel"],
        source_ts=row["source_ts"],
        jira_key=row["jira_key"],
        jira_url=row["jira_url"],
    )


def _step(row: aiosqlite.Row) -> StepRecord:
    return StepRecord(
        incident_id=row["incident_id"],
        phase=row["phase"],
        name=row["name"],
        status=StepStatus(row["status"]),
        attempts=row["attempts"],
        result=json.loads(row["result"] or "{}"),
        error=row["error"],
        started_at=_dt(row["started_at"]),
        finished_at=_dt(row["finished_at"]),
    )


class SqliteStore:
    """One aiosqlite connection; multi-statement writes are serialised and run in BEGIN IMMEDIATE."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._write = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None, timeout=10)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=10000")
        store = cls(conn)
        await store._migrate()
        return store

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _migrate(self) -> None:
        async with self._tx() as db:
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            async with db.execute("SELECT MAX(version) FROM schema_version") as cur:
                row = await cur.fetchone()
            current = (row[0] if row else None) or 0
            files = sorted(
                (f for f in resources.files("storage.migrations").iterdir() if f.name.endswith(".sql")),
                key=lambda f: f.name,
            )
            for file in files:
                version = int(file.name.split("_", 1)[0])
                if version <= current:
                    continue
                for statement in file.read_text(encoding="utf-8").split(";"):
                    if statement.strip():
                        await db.execute(statement)
                await db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def _timeline(
        self,
        db: aiosqlite.Connection,
        incident_id: int,
        at: datetime,
        actor: str | None,
        kind: str,
        detail: dict[str, Any],
    ) -> None:
        await db.execute(
            "INSERT INTO timeline (incident_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)",
            (incident_id, _ts(at), actor, kind, json.dumps(detail, sort_keys=True)),
        )

    async def _fetch_incident(self, db: aiosqlite.Connection, incident_id: int) -> Incident:
        async with db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise IncidentNotFound(f"{incident_key(incident_id)} does not exist")
        return _incident(row)

    async def create_incident(
        self,
        *,
        title: str,
        level: str,
        plan: str,
        source: str,
        declared_by: str,
        at: datetime,
        announce_channel: str | None = None,
        function_execution_id: str | None = None,
    ) -> Incident:
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO incidents (title, level, plan, state, source, declared_by, declared_at,"
                " announce_channel, function_execution_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    title,
                    level,
                    plan,
                    State.DECLARED,
                    source,
                    declared_by,
                    _ts(at),
                    announce_channel,
                    function_execution_id,
                ),
            )
            incident_id = cur.lastrowid
            assert incident_id is not None
            await self._timeline(
                db, incident_id, at, declared_by, "declared", {"title": title, "level": level, "source": source}
            )
            return await self._fetch_incident(db, incident_id)

    async def get_incident(self, incident_id: int) -> Incident:
        return await self._fetch_incident(self._conn, incident_id)

    async def get_incident_by_key(self, key: str) -> Incident:
        incident_id = parse_key(key)
        if incident_id is None:
            raise IncidentNotFound(f"{key!r} is not an incident key (expected INC-<number>)")
        return await self.get_incident(incident_id)

    async def set_declaration_message(self, incident_id: int, channel: str, ts: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE incidents SET announce_channel = ?, declaration_ts = ? WHERE id = ?",
                (channel, ts, incident_id),
            )

    async def set_channel(self, incident_id: int, channel_id: str, channel_name: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE incidents SET channel_id = ?, channel_name = ? WHERE id = ?",
                (channel_id, channel_name, incident_id),
            )

    async def set_report(self, incident_id: int, channel: str, ts: str, phase: str = "on_start") -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT OR REPLACE INTO reports (incident_id, phase, channel, ts) VALUES (?, ?, ?, ?)",
                (incident_id, phase, channel, ts),
            )

    async def report(self, incident_id: int, phase: str) -> tuple[str, str] | None:
        async with self._conn.execute(
            "SELECT channel, ts FROM reports WHERE incident_id = ? AND phase = ?", (incident_id, phase)
        ) as cur:
            row = await cur.fetchone()
        return (row["channel"], row["ts"]) if row else None

    async def reset_named_steps(
        self, incident_id: int, phase: str, names: Sequence[str], *, user: str | None, at: datetime
    ) -> list[str]:
        """Put these steps back to pending when they are done (ok, failed or skipped), to run again."""
        marks = ",".join("?" for _ in names)
        async with self._tx() as db:
            async with db.execute(
                f"SELECT name FROM steps WHERE incident_id = ? AND phase = ? AND name IN ({marks})"
                " AND status IN (?, ?, ?) ORDER BY rowid",
                (incident_id, phase, *names, StepStatus.OK, StepStatus.FAILED, StepStatus.SKIPPED),
            ) as cur:
                found = [row["name"] for row in await cur.fetchall()]
            if found:
                found_marks = ",".join("?" for _ in found)
                await db.execute(
                    f"UPDATE steps SET status = ? WHERE incident_id = ? AND phase = ? AND name IN ({found_marks})",
                    (StepStatus.PENDING, incident_id, phase, *found),
                )
                await self._timeline(db, incident_id, at, user, "rerun", {"steps": found})
            return found

    async def claim_function(self, incident_id: int, state: str) -> bool:
        """Mark the workflow step finished (completed/failed) once; False when it already was."""
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE incidents SET function_state = ? WHERE id = ? AND function_execution_id IS NOT NULL"
                " AND function_state IS NULL",
                (state, incident_id),
            )
            return cur.rowcount == 1

    async def confirm(
        self, incident_id: int, *, user: str, at: datetime, steps: Sequence[str], phase: str
    ) -> Incident | None:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE incidents SET state = ?, confirmed_by = ?, confirmed_at = ? WHERE id = ? AND state = ?",
                (State.ACTIVE, user, _ts(at), incident_id, State.DECLARED),
            )
            if cur.rowcount != 1:
                return None
            await db.executemany(
                "INSERT OR IGNORE INTO steps (incident_id, phase, name, status) VALUES (?, ?, ?, ?)",
                [(incident_id, phase, name, StepStatus.PENDING) for name in steps],
            )
            await self._timeline(db, incident_id, at, user, "confirmed", {})
            return await self._fetch_incident(db, incident_id)

    async def cancel(self, incident_id: int, *, user: str, at: datetime) -> Incident | None:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE incidents SET state = ?, cancelled_by = ?, cancelled_at = ? WHERE id = ? AND state = ?",
                (State.CANCELLED, user, _ts(at), incident_id, State.DECLARED),
            )
            if cur.rowcount != 1:
                return None
            await self._timeline(db, incident_id, at, user, "cancelled", {})
            return await self._fetch_incident(db, incident_id)

    async def resolve(
        self,
        incident_id: int,
        *,
        user: str,
        at: datetime,
        origin: Origin | None,
        summary: str | None,
        steps: Sequence[str],
        phase: str,
    ) -> Incident | None:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE incidents SET state = ?, resolved_by = ?, resolved_at = ?, origin = ?, summary = ?"
                " WHERE id = ? AND state = ?",
                (State.RESOLVED, user, _ts(at), origin, summary, incident_id, State.ACTIVE),
            )
            if cur.rowcount != 1:
                return None
            await db.executemany(
                "INSERT OR IGNORE INTO steps (incident_id, phase, name, status) VALUES (?, ?, ?, ?)",
                [(incident_id, phase, name, StepStatus.PENDING) for name in steps],
            )
            detail: dict[str, Any] = {"origin": str(origin) if origin else None}
            if summary:
                detail["summary"] = summary
            await self._timeline(db, incident_id, at, user, "resolved", detail)
            return await self._fetch_incident(db, incident_id)

    async def set_origin(
        self, incident_id: int, *, origin: Origin, summary: str | None, user: str, at: datetime
    ) -> Incident:
        async with self._tx() as db:
            if summary:
                await db.execute(
                    "UPDATE incidents SET origin = ?, summary = ? WHERE id = ?", (origin, summary, incident_id)
                )
            else:
                await db.execute("UPDATE incidents SET origin = ? WHERE id = ?", (origin, incident_id))
            await self._timeline(db, incident_id, at, user, "origin", {"origin": str(origin)})
            return await self._fetch_incident(db, incident_id)

    async def set_resolution_messages(
        self, incident_id: int, *, channel: str | None, ts: str | None, announce_ts: str | None
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE incidents SET resolution_channel = COALESCE(?, resolution_channel),"
                " resolution_ts = COALESCE(?, resolution_ts),"
                " resolution_announce_ts = COALESCE(?, resolution_announce_ts) WHERE id = ?",
                (channel, ts, announce_ts, incident_id),
            )

    async def set_postmortem(self, incident_id: int, url: str) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE incidents SET postmortem_url = ? WHERE id = ?", (url, incident_id))

    async def incidents_in(self, states: Sequence[State], limit: int = 1000) -> list[Incident]:
        marks = ",".join("?" for _ in states)
        async with self._conn.execute(
            f"SELECT * FROM incidents WHERE state IN ({marks}) ORDER BY id LIMIT ?", (*states, limit)
        ) as cur:
            return [_incident(row) for row in await cur.fetchall()]

    async def set_services(self, incident_id: int, services: Sequence[str]) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE incidents SET services = ? WHERE id = ?", (",".join(services), incident_id))
            await db.executemany(
                "INSERT OR IGNORE INTO incident_services (incident_id, service) VALUES (?, ?)",
                [(incident_id, s) for s in services],
            )

    async def services(self, incident_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
        """Affected services by incident id (all incidents when `incident_ids` is None)."""
        query, args = "SELECT incident_id, service FROM incident_services", ()
        if incident_ids is not None:
            if not incident_ids:
                return {}
            query += f" WHERE incident_id IN ({','.join('?' for _ in incident_ids)})"
            args = tuple(incident_ids)  # type: ignore[assignment]
        found: dict[int, list[str]] = {}
        async with self._conn.execute(query + " ORDER BY service", args) as cur:
            for row in await cur.fetchall():
                found.setdefault(row["incident_id"], []).append(row["service"])
        return found

    async def overlapping(self, since: datetime, until: datetime) -> list[Incident]:
        """Confirmed incidents whose impact may overlap [since, until) (declared before `until`, not
        resolved before `since`)."""
        async with self._conn.execute(
            "SELECT * FROM incidents WHERE state IN (?, ?, ?) AND declared_at < ?"
            " AND (resolved_at IS NULL OR resolved_at >= ?) ORDER BY id",
            (State.ACTIVE, State.RESOLVED, State.ARCHIVED, _ts(until), _ts(since)),
        ) as cur:
            return [_incident(row) for row in await cur.fetchall()]

    async def recently_resolved(self, limit: int = 10) -> list[Incident]:
        async with self._conn.execute(
            "SELECT * FROM incidents WHERE resolved_at IS NOT NULL ORDER BY resolved_at DESC, id DESC LIMIT ?",
            (limit,),
        ) as cur:
            return [_incident(row) for row in await cur.fetchall()]

    async def failed_steps(self, incident_ids: Sequence[int]) -> dict[int, list[str]]:
        if not incident_ids:
            return {}
        marks = ",".join("?" for _ in incident_ids)
        found: dict[int, list[str]] = {}
        async with self._conn.execute(
            f"SELECT incident_id, name FROM steps WHERE status = ? AND incident_id IN ({marks})",
            (StepStatus.FAILED, *incident_ids),
        ) as cur:
            for row in await cur.fetchall():
                found.setdefault(row["incident_id"], []).append(row["name"])
        return found

    async def step_links(self, incident_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        """The URL each successful step produced, by incident (meeting, ticket, post-mortem)."""
        if not incident_ids:
            return {}
        marks = ",".join("?" for _ in incident_ids)
        found: dict[int, dict[str, str]] = {}
        async with self._conn.execute(
            f"SELECT incident_id, name, result FROM steps WHERE status = ? AND incident_id IN ({marks})"
            " AND result LIKE '%\"url\"%'",
            (StepStatus.OK, *incident_ids),
        ) as cur:
            for row in await cur.fetchall():
                url = json.loads(row["result"]).get("url")
                if url:
                    found.setdefault(row["incident_id"], {})[row["name"]] = url
        return found

    async def decide_monthly(self, month: str, at: datetime, epoch: int) -> bool:
        async with self._tx() as db:
            if not await self._leads(db, epoch):
                return False
            cur = await db.execute(
                "INSERT OR IGNORE INTO monthly_reports (month, status, epoch, decided_at) VALUES (?, 'pending', ?, ?)",
                (month, epoch, _ts(at)),
            )
            return cur.rowcount == 1

    async def monthly_done(self, month: str, ts: str | None) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE monthly_reports SET status = 'sent', ts = ? WHERE month = ?", (ts, month))

    async def counts(self) -> dict[tuple[str, str], int]:
        """Number of incidents by (state, level)."""
        async with self._conn.execute("SELECT state, level, COUNT(*) AS n FROM incidents GROUP BY state, level") as cur:
            return {(row["state"], row["level"]): int(row["n"]) for row in await cur.fetchall()}

    async def incident_by_channel(self, channel_id: str) -> Incident | None:
        async with self._conn.execute(
            "SELECT * FROM incidents WHERE channel_id = ? ORDER BY id DESC LIMIT 1", (channel_id,)
        ) as cur:
            row = await cur.fetchone()
        return _incident(row) if row else None

    async def add_followup(
        self,
        incident_id: int,
        *,
        text: str,
        user: str,
        at: datetime,
        source_channel: str | None = None,
        source_ts: str | None = None,
    ) -> tuple[Followup, bool]:
        """Store a follow-up; (the follow-up, False) when this message was already one."""
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT OR IGNORE INTO followups (incident_id, text, created_by, created_at, source_channel,"
                " source_ts) VALUES (?, ?, ?, ?, ?, ?)",
                (incident_id, text, user, _ts(at), source_channel, source_ts),
            )
            created = cur.rowcount == 1
            if created:
                followup_id = cur.lastrowid
                await self._timeline(db, incident_id, at, user, "followup", {"text": text[:200]})
                query, args = "SELECT * FROM followups WHERE id = ?", (followup_id,)
            else:
                query = "SELECT * FROM followups WHERE incident_id = ? AND source_channel = ? AND source_ts = ?"
                args = (incident_id, source_channel, source_ts)  # type: ignore[assignment]
            async with db.execute(query, args) as c:
                row = await c.fetchone()
            assert row is not None
            return _followup(row), created

    async def set_followup_ticket(self, followup_id: int, key: str, url: str) -> None:
        async with self._tx() as db:
            await db.execute("UPDATE followups SET jira_key = ?, jira_url = ? WHERE id = ?", (key, url, followup_id))

    async def followups(self, incident_id: int) -> list[Followup]:
        async with self._conn.execute(
            "SELECT * FROM followups WHERE incident_id = ? ORDER BY id", (incident_id,)
        ) as cur:
            return [_followup(row) for row in await cur.fetchall()]

    # --- activity, reminders, archives ---------------------------------------------------------

    async def touch(self, channel_id: str, at: datetime) -> bool:
        """A person wrote in this incident channel: the silence starts again. False when not an incident's."""
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE incidents SET last_activity_at = ? WHERE channel_id = ?"
                " AND (last_activity_at IS NULL OR last_activity_at < ?)",
                (_ts(at), channel_id, _ts(at)),
            )
            return cur.rowcount > 0

    async def decide_reminder(self, incident_id: int, silent_since: datetime, at: datetime, epoch: int) -> bool:
        """Record the decision to remind for this silent period, only while `epoch` leads. True once."""
        async with self._tx() as db:
            if not await self._leads(db, epoch):
                return False
            cur = await db.execute(
                "INSERT OR IGNORE INTO reminders (incident_id, silent_since, status, decided_at, epoch)"
                " VALUES (?, ?, 'pending', ?, ?)",
                (incident_id, _ts(silent_since), _ts(at), epoch),
            )
            if cur.rowcount != 1:
                return False
            await db.execute("UPDATE incidents SET last_reminder_at = ? WHERE id = ?", (_ts(at), incident_id))
            return True

    async def reminder_sent(
        self, incident_id: int, silent_since: datetime, ts: str | None, status: str = "sent", at: datetime | None = None
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE reminders SET status = ?, ts = ? WHERE incident_id = ? AND silent_since = ?",
                (status, ts, incident_id, _ts(silent_since)),
            )
            if at is not None:
                await self._timeline(db, incident_id, at, None, "reminder", {"status": status})

    async def pending_reminders(self) -> list[tuple[int, datetime]]:
        async with self._conn.execute(
            "SELECT incident_id, silent_since FROM reminders WHERE status = 'pending' ORDER BY decided_at"
        ) as cur:
            return [(row["incident_id"], datetime.fromisoformat(row["silent_since"])) for row in await cur.fetchall()]

    async def reminders(self, incident_id: int) -> list[dict[str, Any]]:
        async with self._conn.execute(
            "SELECT * FROM reminders WHERE incident_id = ? ORDER BY silent_since", (incident_id,)
        ) as cur:
            return [dict(row) for row in await cur.fetchall()]

    async def decide_archive(self, incident_id: int, at: datetime, epoch: int) -> bool:
        async with self._tx() as db:
            if not await self._leads(db, epoch):
                return False
            cur = await db.execute(
                "INSERT OR IGNORE INTO archives (incident_id, status, decided_at, epoch) VALUES (?, 'pending', ?, ?)",
                (incident_id, _ts(at), epoch),
            )
            return cur.rowcount == 1

    async def archived(self, incident_id: int, outcome: str, at: datetime) -> Incident | None:
        """resolved -> archived, with how the channel ended (archived, already_archived, gone)."""
        async with self._tx() as db:
            await db.execute(
                "UPDATE archives SET status = 'done', outcome = ? WHERE incident_id = ?", (outcome, incident_id)
            )
            cur = await db.execute(
                "UPDATE incidents SET state = ? WHERE id = ? AND state = ?",
                (State.ARCHIVED, incident_id, State.RESOLVED),
            )
            if cur.rowcount != 1:
                return None
            await self._timeline(db, incident_id, at, None, "archived", {"channel": outcome})
            return await self._fetch_incident(db, incident_id)

    async def pending_archives(self) -> list[int]:
        async with self._conn.execute("SELECT incident_id FROM archives WHERE status = 'pending'") as cur:
            return [row["incident_id"] for row in await cur.fetchall()]

    async def _leads(self, db: aiosqlite.Connection, epoch: int) -> bool:
        async with db.execute(f"SELECT epoch, expires_at >= {NOW} AS live FROM lease WHERE id = 1") as cur:
            row = await cur.fetchone()
        return row is not None and int(row["epoch"]) == epoch and bool(row["live"])

    async def list_steps(self, incident_id: int, phase: str) -> list[StepRecord]:
        async with self._conn.execute(
            "SELECT * FROM steps WHERE incident_id = ? AND phase = ? ORDER BY rowid", (incident_id, phase)
        ) as cur:
            return [_step(row) for row in await cur.fetchall()]

    async def claim_step(self, incident_id: int, phase: str, name: str, at: datetime) -> StepRecord | None:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE steps SET status = ?, attempts = attempts + 1, started_at = ?, finished_at = NULL,"
                " error = NULL WHERE incident_id = ? AND phase = ? AND name = ? AND status = ?",
                (StepStatus.RUNNING, _ts(at), incident_id, phase, name, StepStatus.PENDING),
            )
            if cur.rowcount != 1:
                return None
            async with db.execute(
                "SELECT * FROM steps WHERE incident_id = ? AND phase = ? AND name = ?", (incident_id, phase, name)
            ) as c:
                row = await c.fetchone()
            assert row is not None
            return _step(row)

    async def finish_step(
        self,
        incident_id: int,
        phase: str,
        name: str,
        *,
        status: StepStatus,
        at: datetime,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        async with self._tx() as db:
            if result is None:
                await db.execute(
                    "UPDATE steps SET status = ?, error = ?, finished_at = ?"
                    " WHERE incident_id = ? AND phase = ? AND name = ?",
                    (status, error, _ts(at), incident_id, phase, name),
                )
            else:
                await db.execute(
                    "UPDATE steps SET status = ?, error = ?, finished_at = ?, result = ?"
                    " WHERE incident_id = ? AND phase = ? AND name = ?",
                    (status, error, _ts(at), json.dumps(result, sort_keys=True), incident_id, phase, name),
                )
            detail: dict[str, Any] = {"step": name, "status": str(status)}
            if error:
                detail["error"] = error
            await self._timeline(db, incident_id, at, None, "step", detail)

    async def save_step_result(self, incident_id: int, phase: str, name: str, result: dict[str, Any]) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE steps SET result = ? WHERE incident_id = ? AND phase = ? AND name = ?",
                (json.dumps(result, sort_keys=True), incident_id, phase, name),
            )

    async def reset_steps(
        self, incident_id: int, phase: str, statuses: Sequence[StepStatus], *, user: str | None, at: datetime
    ) -> list[str]:
        marks = ",".join("?" for _ in statuses)
        async with self._tx() as db:
            async with db.execute(
                f"SELECT name FROM steps WHERE incident_id = ? AND phase = ? AND status IN ({marks}) ORDER BY rowid",
                (incident_id, phase, *statuses),
            ) as cur:
                names = [row["name"] for row in await cur.fetchall()]
            if names:
                await db.execute(
                    f"UPDATE steps SET status = ? WHERE incident_id = ? AND phase = ? AND status IN ({marks})",
                    (StepStatus.PENDING, incident_id, phase, *statuses),
                )
                await self._timeline(db, incident_id, at, user, "retry", {"steps": names})
            return names

    async def release_running_steps(self) -> list[int]:
        async with self._tx() as db:
            await db.execute("UPDATE steps SET status = ? WHERE status = ?", (StepStatus.PENDING, StepStatus.RUNNING))
            async with db.execute(
                "SELECT DISTINCT incident_id FROM steps WHERE status = ? ORDER BY incident_id",
                (StepStatus.PENDING,),
            ) as cur:
                return [row["incident_id"] for row in await cur.fetchall()]

    async def undeclared_messages(self) -> list[Incident]:
        async with self._conn.execute(
            "SELECT * FROM incidents WHERE state = ? AND declaration_ts IS NULL ORDER BY id", (State.DECLARED,)
        ) as cur:
            return [_incident(row) for row in await cur.fetchall()]

    async def add_timeline(
        self, incident_id: int, *, at: datetime, actor: str | None, kind: str, detail: dict[str, Any]
    ) -> None:
        async with self._tx() as db:
            await self._timeline(db, incident_id, at, actor, kind, detail)

    async def timeline(self, incident_id: int) -> list[TimelineEntry]:
        async with self._conn.execute(
            "SELECT * FROM timeline WHERE incident_id = ? ORDER BY id", (incident_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [
            TimelineEntry(
                incident_id=row["incident_id"],
                at=datetime.fromisoformat(row["at"]),
                actor=row["actor"],
                kind=row["kind"],
                detail=json.loads(row["detail"]),
            )
            for row in rows
        ]


async def open_store(database_url: str) -> SqliteStore:
    return await SqliteStore.open(path_from_url(database_url))
