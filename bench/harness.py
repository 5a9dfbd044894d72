"""The bench's stage: the emulators in this process, the real bot as `incident-bot run` subprocesses."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import jira as jira_emu
from sandbox import zoom as zoom_emu
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.slack.server import APP_TOKEN, BOT_TOKEN
from sandbox.zoom import ZoomEmulator
from storage.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class People:
    alice: str
    bob: str
    carol: str
    dave: str
    incidents: str


class Stage:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.slack = SlackEmulator()
        self.zoom = ZoomEmulator()
        self.jira = JiraEmulator()
        self.procs: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> Stage:
        for server in (self.slack, self.zoom, self.jira):
            await server.start()
        ws = self.slack.ws
        users = [ws.add_user(n, f"{n}@example.com").id for n in ("alice", "bob", "carol", "dave")]
        ws.add_usergroup("sre-oncall", [users[2]])
        ws.add_usergroup("engineering-managers", [users[3]])
        ws.add_usergroup("management", [users[3]])
        self.people = People(*users, ws.add_channel("incidents", users).id)
        self.db = self.folder / "incidents.db"
        self.env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": self.slack.api_url,
            "DATABASE_URL": f"sqlite:///{self.db}",
            "PLANS_DIR": str(ROOT / "plans"),
            "LOG_LEVEL": "WARNING",
            "HEALTH_PORT": "0",
            "ZOOM_ACCOUNT_ID": zoom_emu.ACCOUNT_ID,
            "ZOOM_CLIENT_ID": zoom_emu.CLIENT_ID,
            "ZOOM_CLIENT_SECRET": zoom_emu.CLIENT_SECRET,
            "ZOOM_HOST": zoom_emu.HOST_EMAIL,
            "ZOOM_API_URL": self.zoom.api_url,
            "ZOOM_OAUTH_URL": self.zoom.oauth_url,
            "JIRA_URL": self.jira.url,
            "JIRA_EMAIL": jira_emu.EMAIL,
            "JIRA_API_TOKEN": jira_emu.API_TOKEN,
            "JIRA_PROJECT": jira_emu.PROJECT,
        }
        return self

    async def __aexit__(self, *exc: object) -> None:
        reader = getattr(self, "_reader", None)
        if reader is not None:
            await reader.close()
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
        for server in (self.slack, self.zoom, self.jira):
            await server.stop()

    async def bot(self, name: str = "bench", **extra: str) -> asyncio.subprocess.Process:
        log = (self.folder / f"{name}.log").open("a")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, **self.env, "INSTANCE_NAME": name, **extra},
        )
        self.procs.append(proc)
        return proc

    async def store(self) -> SqliteStore:
        return await SqliteStore.open(str(self.db))

    async def declare(self, title: str, level: str = "P2") -> tuple[Any, str]:
        """Run the start_incident workflow step; returns the execution and the declaration's ts."""
        before = {m.ts for m in self.slack.messages(self.people.incidents)}
        execution = await self.slack.run_function(
            "start_incident", {"title": title, "level": level, "reporter": self.people.alice}
        )
        ts = await wait(
            lambda: next(
                (m.ts for m in self.slack.messages(self.people.incidents) if m.ts not in before and title in m.text),
                None,
            ),
            30,
        )
        return execution, ts


async def wait(check: Any, timeout: float, step: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("bench: timed out")
        await asyncio.sleep(step)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
