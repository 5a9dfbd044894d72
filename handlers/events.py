"""Messages typed in the announce and incident channels: `resolve ...` and `followup ...` commands."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, commands
from bot.errors import IncidentBotError
from bot.models import Incident
from bot.resolution import Resolution
from handlers.reply import explain

log = logging.getLogger(__name__)


def _at(ts: str, resolution: Resolution) -> datetime:
    """When the command was given: the message's own time (never later than now)."""
    now = resolution.core.clock.now()
    try:
        return min(now, datetime.fromtimestamp(float(ts), UTC))
    except (ValueError, OverflowError):
        return now


async def _say(client: AsyncWebClient, channel: str, thread: str, text: str, body: list[Any] | None = None) -> None:
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=body)
    except SlackApiError as exc:
        log.warning("event=reply_failed error=%s", exc.response.get("error"))


async def on_resolve(
    command: commands.Resolve,
    event: dict[str, Any],
    user: str,
    client: AsyncWebClient,
    resolution: Resolution,
    mine: Incident | None,
) -> None:
    channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
    picked = mine if command.key is None and mine is not None else await resolution.pick(command.key)
    if isinstance(picked, list):
        await _say(client, channel, thread, *blocks.resolve_list(picked, resolution.core.clock.now()))
        return
    resolved = await resolution.resolve(
        picked.id,
        user,
        at=_at(event["ts"], resolution),
        origin=command.origin,
        summary=command.summary,
        source="message",
    )
    if channel not in (resolved.channel_id, resolved.announce_channel):
        await _say(client, channel, thread, f"{resolved.key} is resolved.")


async def on_followup(
    command: commands.Followup,
    event: dict[str, Any],
    user: str,
    client: AsyncWebClient,
    resolution: Resolution,
    mine: Incident | None,
) -> None:
    channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
    if mine is None:
        await _say(client, channel, thread, "Type `followup <text>` in an incident's channel.")
        return
    followup, problem = await resolution.add_followup(mine, command.text, user, channel=channel, ts=event["ts"])
    where = f" <{followup.jira_url}|{followup.jira_key}>" if followup.jira_url else ""
    await _say(
        client,
        channel,
        thread,
        f"Follow-up #{followup.id} of {mine.key} recorded{where}." + (f" {problem}" if problem else ""),
    )


def register(app: AsyncApp) -> None:
    @app.event("message")
    async def on_message(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, bots (ourselves included): not commands
        # Slack escapes &, < and > in what people type; commands read the text as they typed it.
        text = str(event.get("text") or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        resolution: Resolution = context["resolution"]
        channel = str(event.get("channel") or "")
        mine = await resolution.of_channel(channel)
        if mine is not None:
            await resolution.spoke(channel, _at(str(event.get("ts") or "0"), resolution))
        if mine is None and channel not in resolution.core.announce_ids.values():
            return  # the bot only listens in the announce and incident channels
        try:
            command = commands.parse(text)
            if isinstance(command, commands.Resolve):
                await on_resolve(command, event, event["user"], client, resolution, mine)
            elif isinstance(command, commands.Followup):
                await on_followup(command, event, event["user"], client, resolution, mine)
        except IncidentBotError as exc:
            await _say(client, channel, event.get("thread_ts") or event["ts"], explain(exc))
