"""Fixtures: the Slack emulator with a small workspace, and the real bot connected to it."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from actions.retry import RetryPolicy
from bot.app import Bot, build
from bot.clock import FakeClock
from bot.config import load_settings
from sandbox import confluence as confluence_emu
from sandbox import jira as jira_emu
from sandbox import zoom as zoom_emu
from sandbox.confluence import ConfluenceEmulator
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.slack.server import APP_TOKEN, BOT_TOKEN
from sandbox.zoom import ZoomEmulator

ROOT = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(attempts=3, base=0.05, cap=0.2, timeout=5.0)


@dataclass
class People:
    alice: str
    bob: str
    carol: str
    dave: str
    incidents: str


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def zoom() -> AsyncIterator[ZoomEmulator]:
    emulator = ZoomEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def jira() -> AsyncIterator[JiraEmulator]:
    emulator = JiraEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def confluence() -> AsyncIterator[ConfluenceEmulator]:
    emulator = ConfluenceEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def people(slack: SlackEmulator) -> People:
    ws = slack.ws
    alice = ws.add_user("alice", "alice@example.com").id
    bob = ws.add_user("bob", "bob@example.com").id
    carol = ws.add_user("carol", "carol@example.com").id
    dave = ws.add_user("dave", "dave@example.com").id
    ws.add_usergroup("sre-oncall", [carol])
    ws.add_usergroup("engineering-managers", [dave])
    ws.add_usergroup("management", [dave])
    incidents = ws.add_channel("incidents", [alice, bob, carol, dave]).id
    return People(alice, bob, carol, dave, incidents)


@pytest.fixture
def plans_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plans"
    folder.mkdir()
    shutil.copy(ROOT / "plans" / "default.yaml", folder / "default.yaml")
    return folder


def integration_env(
    zoom: ZoomEmulator, jira: JiraEmulator, confluence: ConfluenceEmulator | None = None
) -> dict[str, str]:
    wiki = (
        {}
        if confluence is None
        else {
            "CONFLUENCE_URL": confluence.wiki,
            "CONFLUENCE_EMAIL": confluence_emu.EMAIL,
            "CONFLUENCE_API_TOKEN": confluence_emu.API_TOKEN,
            "CONFLUENCE_SPACE": confluence_emu.SPACE,
            "CONFLUENCE_TIMEOUT": "1",
        }
    )
    return {
        **wiki,
        "ZOOM_ACCOUNT_ID": zoom_emu.ACCOUNT_ID,
        "ZOOM_CLIENT_ID": zoom_emu.CLIENT_ID,
        "ZOOM_CLIENT_SECRET": zoom_emu.CLIENT_SECRET,
        "ZOOM_HOST": zoom_emu.HOST_EMAIL,
        "ZOOM_API_URL": zoom.api_url,
        "ZOOM_OAUTH_URL": zoom.oauth_url,
        "ZOOM_TIMEOUT": "1",
        "JIRA_URL": jira.url,
        "JIRA_EMAIL": jira_emu.EMAIL,
        "JIRA_API_TOKEN": jira_emu.API_TOKEN,
        "JIRA_PROJECT": jira_emu.PROJECT,
        "JIRA_TIMEOUT": "1",
    }


@pytest.fixture
def env(
    slack: SlackEmulator,
    zoom: ZoomEmulator,
    jira: JiraEmulator,
    confluence: ConfluenceEmulator,
    tmp_path: Path,
    plans_dir: Path,
) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/incidents.db",
        "PLANS_DIR": str(plans_dir),
        "SLACK_TIMEOUT": "5",
        "HEALTH_PORT": "0",
        **integration_env(zoom, jira, confluence),
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Running:
    """Starts and stops the real bot against the emulator; tests may restart it."""

    def __init__(self, env: dict[str, str], clock: FakeClock, slack: SlackEmulator) -> None:
        self.env, self.clock, self.slack = env, clock, slack
        self._ctx: Any = None
        self.bot: Bot | None = None

    async def start(self) -> Bot:
        self._ctx = build(load_settings(self.env), clock=self.clock, policy=FAST)
        self.bot = await self._ctx.__aenter__()
        await self.bot.connect()
        await self.slack.wait_connected(1)
        return self.bot

    async def stop(self) -> None:
        if self._ctx is not None:
            await self._ctx.__aexit__(None, None, None)
            self._ctx, self.bot = None, None
            await wait_for(lambda: self.slack.connected == 0, what="disconnect")

    async def crash(self) -> None:
        """Stop abruptly: background steps are cancelled mid-flight, nothing is drained."""
        assert self.bot is not None and self._ctx is not None
        for task in list(self.bot.service._tasks):
            task.cancel()
        await asyncio.gather(*self.bot.service._tasks, return_exceptions=True)
        await self.stop()


@pytest.fixture
async def running(
    env: dict[str, str], clock: FakeClock, slack: SlackEmulator, people: People
) -> AsyncIterator[Running]:
    runner = Running(env, clock, slack)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
def bot(running: Running) -> Bot:
    assert running.bot is not None
    return running.bot


async def declare_via_workflow(
    slack: SlackEmulator,
    people: People,
    title: str = "Checkout is down",
    level: str = "P1",
    reporter: str | None = None,
) -> tuple[Any, Any]:
    """Run the `start_incident` workflow step; returns (execution, declaration message)."""
    before = len(slack.messages(people.incidents))
    execution = await slack.run_function(
        "start_incident", {"title": title, "level": level, "reporter": reporter or people.alice}
    )
    messages = await wait_for(lambda: slack.messages(people.incidents)[before:], what="declaration")
    return execution, messages[0]


def channel_named(slack: SlackEmulator, prefix: str) -> Any:
    return next((c for c in slack.ws.channels.values() if c.name.startswith(prefix)), None)


async def eventually(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Like wait_for, for an async check (e.g. a store read after a message event)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def state_of(bot: Any, incident_id: int, state: str, timeout: float = 10.0) -> Any:
    """Wait until the incident reaches `state`, then for the background work it started."""

    async def reached() -> Any:
        incident = await bot.store.get_incident(incident_id)
        return incident if incident.state == state else None

    await eventually(reached, timeout, f"incident {incident_id} {state}")
    await asyncio.sleep(0.05)  # the listener spawns its background work right after the transition
    await bot.service.drain()
    return await bot.store.get_incident(incident_id)
