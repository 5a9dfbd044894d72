"""Synthetic incidents for the footprint bench: with their steps and timelines, as the bot writes them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from storage.sqlite import SqliteStore

STEPS = ("create_channel", "invite_responders", "post_intro", "announce", "create_zoom_meeting", "create_jira_ticket")


async def fill(store: SqliteStore, count: int, seed: int = 11) -> datetime:
    """`count` incidents over the last year (a few still active); returns 'now'."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    db = store._conn
    incidents, steps, timeline = [], [], []
    start_id = 1000
    for n in range(count):
        declared = now - timedelta(days=365) + timedelta(minutes=rng.randrange(0, 365 * 24 * 60 - 600))
        confirmed = declared + timedelta(seconds=rng.randrange(30, 900))
        active = n >= count - 20
        resolved = None if active else confirmed + timedelta(minutes=rng.randrange(5, 600))
        level = rng.choice(["P1", "P2", "P3", "P4"])
        incident_id = start_id + n
        incidents.append(
            (
                incident_id,
                f"Synthetic incident {n}",
                level,
                "default",
                "active" if active else "resolved",
                "bench",
                "U1",
                declared.isoformat(),
                "U2",
                confirmed.isoformat(),
                resolved.isoformat() if resolved else None,
                "U3" if resolved else None,
                f"C{n:09d}",
            )
        )
        for name in STEPS:
            result = {"url": f"https://example.test/{name}/{n}", "label": name} if "create_" in name else {}
            steps.append(
                (
                    incident_id,
                    "on_start",
                    name,
                    "ok",
                    1,
                    json.dumps(result),
                    confirmed.isoformat(),
                    (confirmed + timedelta(seconds=2)).isoformat(),
                )
            )
            timeline.append((incident_id, confirmed.isoformat(), None, "step", json.dumps({"step": name})))
        timeline.append((incident_id, declared.isoformat(), "U1", "declared", "{}"))
        timeline.append((incident_id, confirmed.isoformat(), "U2", "confirmed", "{}"))
    await db.executemany(
        "INSERT INTO incidents (id, title, level, plan, state, source, declared_by, declared_at, confirmed_by,"
        " confirmed_at, resolved_at, resolved_by, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        incidents,
    )
    await db.executemany(
        "INSERT INTO steps (incident_id, phase, name, status, attempts, result, started_at, finished_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        steps,
    )
    await db.executemany("INSERT INTO timeline (incident_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)", timeline)
    await db.commit()
    return now
