"""`incident-bot run` and `incident-bot check`: configuration errors are one line and exit status 2."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from dotenv import dotenv_values

from bot import logs
from bot.config import Settings, load_settings
from bot.errors import ConfigError, IntegrationError, InvalidInput, PlanError
from bot.plans import load_plans

log = logging.getLogger("bot")
EXIT_CONFIG = 2
EXIT_PLANS = 1


def environment(env_file: str = ".env") -> dict[str, str]:
    """The process environment over the .env file (a real variable wins)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if os.path.exists(env_file) else {}
    return {**values, **os.environ}


def _fail(message: str, code: int) -> int:
    print(f"incident-bot: {message}", file=sys.stderr)
    return code


async def _run(settings: Settings) -> int:
    from bot.app import build

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with build(settings) as bot:
        await bot.run(stop)
        log.info("event=stopping")
    return 0


async def _check_services(settings: Settings) -> bool:
    """Slack, then each optional integration. False when a configured one does not work."""
    from contextlib import AsyncExitStack

    from actions.slack import SlackGateway, build_client
    from bot.app import build_integrations, check_slack, resolve_announce
    from bot.checks import integration_statuses

    slack = SlackGateway(build_client(settings.slack_bot_token, settings.slack_api_url, settings.slack_timeout))
    data = await check_slack(slack, settings.slack_app_token)
    print(f"slack: ok (bot user {data.get('user_id')}, team {data.get('team_id')})")
    await resolve_announce(slack, load_plans(settings.plans_dir))
    print("slack: announce channels found")
    async with AsyncExitStack() as stack:
        statuses = await integration_statuses(build_integrations(settings, stack))
    for status in statuses:
        print(status.line())
    return all(status.ok for status in statuses)


def check(env: Mapping[str, str], plans_only: bool, offline: bool) -> int:
    plans_dir = env.get("PLANS_DIR", "").strip() or "./plans"
    try:
        plans = load_plans(plans_dir)
    except PlanError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail(f"{len(exc.problems)} problem(s) in the response plans", EXIT_PLANS)
    for name, plan in sorted(plans.items()):
        print(f"plan {name}: ok ({len(plan.levels)} levels: {', '.join(plan.levels)})")
    if plans_only:
        return 0
    settings = load_settings(env)
    print("configuration: ok")
    if not offline:
        try:
            if not asyncio.run(_check_services(settings)):
                return _fail("an integration is configured but does not work (see above)", EXIT_PLANS)
        except IntegrationError as exc:
            return _fail(f"slack: {exc}", EXIT_PLANS)
    return 0


def period(since: str | None, until: str | None, month: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The report's period: a month, explicit bounds, or the last 30 days. Raises InvalidInput."""

    def parse(text: str, name: str) -> datetime:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"--{name} {text!r} is not a date like 2026-11-01 or 2026-11-01T09:00") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    if month:
        if since or until:
            raise InvalidInput("--month cannot be combined with --since or --until")
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(f"--month {month!r} is not a month like 2026-11") from None
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following
    end = parse(until, "until") if until else now
    start = parse(since, "since") if since else end - timedelta(days=30)
    if start >= end:
        raise InvalidInput("the period is empty: --since must be before --until")
    return start, end


def report(env: Mapping[str, str], args: argparse.Namespace) -> int:
    """Figures of a period from the store; needs DATABASE_URL and PLANS_DIR, not the Slack tokens."""
    from bot import report as render
    from bot.chart import render as draw
    from bot.plans import default_plan
    from storage.sqlite import open_store

    try:
        since, until = period(args.since, args.until, args.month, datetime.now(UTC))
    except InvalidInput as exc:
        return _fail(str(exc), EXIT_CONFIG)
    plans = load_plans(env.get("PLANS_DIR", "").strip() or "./plans")

    async def compute() -> tuple[str, bytes | None]:
        store = await open_store(env.get("DATABASE_URL", "").strip() or "sqlite:///./incidents.db")
        try:
            figures = await render.period_figures(store, plans, since, until)
            chart = None
            if args.chart:
                incidents = await store.overlapping(since, until)
                chart = draw(
                    incidents, plans, default_plan(plans), await store.services([i.id for i in incidents]), since, until
                )
        finally:
            await store.close()
        text = {"table": render.as_text, "csv": render.as_csv, "json": render.as_json}[args.format](figures)
        return text, chart

    try:
        text, chart = asyncio.run(compute())
    except InvalidInput as exc:
        return _fail(str(exc), EXIT_PLANS)
    sys.stdout.write(text)
    if chart is not None:
        with open(args.chart, "wb") as out:
            out.write(chart)
        print(f"chart written to {args.chart}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="incident-bot", description="Incident management bot for Slack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (Socket Mode)")
    check_parser = sub.add_parser("check", help="validate configuration and response plans")
    check_parser.add_argument("--plans-only", action="store_true", help="validate the plans only (for CI)")
    check_parser.add_argument("--offline", action="store_true", help="do not call Slack")
    sandbox_parser = sub.add_parser("sandbox", help="try the bot in a browser: emulated Slack, Zoom, Jira, Confluence")
    sandbox_parser.add_argument("--port", type=int, default=3000, help="port of the web page (default 3000)")
    sandbox_parser.add_argument("--data", help="folder for the database and plans (default: a temporary one)")
    report_parser = sub.add_parser("report", help="uptime and incident figures for a period")
    report_parser.add_argument("--since", help="start (ISO date or time, UTC unless it says otherwise)")
    report_parser.add_argument("--until", help="end (default: now)")
    report_parser.add_argument("--month", help="a calendar month, like 2026-11 (UTC)")
    report_parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report_parser.add_argument("--chart", metavar="FILE.png", help="also draw uptime per week and incidents per level")
    parser.add_argument("--env-file", default=".env", help="file of environment variables (default .env)")
    args = parser.parse_args(argv)
    env = environment(args.env_file)
    try:
        if args.command == "check":
            return check(env, args.plans_only, args.offline)
        if args.command == "report":
            return report(env, args)
        if args.command == "sandbox":
            from pathlib import Path

            from sandbox.run import serve

            logs.setup(env.get("LOG_LEVEL", "WARNING").upper() if env.get("LOG_LEVEL") else "WARNING")
            asyncio.run(serve(args.port, Path(args.data) if args.data else None))
            return 0
        settings = load_settings(env)
        logs.setup(settings.log_level, settings.tokens)
        return asyncio.run(_run(settings))
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except PlanError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return _fail("the response plans are invalid", EXIT_PLANS)
    except IntegrationError as exc:
        return _fail(f"cannot start: {exc}", EXIT_PLANS)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
