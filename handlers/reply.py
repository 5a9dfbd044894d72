"""Telling one person something privately, without ever failing the listener."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IncidentBotError, IncidentNotFound, IntegrationError

log = logging.getLogger(__name__)


def explain(exc: Exception) -> str:
    """A message for the person from an error; never a traceback or a token."""
    if isinstance(exc, IntegrationError):
        return "Slack or an integration did not answer as expected; the bot will keep what it has. Try again."
    if isinstance(exc, IncidentNotFound):
        return str(exc) or "That incident does not exist."
    if isinstance(exc, IncidentBotError):
        return str(exc)
    return "Something went wrong on the incident bot's side; it has been logged."


async def tell(client: AsyncWebClient, channel: str | None, user: str, text: str) -> None:
    """An ephemeral message in `channel`, or a DM when there is no channel or it is refused."""
    try:
        if channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
    except SlackApiError as exc:
        log.info("event=ephemeral_refused error=%s", exc.response.get("error"))
    try:
        await client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        log.warning("event=dm_refused error=%s", exc.response.get("error"))
