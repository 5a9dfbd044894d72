"""`incident-bot sandbox`: the emulators, the real bot connected to them, and a web page to drive it all."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.clock import SystemClock
from bot.config import load_settings
from sandbox import confluence as confluence_emu
from sandbox import jira as jira_emu
from sandbox import zoom as zoom_emu
from sandbox.confluence import ConfluenceEmulator
from sandbox.jira import JiraEmulator
from sandbox.slack import SlackEmulator
from sandbox.slack.server import APP_TOKEN, BOT_TOKEN
from sandbox.web import OffsetClock, SandboxWeb
from sandbox.zoom import ZoomEmulator

log = logging.getLogger(__name__)
PEOPLE = (
    ("alice", "Declares incidents"),
    ("bob", "Confirms them"),
    ("carol", "On call (@sre-oncall)"),
    ("dave", "Engineering manager (@engineering-managers, @management)"),
)
DEFAULT_PLAN = Path(__file__).resolve().parent.parent / "plans" / "default.yaml"


@dataclass
class Sandbox:
    url: str
    web: SandboxWeb
    slack: SlackEmulator
    folder: Path


@asynccontextmanager
async def sandbox(port: int = 3000, folder: Path | None = None, host: str = "127.0.0.1") -> AsyncIterator[Sandbox]:
    """Everything started, the bot connected; stopped in reverse order on exit."""
    from bot.app import build

    async with AsyncExitStack() as stack:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="incident-bot-sandbox-"))
            stack.callback(shutil.rmtree, folder, True)
        folder.mkdir(parents=True, exist_ok=True)
        plans = folder / "plans"
        plans.mkdir(exist_ok=True)
        if not (plans / "default.yaml").exists():
            shutil.copy(_plan_file(), plans / "default.yaml")
        slack, zoom, jira, wiki = SlackEmulator(), ZoomEmulator(), JiraEmulator(), ConfluenceEmulator()
        for server in (slack, zoom, jira, wiki):
            await server.start()
            stack.push_async_callback(server.stop)
        ws = slack.ws
        users = [ws.add_user(name, f"{name}@example.com").id for name, _ in PEOPLE]
        ws.add_usergroup("sre-oncall", [users[2]])
        ws.add_usergroup("engineering-managers", [users[3]])
        ws.add_usergroup("management", [users[3]])
        ws.add_channel("incidents", users)
        ws.add_channel("general", users)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{folder / 'incidents.db'}",
            "PLANS_DIR": str(plans),
            "HEALTH_PORT": "0",
            "LEASE_TTL": "15",
            "ZOOM_ACCOUNT_ID": zoom_emu.ACCOUNT_ID,
            "ZOOM_CLIENT_ID": zoom_emu.CLIENT_ID,
            "ZOOM_CLIENT_SECRET": zoom_emu.CLIENT_SECRET,
            "ZOOM_HOST": zoom_emu.HOST_EMAIL,
            "ZOOM_API_URL": zoom.api_url,
            "ZOOM_OAUTH_URL": zoom.oauth_url,
            "ZOOM_TIMEOUT": "5",
            "JIRA_URL": jira.url,
            "JIRA_EMAIL": jira_emu.EMAIL,
            "JIRA_API_TOKEN": jira_emu.API_TOKEN,
            "JIRA_PROJECT": jira_emu.PROJECT,
            "JIRA_TIMEOUT": "3",
            "CONFLUENCE_URL": wiki.wiki,
            "CONFLUENCE_EMAIL": confluence_emu.EMAIL,
            "CONFLUENCE_API_TOKEN": confluence_emu.API_TOKEN,
            "CONFLUENCE_SPACE": confluence_emu.SPACE,
            "CONFLUENCE_TIMEOUT": "3",
        }
        clock = OffsetClock(SystemClock())
        bot = await stack.enter_async_context(build(load_settings(env), clock=clock))
        await bot.connect()
        page = SandboxWeb(slack, zoom, jira, wiki, clock, bot.sweep, users)
        app = web.Application()
        page.routes(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1] if site._server else port  # type: ignore[union-attr,attr-defined]
        yield Sandbox(f"http://{host}:{bound}", page, slack, folder)


def _plan_file() -> Path:
    if DEFAULT_PLAN.exists():
        return DEFAULT_PLAN
    from importlib import resources

    return Path(str(resources.files("bot").joinpath("default_plan.yaml")))


async def serve(port: int, folder: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with sandbox(port, folder) as running:
        print(f"Incident Bot sandbox: {running.url}", flush=True)
        print("Open it, click 'Run workflow: Start incident', then Confirm. Ctrl-C stops everything.", flush=True)
        await stop.wait()
