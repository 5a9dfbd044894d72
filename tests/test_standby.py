"""Two real `incident-bot run` processes on one SQLite file: one leads, the other takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.models import State
from sandbox.slack import SlackEmulator
from storage.sqlite import SqliteStore
from tests.conftest import People, wait_for

TTL = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.name, self.port = name, free_port()
        self.env = {
            **os.environ,
            **env,
            "INSTANCE_NAME": name,
            "HEALTH_PORT": str(self.port),
            "LEASE_TTL": str(TTL),
            "LOG_LEVEL": "INFO",
        }
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.log = cwd / f"{name}.log"

    async def start(self) -> Proc:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=self.env,
            cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        return self

    async def ready(self) -> tuple[int, str]:
        async with httpx.AsyncClient(timeout=2) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
            return response.status_code, response.text

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=2) as client:
            return await client.get(f"http://127.0.0.1:{self.port}{path}")

    async def role(self) -> str:
        try:
            return (await self.ready())[1]
        except httpx.HTTPError:
            return ""

    def kill(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), 30)


@pytest.fixture
async def procs(env: dict[str, str], tmp_path: Path) -> AsyncIterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        if proc.proc is not None and proc.proc.returncode is None:
            proc.kill(signal.SIGKILL)
            await proc.proc.wait()


async def until(check: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_one_leader_takeover_on_kill_and_handover_on_sigterm(
    slack: SlackEmulator, people: People, env: dict[str, str], tmp_path: Path, procs: list[Proc]
) -> None:
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, slack.connected)
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    a = await Proc("a", env, tmp_path).start()
    procs.append(a)
    await slack.wait_connected(1, timeout=20)
    await until(lambda: _is(a, "leader"), 10, "a leads")
    b = await Proc("b", env, tmp_path).start()
    procs.append(b)
    await until(lambda: _is(b, "standby"), 10, "b stands by")
    code, text = await b.ready()
    assert code == 200 and "standby: warm, waiting for the lease (held by a" in text
    assert (await a.get("/healthz")).status_code == 200 and (await b.get("/healthz")).text == "ok\n"
    assert "incident_bot_leader 1.0" in (await a.get("/metrics")).text
    assert "incident_bot_leader 0.0" in (await b.get("/metrics")).text

    # an active incident, and a declaration waiting for its Confirm
    execution = await slack.run_function(
        "start_incident", {"title": "DB down", "level": "P2", "reporter": people.alice}
    )
    decl = await wait_for(lambda: slack.messages(people.incidents), what="declaration")
    await slack.click(people.incidents, decl[0].ts, "incident_confirm", people.bob)
    await wait_for(lambda: execution.state == "completed", timeout=15, what="INC-1 started")
    await slack.run_function("start_incident", {"title": "Queue lag", "level": "P3", "reporter": people.alice})
    second = await wait_for(
        lambda: [m for m in slack.messages(people.incidents) if "INC-2" in m.text], what="INC-2 declared"
    )

    # kill -9 the leader: a click in the gap fails as on Slack; an event is retried until b takes it
    killed = time.monotonic()
    a.kill(signal.SIGKILL)
    await a.wait()
    await wait_for(lambda: slack.connected == 0, what="a's socket gone")
    with pytest.raises(ConnectionError):
        await slack.click(people.incidents, second[0].ts, "incident_confirm", people.bob)
    event = slack.post_as(people.incidents, people.carol, "resolve INC-1 internal")
    delivery = asyncio.create_task(slack.deliver_event(event, backoff=(1.0, 2.0, 3.0, 4.0)))
    await slack.wait_connected(1, timeout=TTL + 5)
    took_over = time.monotonic() - killed
    assert took_over <= TTL + 2, took_over  # the lease time plus two seconds
    assert await delivery >= 1  # the event was retried, then taken by the new leader
    await until(lambda: _is(b, "leader"), 5, "b leads")
    await slack.click(people.incidents, second[0].ts, "incident_confirm", people.bob)  # the same click works now
    store = await SqliteStore.open(env["DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        await until(lambda: _state(store, 2, State.ACTIVE), 10, "INC-2 confirmed by b")
        await until(lambda: _state(store, 1, State.RESOLVED), 10, "INC-1 resolved by b")
        assert len([e for e in await store.timeline(1) if e.kind == "resolved"]) == 1  # handled once
    finally:
        await store.close()

    # SIGTERM: b hands over to a new standby within two seconds
    c = await Proc("c", env, tmp_path).start()
    procs.append(c)
    await until(lambda: _is(c, "standby"), 10, "c stands by")
    sent = time.monotonic()
    b.kill(signal.SIGTERM)
    await until(lambda: _is(c, "leader"), 5, "c leads")
    await slack.wait_connected(1, timeout=5)
    handover = time.monotonic() - sent
    assert await b.wait() == 0
    assert handover <= 2.0, handover
    watcher.cancel()
    assert peak == 1  # never two Socket Mode connections
    log = (tmp_path / "c.log").read_text()
    assert "event=leading instance=c epoch=3" in log


async def _is(proc: Proc, role: str) -> bool:
    text = await proc.role()
    if role == "leader":
        return text.startswith("leader") and "connected" in text and "not connected" not in text
    return text.startswith(role)


async def _state(store: SqliteStore, incident_id: int, state: str) -> bool:
    return (await store.get_incident(incident_id)).state == state
