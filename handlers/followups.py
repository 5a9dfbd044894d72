"""The message shortcut "Create follow-up": any message of an incident channel becomes a follow-up."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IncidentBotError
from bot.ids import CallbackId
from bot.resolution import Resolution
from handlers.reply import explain, tell


def register(app: AsyncApp) -> None:
    @app.shortcut(CallbackId.FOLLOWUP_SHORTCUT)
    async def on_shortcut(ack: Any, body: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await ack()
        resolution: Resolution = context["resolution"]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        incident = await resolution.of_channel(channel)
        if incident is None:
            await tell(client, channel, user, "Follow-ups are created from messages of an incident channel.")
            return
        text = " ".join(str(message.get("text") or "").split())[:1000]
        if not text:
            await tell(client, channel, user, "That message has no text to make a follow-up of.")
            return
        try:
            followup, problem = await resolution.add_followup(
                incident, text, user, channel=channel, ts=str(message.get("ts") or "") or None
            )
        except IncidentBotError as exc:
            await tell(client, channel, user, explain(exc))
            return
        where = f" <{followup.jira_url}|{followup.jira_key}>" if followup.jira_url else ""
        await tell(
            client,
            channel,
            user,
            f"Follow-up #{followup.id} of {incident.key} recorded{where}." + (f" {problem}" if problem else ""),
        )
