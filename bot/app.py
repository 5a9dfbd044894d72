"""Wiring: one function builds every object of the process; lifetimes live on one AsyncExitStack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from actions.base import Integrations
from actions.confluence import ConfluenceClient
from actions.jira import JiraGateway, create_jira_ticket
from actions.notify import notify
from actions.resolve_steps import RESOLVE_STEPS
from actions.retry import RetryPolicy
from actions.runner import Runner
from actions.slack import SlackGateway, build_client
from actions.slack_steps import SLACK_STEPS
from actions.zoom import ZoomClient, create_zoom_meeting
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import ConfigError, IntegrationError
from bot.health import HealthServer
from bot.home import Home
from bot.integrations import ConfluenceSettings, JiraSettings, ZoomSettings
from bot.leader import Leadership
from bot.plans import Plan, load_plans
from bot.resolution import Resolution
from bot.service import IncidentService
from bot.sweeps import Sweeper
from bot.telemetry import Telemetry
from handlers import background, register_all
from storage.lease import SqliteLease
from storage.sqlite import SqliteStore, open_store

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """The process: leads (Socket Mode, sweeps) while it holds the lease, stands by warm otherwise."""

    settings: Settings
    store: SqliteStore
    plans: dict[str, Plan]
    slack: SlackGateway
    service: IncidentService
    resolution: Resolution
    app: AsyncApp
    sweeper: Sweeper
    telemetry: Telemetry
    lease: SqliteLease
    home: Home
    socket: AsyncSocketModeHandler | None = None
    scheduler: AsyncIOScheduler | None = None
    epoch: int | None = None

    # --- leading ----------------------------------------------------------------------------------

    async def lead(self, epoch: int) -> None:
        """Become the leader: finish what the previous one left, connect Socket Mode, start the sweeps."""
        self.epoch = epoch
        self.telemetry.leader.set(1)
        self.telemetry.epoch.set(epoch)
        self.telemetry.takeovers.inc()
        self.service.spawn(self._log_integrations(), "integration checks")
        await self.service.resume()
        await self.sweeper.finish_pending()
        self.socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token, web_client=self.slack.client)
        await self.socket.connect_async()
        self.telemetry.socket.set(1)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.sweep, "interval", seconds=self.settings.sweep_interval, max_instances=1, coalesce=True, id="sweep"
        )
        self.scheduler.start()
        log.info("event=connected mode=socket epoch=%d", epoch)

    async def step_down(self) -> None:
        """Stop taking envelopes, let the ones in flight finish (briefly), stop the sweeps."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self.socket is not None:
            await self.socket.close_async()
            self.socket = None
        self.telemetry.socket.set(0)
        await background.drain(timeout=1.0)  # envelopes already acknowledged finish their work
        await self.service.drain(timeout=1.0)
        await self.service.cancel_all()  # unfinished steps stay "running": the next leader resumes them
        self.epoch = None
        self.telemetry.leader.set(0)

    async def sweep(self) -> None:
        if self.epoch is None:
            return
        try:
            report = await self.sweeper.sweep(self.epoch)
        except Exception:
            log.exception("event=sweep_failed")
            return
        self.telemetry.reminders.inc(len(report.reminded))
        self.telemetry.archives.inc(len(report.archived))

    async def connect(self) -> None:
        """Lead at once (one process, e.g. in tests); raises if another process holds the lease."""
        epoch = await self.lease.acquire(self.settings.instance_name, self.settings.lease_ttl)
        if epoch is None:
            raise RuntimeError("another process holds the lease")
        await self.lead(epoch)

    async def run(self, stop: asyncio.Event) -> None:
        """The process: health server, then lead or stand by until `stop`."""
        leadership = Leadership(
            self.lease, self.settings.instance_name, self.settings.lease_ttl, self.lead, self.step_down
        )
        self.leadership = leadership
        health = HealthServer(self.settings.health_port, self.readiness, self.telemetry, self.refresh_metrics)
        await health.start()
        log.info("event=standby instance=%s lease_ttl=%s", self.settings.instance_name, self.settings.lease_ttl)
        try:
            await leadership.run(stop)
        finally:
            await health.stop()

    async def readiness(self) -> tuple[bool, str]:
        if self.epoch is not None:
            connected = self.socket is not None and await self.socket.client.is_connected()
            state = "connected" if connected else "not connected"
            return connected, f"leader (epoch {self.epoch}): Socket Mode {state}"
        holder, epoch, left = await self.lease.current()
        return (
            True,
            f"standby: warm, waiting for the lease (held by {holder or 'nobody'}, epoch {epoch}, "
            f"{max(left, 0):.1f}s left)",
        )

    async def refresh_metrics(self) -> None:
        self.telemetry.set_incidents(await self.store.counts())

    async def _log_integrations(self) -> None:
        await _log_integration_statuses(self.service)


class _SameToken(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


REFUSED = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type")


async def _log_integration_statuses(service: IncidentService) -> None:
    from bot.checks import integration_statuses

    for status in await integration_statuses(service.integrations):
        level = logging.INFO if status.ok else logging.WARNING
        log.log(
            level,
            "event=integration_check name=%s configured=%s ok=%s detail=%r",
            status.name,
            status.configured,
            status.ok,
            status.detail,
        )


async def check_slack(slack: SlackGateway, app_token: str | None = None) -> dict[str, object]:
    """auth.test with the bot token and, when given, apps.connections.open with the app token.

    Raises ConfigError naming the variable when Slack refuses a token.
    """
    try:
        data = await slack.auth_test()
    except IntegrationError as exc:
        if exc.code in REFUSED:
            raise ConfigError("SLACK_BOT_TOKEN", f"was refused by Slack ({exc.code})") from None
        raise
    if app_token is not None:
        try:
            await slack.call("apps.connections.open", app_token=app_token)
        except IntegrationError as exc:
            if exc.code in REFUSED:
                raise ConfigError("SLACK_APP_TOKEN", f"was refused by Slack ({exc.code})") from None
            raise
    return data


async def resolve_announce(slack: SlackGateway, plans: dict[str, Plan]) -> dict[str, str]:
    """Plan name -> announce channel ID; the bot joins public announce channels so it can post."""
    ids: dict[str, str] = {}
    for name, plan in plans.items():
        try:
            channel = await slack.resolve_channel(plan.announce_channel)
        except IntegrationError as exc:
            raise ConfigError("announce_channel", f"{plan.announce_channel} in plan {name!r}: {exc.code}") from None
        await slack.join(channel)
        ids[name] = channel
    return ids


STEPS = {
    **SLACK_STEPS,
    "create_zoom_meeting": create_zoom_meeting,
    "create_jira_ticket": create_jira_ticket,
    "notify": notify,
    **RESOLVE_STEPS,
}


def build_integrations(settings: Settings, stack: AsyncExitStack) -> Integrations:
    """Clients of the optional integrations; one that is not configured is None with the reason."""
    found = Integrations(
        zoom_problem=settings.zoom.problem or "",
        jira_problem=settings.jira.problem or "",
        confluence_problem=settings.confluence.problem or "",
    )
    zoom = settings.zoom.settings
    if isinstance(zoom, ZoomSettings):
        http = httpx.AsyncClient(timeout=httpx.Timeout(zoom.timeout, connect=min(5.0, zoom.timeout)))
        stack.push_async_callback(http.aclose)
        found.zoom = ZoomClient(zoom, http)
    jira = settings.jira.settings
    if isinstance(jira, JiraSettings):
        # Two threads: Jira calls never wait behind more than one stuck call, and never block the loop.
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jira")
        stack.callback(pool.shutdown, wait=False, cancel_futures=True)
        found.jira = JiraGateway(jira, pool)
    confluence = settings.confluence.settings
    if isinstance(confluence, ConfluenceSettings):
        http = httpx.AsyncClient(timeout=httpx.Timeout(confluence.timeout, connect=min(5.0, confluence.timeout)))
        stack.push_async_callback(http.aclose)
        found.confluence = ConfluenceClient(confluence, http)
    for integration in (settings.zoom, settings.jira, settings.confluence):
        log.info(
            "event=integration name=%s configured=%s%s",
            integration.name,
            integration.configured,
            f" reason={integration.problem!r}" if integration.problem else "",
        )
    return found


@asynccontextmanager
async def build(
    settings: Settings, *, clock: Clock | None = None, policy: RetryPolicy | None = None
) -> AsyncIterator[Bot]:
    """Everything the process needs, connected to nothing yet (call `Bot.connect`)."""
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        plans = load_plans(settings.plans_dir)
        store = await open_store(settings.database_url)
        stack.push_async_callback(store.close)
        telemetry = Telemetry()
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.slack_timeout))
        stack.push_async_callback(session.close)
        client = build_client(settings.slack_bot_token, settings.slack_api_url, settings.slack_timeout, session)
        slack = SlackGateway(client, on_error=lambda code: telemetry.slack_errors.labels(code=code).inc())
        await check_slack(slack, settings.slack_app_token)
        announce = await resolve_announce(slack, plans)
        service_ref: list[IncidentService] = []

        async def on_step_done(incident_id: int) -> None:
            # In the background and coalesced: dependants start at once, and steps finishing together
            # cost one update of each message instead of one per step (chat.update is Tier 3).
            service_ref[0].refresh_soon(incident_id)

        async def context(incident_id, record, results):  # type: ignore[no-untyped-def]
            return await service_ref[0]._context(incident_id, record, results)

        integrations = build_integrations(settings, stack)
        runner = Runner(
            steps=STEPS,
            context=context,
            store=store,
            clock=clock,
            policy=policy,
            on_step_done=on_step_done,
            observe=telemetry.observe_step,
            on_retry=lambda step: telemetry.retries.labels(service=step).inc(),
        )
        service = IncidentService(
            store=store,
            plans=plans,
            slack=slack,
            clock=clock,
            runner=runner,
            announce_ids=announce,
            integrations=integrations,
        )
        service_ref.append(service)
        # Bolt reads SLACK_BOT_TOKEN by itself and warns that the client's token wins; it is the same token.
        logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameToken())
        app = AsyncApp(
            client=client,
            request_verification_enabled=False,
            ignoring_self_events_enabled=True,
            process_before_response=True,  # with handlers.background: acks without Bolt's 10 ms polling
        )
        resolution = Resolution(service)
        home = Home(service)
        service.listeners_drain = background.drain
        service.on_change = home.changed
        register_all(app, service, resolution, home)
        bot = Bot(
            settings,
            store,
            plans,
            slack,
            service,
            resolution,
            app,
            Sweeper(service),
            telemetry,
            SqliteLease(store),
            home,
        )
        stack.push_async_callback(bot.step_down)
        yield bot
